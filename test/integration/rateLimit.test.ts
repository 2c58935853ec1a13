import { sql } from 'kysely';
import pino from 'pino';
import { RateLimiter } from '../../src/api/rateLimit';
import { startApi } from '../../src/api/server';
import { createDb, type Db } from '../../src/db/database';
import { startStack, type Stack } from '../helpers/stack';

// The per-key token bucket lives in PostgreSQL, so API instances share it.

describe('the token bucket', () => {
  let db: Db;
  beforeAll(() => {
    db = createDb(process.env.DATABASE_URL!, 2);
  });
  afterAll(async () => db?.destroy());

  test('a bucket per key: bursts up to the limit, then waits, then refills', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const limiter = new RateLimiter(db, 60, () => now); // one a second
    for (let i = 0; i < 60; i++) expect(await limiter.take('bucket-a')).toBe(0);
    expect(await limiter.take('bucket-a')).toBe(1_000);
    expect(await limiter.take('bucket-b')).toBe(0); // another key is unaffected
    now += 1_000;
    expect(await limiter.take('bucket-a')).toBe(0);
    expect(await limiter.take('bucket-a')).toBeGreaterThan(0);
    now += 500;
    expect(await limiter.take('bucket-a')).toBe(500); // half a token refilled while refused
  });

  test('two limiters (two API instances) draw from one bucket', async () => {
    const now = Date.parse('2030-01-02T00:00:00Z');
    const first = new RateLimiter(db, 10, () => now);
    const second = new RateLimiter(db, 10, () => now);
    const waits = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? first : second).take('shared')));
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
  });

  test('under a large quota tokens are leased a few at a time: one query serves several requests, and the bucket is debited no more than was leased', async () => {
    const now = Date.parse('2030-01-03T00:00:00Z');
    const first = new RateLimiter(db, 6_000, () => now); // leases of 10 tokens (a tenth of a second)
    const second = new RateLimiter(db, 6_000, () => now);
    for (let i = 0; i < 100; i++) expect(await first.take('leased')).toBe(0);
    const bucket = async () => Number((await sql<{ tokens: number }>`select tokens from rate_limit_buckets where key = 'leased'`.execute(db)).rows[0]!.tokens);
    expect(await bucket()).toBe(6_000 - 100);
    for (let i = 0; i < 5; i++) expect(await second.take('leased')).toBe(0);
    // The second instance leased 10 for its 5: the quota is ahead by at most one lease per instance.
    expect(await bucket()).toBe(6_000 - 110);
  });

  test('a batch takes a token per event: as many as there are, and how long until the next', async () => {
    const now = Date.parse('2030-01-04T00:00:00Z');
    const limiter = new RateLimiter(db, 10, () => now);
    expect(await limiter.takeUpTo('batch', 4)).toEqual({ granted: 4, waitMs: 0 });
    const partial = await limiter.takeUpTo('batch', 10);
    expect(partial.granted).toBe(6);
    expect(partial.waitMs).toBe(6_000); // one token every 6 s
  });

  test('0 disables the limit', async () => {
    const limiter = new RateLimiter(db, 0);
    for (let i = 0; i < 1000; i++) expect(await limiter.take('off')).toBe(0);
  });
});

describe('two API instances on one database', () => {
  const perMinute = 30; // a token every 2 s
  let stack: Stack;
  let secondDb: Db;
  let second: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => {
    stack = await startStack({ noWorker: true, env: { HOOKFERRY_RATE_LIMIT_PER_MINUTE: String(perMinute) } });
    // The second instance has a connection pool of its own, as another process would.
    secondDb = createDb(stack.config.databaseUrl, 5);
    second = await startApi({ config: stack.config, db: secondDb, temporal: stack.client, log: pino({ level: 'silent' }), port: 0 });
  });
  afterAll(async () => {
    await second?.close();
    await secondDb?.destroy();
    await stack?.stop();
  });

  const get = (baseUrl: string, key: string) => fetch(`${baseUrl}/v1/me`, { headers: { authorization: `Bearer ${key}` } });

  test('the quota of a key holds across both instances, with 429 and Retry-After above it', async () => {
    const team = await stack.createTeam();
    const other = await stack.createTeam();
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => get(i % 2 ? second.url : stack.apiUrl, team.apiKey)));
    const elapsedS = (Date.now() - started) / 1000;
    const ok = answers.filter((r) => r.status === 200);
    const limited = answers.filter((r) => r.status === 429);
    expect(ok.length + limited.length).toBe(80);
    // The burst is the quota, plus what refilled while the requests ran; per instance it would be 2 x 30.
    expect(ok.length).toBeGreaterThanOrEqual(perMinute);
    expect(ok.length).toBeLessThanOrEqual(perMinute + Math.ceil((elapsedS * perMinute) / 60));
    // Both instances refused some: each saw the other's requests.
    expect(answers.filter((r, i) => i % 2 === 0 && r.status === 429).length).toBeGreaterThan(0);
    expect(answers.filter((r, i) => i % 2 === 1 && r.status === 429).length).toBeGreaterThan(0);
    const refusal = limited[0]!;
    expect(Number(refusal.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refusal.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(((await refusal.json()) as { error: { code: string } }).error.code).toBe('rate_limited');

    // Another team's key has a bucket of its own.
    expect((await get(second.url, other.apiKey)).status).toBe(200);

    // After Retry-After, a token is there again, on either instance.
    await new Promise((r) => setTimeout(r, Number(refusal.headers.get('retry-after')) * 1000));
    expect((await get(stack.apiUrl, team.apiKey)).status).toBe(200);
    expect((await get(second.url, team.apiKey)).status).toBe(429);
  });
});
