import { startStack, type Stack } from '../helpers/stack';
import { createWebhook, gaps, postEvent, verifySignatures, waitForDelivery } from '../helpers/fixtures';
import { waitFor } from '../helpers/wait';

// Real schedules, scaled down: exponential 1s/2s/4s × 0.05 = 50/100/200 ms;
// extended 1m/5m/30m/2h × 0.001 (second stack) = 60 ms/300 ms/1.8 s/7.2 s.
const SLACK_MS = 1_500; // Temporal's own scheduling latency on a busy 2-core machine

describe('retry schedules', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    // A short attempt timeout, for the receiver that never answers.
    stack = await startStack({ env: { HOOKFERRY_ATTEMPT_TIMEOUT_MS: '2000' } });
  });
  beforeEach(async () => {
    key = (await stack.createTeam()).apiKey; // a team per test: its webhooks see only its events
  });
  afterAll(async () => stack?.stop());

  test('exponential: first attempt + 3 retries after 1s, 2s, 4s (scaled), each signed, then failed', async () => {
    stack.receiver.respond = (_req, res) => void res.writeHead(500).end('boom');
    const wh = await createWebhook(stack, key, { url: `${stack.receiver.url}/exp` });
    const event = await postEvent(stack, key, 'prospect.qualified', { n: 1 });
    const delivery = await waitForDelivery(stack, key, event.id, ['failed']);

    const requests = stack.receiver.at('/exp');
    expect(requests).toHaveLength(4);
    expect(delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 500]);
    expect(delivery.attempts[0].responseBody).toBe('boom');
    const expected = [50, 100, 200];
    gaps(requests).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(gap).toBeLessThan(expected[i]! * 1.1 + SLACK_MS);
    });
    // Same webhook-id on every attempt (receivers deduplicate on it); each attempt verifies.
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.id]));
    for (const r of requests) verifySignatures(r, wh.secret);
  });

  test('custom schedule: one retry per entry', async () => {
    stack.receiver.respond = (_req, res) => void res.writeHead(503).end();
    await createWebhook(stack, key, { url: `${stack.receiver.url}/custom`, retrySchedule: { delays: ['2s', '4s'] } });
    const event = await postEvent(stack, key, 'prospect.qualified');
    await waitForDelivery(stack, key, event.id, ['failed']);
    const requests = stack.receiver.at('/custom');
    expect(requests).toHaveLength(3);
    const [g1, g2] = gaps(requests);
    expect(g1).toBeGreaterThanOrEqual(95);
    expect(g2).toBeGreaterThanOrEqual(195);
  });

  test('a failure then a success: succeeded on the 3rd attempt, charged once', async () => {
    let n = 0;
    stack.receiver.respond = (_req, res) => void res.writeHead(++n < 3 ? 502 : 204).end();
    const team = await stack.createTeam({ credits: 10 });
    await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/flaky` });
    const event = await postEvent(stack, team.apiKey, 'campaign.completed');
    const delivery = await waitForDelivery(stack, team.apiKey, event.id, ['succeeded']);
    expect(delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([502, 502, 204]);
    const credits = await stack.call('GET', '/v1/credits', { key: team.apiKey });
    expect(credits.body.balance).toBe(8);
    expect(credits.body.ledger.filter((l: { reason: string }) => l.reason === 'delivery')).toHaveLength(1);
  });

  test('3xx is a failure and the redirect is never followed', async () => {
    stack.receiver.respond = (req, res) => {
      if (req.path.startsWith('/redirect')) res.writeHead(302, { location: `${stack.receiver.url}/landing` }).end();
      else res.writeHead(200).end();
    };
    await createWebhook(stack, key, { url: `${stack.receiver.url}/redirect`, retrySchedule: { delays: ['1s'] } });
    const event = await postEvent(stack, key, 'prospect.qualified');
    const delivery = await waitForDelivery(stack, key, event.id, ['failed']);
    expect(delivery.attempts.map((a: { statusCode: number; errorClass: string }) => [a.statusCode, a.errorClass])).toEqual([
      [302, 'redirect'],
      [302, 'redirect'],
    ]);
    expect(stack.receiver.at('/landing')).toHaveLength(0);
  });

  test('429 with Retry-After is honoured over the (shorter) schedule', async () => {
    let n = 0;
    stack.receiver.respond = (_req, res) => void (++n === 1 ? res.writeHead(429, { 'retry-after': '2' }).end() : res.writeHead(200).end());
    await createWebhook(stack, key, { url: `${stack.receiver.url}/limited` });
    const event = await postEvent(stack, key, 'prospect.qualified');
    await waitForDelivery(stack, key, event.id, ['succeeded']);
    const [gap] = gaps(stack.receiver.at('/limited'));
    expect(gap).toBeGreaterThanOrEqual(1_990);
    expect(gap).toBeLessThan(2_000 + SLACK_MS);
  });

  test('a receiver that never answers is cut off at the attempt timeout', async () => {
    stack.receiver.respond = () => undefined; // never responds
    await createWebhook(stack, key, { url: `${stack.receiver.url}/hang`, retrySchedule: { delays: [] } });
    const event = await postEvent(stack, key, 'prospect.qualified');
    const delivery = await waitForDelivery(stack, key, event.id, ['failed']);
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0].errorClass).toBe('timeout');
    expect(delivery.attempts[0].durationMs).toBeGreaterThanOrEqual(1_900);
    expect(delivery.attempts[0].durationMs).toBeLessThan(4_000);
  });

  test('an oversized response body is stored truncated at 64 KB', async () => {
    stack.receiver.respond = (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(300 * 1024));
    await createWebhook(stack, key, { url: `${stack.receiver.url}/big` });
    const event = await postEvent(stack, key, 'prospect.qualified');
    const delivery = await waitForDelivery(stack, key, event.id, ['succeeded']);
    expect(delivery.attempts[0].responseTruncated).toBe(true);
    expect(delivery.attempts[0].responseBody.length).toBe(64 * 1024);
  });

  test('disabling a webhook while retries are pending cancels them: no further calls', async () => {
    stack.receiver.respond = (_req, res) => void res.writeHead(500).end();
    const wh = await createWebhook(stack, key, { url: `${stack.receiver.url}/cancel-me`, retrySchedule: { delays: ['60s'] } }); // 3 s scaled
    const event = await postEvent(stack, key, 'prospect.qualified');
    await waitFor(() => stack.receiver.at('/cancel-me').length === 1, { what: 'first attempt' });
    expect((await stack.call('POST', `/v1/webhooks/${wh.id}/disable`, { key })).status).toBe(200);
    const delivery = await waitForDelivery(stack, key, event.id, ['cancelled']);
    await new Promise((r) => setTimeout(r, 3_500));
    expect(stack.receiver.at('/cancel-me')).toHaveLength(1);
    expect(delivery.status).toBe('cancelled');
  });

  test('deleting a webhook while retries are pending: no further calls', async () => {
    stack.receiver.respond = (_req, res) => void res.writeHead(500).end();
    const wh = await createWebhook(stack, key, { url: `${stack.receiver.url}/delete-me`, retrySchedule: { delays: ['60s'] } });
    await postEvent(stack, key, 'prospect.qualified');
    await waitFor(() => stack.receiver.at('/delete-me').length === 1, { what: 'first attempt' });
    expect((await stack.call('DELETE', `/v1/webhooks/${wh.id}`, { key })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 3_500));
    expect(stack.receiver.at('/delete-me')).toHaveLength(1);
    const row = await stack.db.selectFrom('deliveries').select('status').where('webhook_id', '=', wh.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('cancelled');
  });
});

describe('extended schedule', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { HOOKFERRY_RETRY_DELAY_SCALE: '0.001' }, respond: (_req, res) => void res.writeHead(500).end() });
  });
  afterAll(async () => stack?.stop());

  test('immediate, then 1 min, 5 min, 30 min, 2 h (scaled ×0.001)', async () => {
    const { apiKey } = await stack.createTeam();
    await createWebhook(stack, apiKey, { url: `${stack.receiver.url}/ext`, retrySchedule: 'extended' });
    const event = await postEvent(stack, apiKey, 'call.ended', { call_id: 'call_1' });
    await waitForDelivery(stack, apiKey, event.id, ['failed'], { timeoutMs: 40_000 });
    const requests = stack.receiver.at('/ext');
    expect(requests).toHaveLength(5);
    const expected = [60, 300, 1_800, 7_200];
    gaps(requests).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(gap).toBeLessThan(expected[i]! * 1.1 + SLACK_MS);
    });
  });
});
