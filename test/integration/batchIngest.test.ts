import { createWebhook, verifySignatures, waitForDispatch } from '../helpers/fixtures';
import { startStack, TEST_ADMIN_KEY, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

// POST /v1/events/batch: up to 100 events in one transaction, each answered on its own.

describe('batch ingestion', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { HOOKFERRY_MAX_PAYLOAD_BYTES: String(16 * 1024) } });
  });
  afterAll(async () => stack?.stop());

  test('a batch of 100 stores and delivers each event once; a bad item is refused alone, with the code a single request gets', async () => {
    const team = await stack.createTeam({ credits: 1_000 });
    const hook = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/batch`, events: ['message.*'] });
    const earlier = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'message.sent', data: { n: 'earlier' } }, headers: { 'idempotency-key': 'seen-before' } });
    expect(earlier.status).toBe(202);

    const events: unknown[] = Array.from({ length: 100 }, (_, i) => ({ event: 'message.sent', data: { i } }));
    events[3] = { event: 'nope.nothing', data: {} }; // unknown type
    events[7] = { event: 'message.sent', data: [1, 2] }; // not an object
    events[11] = 'not an event';
    events[13] = { event: 'message.sent', data: { blob: 'x'.repeat(17 * 1024) } }; // over the payload limit
    events[20] = { event: 'message.sent', data: { n: 'earlier' }, idempotencyKey: 'seen-before' }; // replay of an earlier request
    events[30] = { event: 'message.sent', data: { twice: true }, id: 'in-batch' };
    events[31] = { event: 'message.sent', data: { twice: true }, idempotencyKey: 'in-batch' }; // same key, same body: a replay
    events[32] = { event: 'message.sent', data: { twice: false }, idempotencyKey: 'in-batch' }; // same key, another body
    events[40] = { event: 'message.sent', data: {}, idempotencyKey: 'bad key with spaces' };

    const res = await stack.call('POST', '/v1/events/batch', { key: team.apiKey, body: { events } });
    expect(res.status).toBe(207);
    const results: Array<{ index: number; status: number; id?: string; replayed?: boolean; error?: { code: string } }> = res.body.results;
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const refused = Object.fromEntries(results.filter((r) => r.status !== 202).map((r) => [r.index, [r.status, r.error!.code]]));
    expect(refused).toEqual({
      3: [400, 'unknown_event_type'],
      7: [400, 'validation_error'],
      11: [400, 'validation_error'],
      13: [413, 'payload_too_large'],
      32: [422, 'idempotency_key_reused'],
      40: [400, 'validation_error'],
    });
    expect(results[20]).toMatchObject({ status: 202, id: earlier.body.id, replayed: true });
    expect(results[31]).toMatchObject({ status: 202, id: results[30]!.id, replayed: true });
    expect(res.body).toMatchObject({ accepted: 92, replayed: 2, rejected: 6 });

    // Stored: exactly the accepted ones, and each is delivered once, signed.
    const accepted = results.filter((r) => r.status === 202 && !r.replayed).map((r) => r.id!);
    const stored = await stack.db.selectFrom('events').select('id').where('team_id', '=', team.id).execute();
    expect(stored.map((e) => e.id).sort()).toEqual([earlier.body.id, ...accepted].sort());
    await waitFor(async () => {
      const done = await stack.db.selectFrom('deliveries').select('id').where('team_id', '=', team.id).where('status', '=', 'succeeded').execute();
      return done.length === accepted.length + 1;
    }, { timeoutMs: 60_000, what: 'every accepted event delivered' });
    for (const id of accepted) await waitForDispatch(stack, id);
    const received = stack.receiver.at('/batch');
    expect(received).toHaveLength(accepted.length + 1);
    expect(new Set(received.map((r) => JSON.parse(r.body).id))).toEqual(new Set([earlier.body.id, ...accepted]));
    verifySignatures(received[received.length - 1]!, hook.secret);
  });

  test('a clean batch answers 202; more than 100 events, or none, is refused whole', async () => {
    const team = await stack.createTeam();
    const ok = await stack.call('POST', '/v1/events/batch', { key: team.apiKey, body: { events: [{ event: 'message.sent', data: {} }, { event: 'call.ended', data: {} }] } });
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ accepted: 2, replayed: 0, rejected: 0 });
    for (const events of [[], Array.from({ length: 101 }, () => ({ event: 'message.sent', data: {} }))]) {
      const res = await stack.call('POST', '/v1/events/batch', { key: team.apiKey, body: { events } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
    }
    const notJson = await stack.call('POST', '/v1/events/batch', { key: team.apiKey, rawBody: '{"events": [', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    const stored = await stack.db.selectFrom('events').select('id').where('team_id', '=', team.id).execute();
    expect(stored).toHaveLength(2);
  });
});

describe('batch ingestion and the rate limit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { HOOKFERRY_RATE_LIMIT_PER_MINUTE: '30' } });
  });
  afterAll(async () => stack?.stop());

  test('each event of a batch counts as a request: past the quota the rest are refused one by one with 429', async () => {
    const team = await stack.createTeam();
    const events = Array.from({ length: 40 }, (_, i) => ({ event: 'message.sent', data: { i } }));
    const res = await stack.call('POST', '/v1/events/batch', { key: team.apiKey, body: { events } });
    expect(res.status).toBe(207);
    // 30 a minute, refilling while the request runs: at least the quota, never all 40.
    const accepted = res.body.results.filter((r: { status: number }) => r.status === 202);
    const limited = res.body.results.filter((r: { status: number; error?: { code: string } }) => r.status === 429 && r.error?.code === 'rate_limited');
    expect(accepted.length).toBeGreaterThanOrEqual(30);
    expect(accepted.length + limited.length).toBe(40);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The refused ones are the last: the accepted ones come first, in order.
    expect(accepted.map((r: { index: number }) => r.index)).toEqual(Array.from({ length: accepted.length }, (_, i) => i));
    // The quota is spent: a single request now waits too.
    const single = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'message.sent', data: {} } });
    expect(single.status).toBe(429);
    const stored = await stack.db.selectFrom('events').select('id').where('team_id', '=', team.id).execute();
    expect(stored).toHaveLength(accepted.length);
  });
});

describe('API key cache', () => {
  const ttlMs = 1_500;
  let stack: Stack;
  let second: Stack;
  beforeAll(async () => {
    stack = await startStack({ noWorker: true, env: { HOOKFERRY_API_KEY_CACHE_MS: String(ttlMs) } });
    second = await startStack({ noWorker: true, env: { HOOKFERRY_API_KEY_CACHE_MS: String(ttlMs) } });
  });
  afterAll(async () => {
    await second?.stop();
    await stack?.stop();
  });

  test('a revoked key stops working at once where it was revoked, and within the cache window everywhere else', async () => {
    const team = await stack.createTeam();
    // Both instances have the key cached.
    expect((await stack.call('GET', '/v1/me', { key: team.apiKey })).status).toBe(200);
    expect((await second.call('GET', '/v1/me', { key: team.apiKey })).status).toBe(200);
    const keys = await stack.db.selectFrom('api_keys').select('id').where('team_id', '=', team.id).execute();

    const revokedAt = Date.now();
    const revoke = await stack.call('DELETE', `/admin/v1/teams/${team.id}/api-keys/${keys[0]!.id}`, { key: TEST_ADMIN_KEY });
    expect(revoke.status).toBe(204);
    expect((await stack.call('GET', '/v1/me', { key: team.apiKey })).status).toBe(401);
    // The other instance trusts its cached answer until the window has passed, never longer.
    await waitFor(() => Date.now() > revokedAt + ttlMs, { what: 'the cache window to pass' });
    expect((await second.call('GET', '/v1/me', { key: team.apiKey })).status).toBe(401);
  });
});
