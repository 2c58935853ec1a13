import { createWebhook, postEvent, waitForDelivery } from '../helpers/fixtures';
import { startStack, TEST_ADMIN_KEY, type Stack } from '../helpers/stack';
import { sleep } from '../helpers/wait';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

test('successful deliveries cost 2 credits each, failed ones nothing; the ledger adds up', async () => {
  const team = await stack.createTeam({ credits: 100 });
  stack.receiver.respond = (req, res) => void res.writeHead(req.path.startsWith('/paid/bad') ? 500 : 200).end();
  const good = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/paid/good` });
  const bad = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/paid/bad`, retrySchedule: { delays: [] } });
  for (let i = 0; i < 3; i++) {
    const e = await postEvent(stack, team.apiKey, 'message.sent', { i });
    await waitForDelivery(stack, team.apiKey, e.id, ['succeeded'], { webhookId: good.id });
    await waitForDelivery(stack, team.apiKey, e.id, ['failed'], { webhookId: bad.id });
  }
  const credits = await stack.call('GET', '/v1/credits', { key: team.apiKey });
  expect(credits.body.balance).toBe(94);
  const charges = credits.body.ledger.filter((l: { reason: string }) => l.reason === 'delivery');
  expect(charges).toHaveLength(3);
  expect(charges.every((c: { delta: number }) => c.delta === -2)).toBe(true);
  expect(credits.body.ledger.reduce((sum: number, l: { delta: number }) => sum + l.delta, 0)).toBe(94);
});

test('test sends are free', async () => {
  const team = await stack.createTeam({ credits: 10 });
  stack.receiver.respond = (_req, res) => void res.writeHead(200).end();
  const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/free` });
  const sent = await stack.call('POST', '/v1/webhooks/test', { key: team.apiKey, body: { event: 'prospect.qualified', webhookId: wh.id } });
  expect(sent.status).toBe(202);
  await waitForDelivery(stack, team.apiKey, sent.body.eventId, ['succeeded']);
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(10);
});

test('without enough credits deliveries are held, and proceed when credits are granted', async () => {
  const team = await stack.createTeam({ credits: 0 });
  stack.receiver.respond = (_req, res) => void res.writeHead(200).end();
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/held` });
  const e = await postEvent(stack, team.apiKey, 'message.sent');
  const held = await waitForDelivery(stack, team.apiKey, e.id, ['held']);
  expect(held.attempts).toHaveLength(0);
  await sleep(300);
  expect(stack.receiver.at('/held')).toHaveLength(0);

  const grant = await stack.call('POST', `/admin/v1/teams/${team.id}/credits`, { key: TEST_ADMIN_KEY, body: { amount: 5 } });
  expect(grant.status).toBe(200);
  expect(grant.body).toEqual({ balance: 5, releasedDeliveries: 1 });
  await waitForDelivery(stack, team.apiKey, e.id, ['succeeded']);
  expect(stack.receiver.at('/held')).toHaveLength(1);
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(3);
});
