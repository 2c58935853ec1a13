import { createWebhook } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { sleep } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';
import { latencySummary, rssMb, spawnApi, type ApiProcess } from './processes';

// Scenario 5: ingestion far above what the engine can deliver, for OVERLOAD_SECONDS (60 s).
// Production layout: the API and the worker are processes of their own; this process is the
// load generator and the receiver. Several "noisy" API keys hammer POST /v1/events with many
// concurrent requests, ignoring Retry-After; one "polite" key sends a few requests a second.
// Shown: the API answers every request quickly (202 or 429 with Retry-After, per key), the
// polite key is never limited, the backlog drains afterwards and nothing accepted is lost.

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SECONDS = env('OVERLOAD_SECONDS', 60);
const RATE_LIMIT = env('OVERLOAD_RATE_LIMIT', 600); // per API key per minute
const NOISY_KEYS = env('OVERLOAD_NOISY_KEYS', 3);
const CONCURRENCY = env('OVERLOAD_CONCURRENCY', 16); // in-flight requests per noisy key
const POLITE_PER_SECOND = 4;
const DRAIN_TIMEOUT_MS = env('OVERLOAD_DRAIN_TIMEOUT_S', 900) * 1_000;
const REQUEST_TIMEOUT_MS = 30_000;
const CREDITS = 1_000_000;

jest.setTimeout(SECONDS * 1_000 + DRAIN_TIMEOUT_MS + 180_000);

let stack: Stack;
let api: ApiProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  stack = await startStack({ noWorker: true, env: { HOOKFERRY_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), HOOKFERRY_ATTEMPT_TIMEOUT_MS: '10000' } });
  worker = await spawnWorker(stack.config);
  api = await spawnApi(stack.config);
});
afterAll(async () => {
  await api?.stop();
  await worker?.kill();
  await stack?.stop();
});

interface Result {
  team: string;
  status: number;
  ms: number;
  id?: string;
  retryAfter?: string | null;
  code?: string;
}

async function post(apiKey: string, team: string, i: number): Promise<Result> {
  const started = performance.now();
  try {
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'message.sent', data: { i, pad: 'x'.repeat(200) } }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => undefined)) as { id?: string; error?: { code: string } } | undefined;
    return { team, status: res.status, ms: performance.now() - started, id: body?.id, code: body?.error?.code, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    return { team, status: 0, ms: performance.now() - started, code: `client: ${(err as Error).name}` };
  }
}

