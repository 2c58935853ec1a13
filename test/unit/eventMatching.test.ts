import { subscriptionMatches, subscriptionPatternsFor, webhookWantsEvent } from '../../src/domain/eventMatching';

test('patterns that match an event type', () => {
  expect(subscriptionPatternsFor('linkedin.message.sent')).toEqual(['*', 'linkedin.message.sent', 'linkedin.*', 'linkedin.message.*']);
  expect(subscriptionPatternsFor('chat')).toEqual(['*', 'chat']);
});

test.each([
  ['*', 'chat', true],
  ['chat', 'chat', true],
  ['chat', 'chat.x', false],
  ['prospect.*', 'prospect.qualified', true],
  ['prospect.*', 'prospect', false],
  ['prospect.*', 'prospects.qualified', false],
  ['linkedin.*', 'linkedin.message.sent', true],
  ['linkedin.message.*', 'linkedin.message.sent', true],
  ['linkedin.message.*', 'linkedin.invitation.sent', false],
  ['message.*', 'message', false],
  ['message', 'message.sent', false],
])('%s matches %s: %s', (subscription, event, expected) => {
  expect(subscriptionMatches(subscription, event)).toBe(expected);
});

test('a webhook wants an event when any subscription matches', () => {
  expect(webhookWantsEvent(['call.ended', 'prospect.*'], 'prospect.paused')).toBe(true);
  expect(webhookWantsEvent(['call.ended'], 'call.started')).toBe(false);
});
