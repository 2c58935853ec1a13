import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { buildEnvelope, serializeEnvelope } from '../../src/domain/envelope';
import { generateSecret, secretProblem } from '../../src/domain/secrets';
import { hexSignature, signatureHeaders, standardWebhooksKey } from '../../src/domain/signatures';

const body = serializeEnvelope(buildEnvelope({ id: 'evt_1', event: 'call.ended', teamId: 'team_1', createdAt: new Date('2025-01-12T10:30:00Z'), data: { call_id: 'c', n: 'ü' } }));
const now = Math.floor(Date.now() / 1000);

test('generated secrets verify with the official standardwebhooks package', () => {
  for (let i = 0; i < 20; i++) {
    const secret = generateSecret();
    expect(secretProblem(secret)).toBeUndefined();
    const headers = signatureHeaders({ msgId: 'msg_1', timestampSeconds: now, body, secrets: [secret] });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  }
});

test('a user-chosen secret without whsec_ is keyed as raw bytes (verify with format: raw)', () => {
  const secret = 'my-own-Secret-123456';
  expect(standardWebhooksKey(secret).toString('utf8')).toBe(secret);
  const headers = signatureHeaders({ msgId: 'msg_1', timestampSeconds: now, body, secrets: [secret] });
  expect(new Webhook(secret, { format: 'raw' }).verify(body, headers)).toEqual(JSON.parse(body));
});

test('during rotation both secrets sign; the seed-style headers use the current secret string as the HMAC key', () => {
  const [current, previous] = [generateSecret(), generateSecret()];
  const headers = signatureHeaders({ msgId: 'msg_1', timestampSeconds: now, body, secrets: [current, previous], sha256Header: 'X-Webhook-Signature', hexHeader: 'X-Kakiyo-Signature' });
  expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
  expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
  expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
  const expectedHex = createHmac('sha256', current).update(body, 'utf8').digest('hex');
  expect(headers['X-Webhook-Signature']).toBe(`sha256=${expectedHex}`);
  expect(headers['X-Kakiyo-Signature']).toBe(expectedHex);
  expect(hexSignature(current, body)).toBe(expectedHex);
});

test('a tampered body or another secret does not verify', () => {
  const secret = generateSecret();
  const headers = signatureHeaders({ msgId: 'msg_1', timestampSeconds: now, body, secrets: [secret] });
  expect(() => new Webhook(secret).verify(body.replace('call.ended', 'call.started'), headers)).toThrow();
  expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
});

test('weak or malformed secrets are refused', () => {
  expect(secretProblem('short')).toMatch(/at least 16/);
  expect(secretProblem('aaaaaaaaaaaaaaaaaaaa')).toMatch(/repetitive/);
  expect(secretProblem('has spaces in it 12345')).toMatch(/printable/);
  expect(secretProblem('whsec_abcdefghijklmnop')).toMatch(/24 bytes/);
  expect(secretProblem('a-perfectly-fine-secret-42')).toBeUndefined();
});

test('the envelope keeps the seeds\' field order and marks test sends', () => {
  expect(Object.keys(JSON.parse(body))).toEqual(['id', 'event', 'teamId', 'timestamp', 'data']);
  const test = buildEnvelope({ id: 'evt_2', event: 'chat', teamId: 't', createdAt: new Date(0), data: {}, test: true });
  expect(test.test).toBe(true);
});