async function succeededCount(teamIds: string[]): Promise<number> {
  const row = await stack.db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('team_id', 'in', teamIds)
    .where('status', '=', 'succeeded')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

test(`overload for ${SECONDS} s: bounded latency, 429 + Retry-After per key, backlog drains, nothing lost`, async () => {
  const noisy = [];
  for (let k = 0; k < NOISY_KEYS; k++) noisy.push(await stack.createTeam({ credits: CREDITS, name: `noisy-${k}` }));
  const polite = await stack.createTeam({ credits: CREDITS, name: 'polite' });
  const teams = [...noisy, polite];
  for (const t of teams) await createWebhook(stack, t.apiKey, { url: `${stack.receiver.url}/o/${t.id}` });
  const teamIds = teams.map((t) => t.id);

  const results: Result[] = [];
  const probes: number[] = [];
  const samples: Array<{ at: number; delivered: number; accepted: number }> = [];
  const t0 = Date.now();
  const deadline = t0 + SECONDS * 1_000;
  let n = 0;
  const accepted = () => results.filter((r) => r.status === 202).length;

  const noisyLoops = noisy.flatMap((t) =>
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline && n < 1_000_000) results.push(await post(t.apiKey, t.id, n++));
    }),
  );
  const politeLoop = (async () => {
    for (let i = 0; Date.now() < deadline && i < SECONDS * POLITE_PER_SECOND + 10; i++) {
      const next = t0 + (i * 1_000) / POLITE_PER_SECOND;
      await sleep(Math.max(0, next - Date.now()));
      results.push(await post(polite.apiKey, polite.id, n++));
    }
  })();
  // A read through the API once a second (authenticated, hits the database).
  const probeLoop = (async () => {
    while (Date.now() < deadline) {
      const started = performance.now();
      const res = await fetch(`${api.url}/v1/credits`, { headers: { authorization: `Bearer ${polite.apiKey}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch(() => undefined);
      await res?.arrayBuffer();
      probes.push(res?.status === 200 ? performance.now() - started : Number.POSITIVE_INFINITY);
      await sleep(1_000);
    }
  })();
  const sampler = setInterval(() => {
    void succeededCount(teamIds).then((delivered) => samples.push({ at: Date.now() - t0, delivered, accepted: accepted() })).catch(() => undefined);
  }, 1_000);
  let apiPeakRss = 0;
  const rssTimer = setInterval(() => (apiPeakRss = Math.max(apiPeakRss, rssMb(api.process.pid!))), 500);
  await Promise.all([...noisyLoops, politeLoop, probeLoop]).finally(() => {
    clearInterval(rssTimer);
    clearInterval(sampler);
  });
  const overloadMs = Date.now() - t0;
  const deliveredAtEnd = await succeededCount(teamIds);
  const acceptedTotal = accepted();

  const fmt = (l: { n: number; p50: number; p99: number; max: number }) => `n=${l.n} p50 ${l.p50.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms, max ${l.max.toFixed(0)} ms`;
  const politeResults = results.filter((r) => r.team === polite.id);
  const limited = results.filter((r) => r.status === 429);
  const unexpected = results.filter((r) => r.status !== 202 && r.status !== 429);
  const all = latencySummary(results.map((r) => r.ms));
  const politeLat = latencySummary(politeResults.map((r) => r.ms));
  const probeLat = latencySummary(probes);
  const deliveryRateDuring = deliveredAtEnd / (overloadMs / 1_000);
  const report = [
    `OVERLOAD ${SECONDS} s — ${NOISY_KEYS} noisy keys × ${CONCURRENCY} concurrent requests, 1 polite key at ${POLITE_PER_SECOND}/s; limit ${RATE_LIMIT}/min per key`,
    `  requests: ${results.length} (${(results.length / (overloadMs / 1000)).toFixed(0)}/s offered): ${acceptedTotal} × 202, ${limited.length} × 429, ${unexpected.length} other ${JSON.stringify(unexpected.slice(0, 3))}`,
    ...teams.map((t) => {
      const mine = results.filter((r) => r.team === t.id);
      return `    ${t === polite ? 'polite' : 'noisy '} ${t.id}: ${mine.length} requests, ${mine.filter((r) => r.status === 202).length} × 202, ${mine.filter((r) => r.status === 429).length} × 429`;
    }),
    `  API latency, all requests: ${fmt(all)}`,
    `  API latency, polite key:   ${fmt(politeLat)}`,
    `  GET /v1/credits probe:     ${fmt(probeLat)}; API process peak RSS ${apiPeakRss} MB`,
    `  accepted ${(acceptedTotal / (overloadMs / 1000)).toFixed(1)} events/s vs delivered ${deliveryRateDuring.toFixed(1)}/s during the overload; backlog at the end ${acceptedTotal - deliveredAtEnd}`,
  ];
  console.log(report.join('\n'));

  // Every answer was a 202 or a 429; 429s carry Retry-After and only ever hit noisy keys.
  expect(unexpected.slice(0, 5)).toEqual([]);
  for (const r of limited) {
    expect(r.code).toBe('rate_limited');
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(r.retryAfter)).toBeLessThanOrEqual(60);
  }
  expect(politeResults.filter((r) => r.status !== 202)).toEqual([]);
  for (const t of noisy) {
    const mine = results.filter((r) => r.team === t.id);
    expect(mine.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    // Token bucket: at most a full bucket plus the refill over the run.
    expect(mine.filter((r) => r.status === 202).length).toBeLessThanOrEqual(RATE_LIMIT + Math.ceil((RATE_LIMIT * overloadMs) / 60_000) + 1);
  }
  // Bounded latency, for everyone.
  expect(all.p99).toBeLessThan(2_000);
  expect(all.max).toBeLessThan(10_000);
  expect(politeLat.p99).toBeLessThan(2_000);
  expect(probeLat.max).toBeLessThan(5_000);
  // It really was overload: far more was accepted than could be delivered meanwhile.
  expect(acceptedTotal).toBeGreaterThan(deliveredAtEnd * 1.5);

  // The backlog drains; every accepted event is delivered exactly once (charged once).
  const drainStart = Date.now();
  let delivered = deliveredAtEnd;
  const drainDeadline = drainStart + DRAIN_TIMEOUT_MS;
  while (delivered < acceptedTotal && Date.now() < drainDeadline) {
    await sleep(2_000);
    delivered = await succeededCount(teamIds);
    samples.push({ at: Date.now() - t0, delivered, accepted: acceptedTotal });
  }
  const drainMs = Date.now() - drainStart;
  expect(delivered).toBe(acceptedTotal);

  const acceptedIds = new Set(results.filter((r) => r.status === 202).map((r) => r.id!));
  const events = await stack.db.selectFrom('events').select('id').where('team_id', 'in', teamIds).execute();
  expect(events.length).toBe(acceptedIds.size); // no 202 without a stored event, nothing stored that was refused
  for (const e of events) expect(acceptedIds.has(e.id)).toBe(true);
  const deliveries = await stack.db.selectFrom('deliveries').select(['id', 'event_id', 'status']).where('team_id', 'in', teamIds).execute();
  expect(deliveries.length).toBe(acceptedIds.size);
  expect(new Set(deliveries.map((d) => d.event_id)).size).toBe(acceptedIds.size);
  const seen = new Set(stack.receiver.requests.map((r) => r.headers['webhook-id']));
  const unseen = deliveries.filter((d) => !seen.has(d.id));
  expect(unseen.length).toBe(0);
  const ledger = await stack.db.selectFrom('credit_ledger').select(['delivery_id']).where('team_id', 'in', teamIds).where('reason', '=', 'delivery').execute();
  expect(ledger.length).toBe(acceptedIds.size);
  expect(new Set(ledger.map((l) => l.delivery_id)).size).toBe(acceptedIds.size);
  const balances = await stack.db.selectFrom('teams').select(['id', 'credit_balance']).where('id', 'in', teamIds).execute();
  const perTeam = (id: string) => results.filter((r) => r.team === id && r.status === 202).length;
  for (const b of balances) expect(Number(b.credit_balance)).toBe(CREDITS - 2 * perTeam(b.id));
  expect(worker.process.exitCode).toBeNull();
  expect(api.process.exitCode).toBeNull();

  const drainRate = (acceptedTotal - deliveredAtEnd) / (drainMs / 1_000);
  console.log(
    `  drained in ${(drainMs / 1000).toFixed(0)} s (${drainRate.toFixed(1)} deliveries/s); all ${acceptedTotal} accepted events delivered; receiver saw ${stack.receiver.requests.length} POSTs for ${seen.size} webhook-ids; ${ledger.length} charges, balances match`,
  );
  console.log(`overload progress every 10 s (s: delivered/accepted): ${samples.filter((_, i) => i % 10 === 0).map((s) => `${(s.at / 1000).toFixed(0)}:${s.delivered}/${s.accepted}`).join(' ')}`);
});
