import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { createReconciler } from '../../src/services/reconciler';
import { createWebhook } from '../helpers/fixtures';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/privatePostgres';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';

// Scenario 2: PostgreSQL really stopped (`pg_ctl stop -m fast`) for 20 s while events are being
// ingested and delivered. The cluster is this test's own (initdb in a temp dir, own port), so
// stopping it disturbs nobody. The worker is a real process with its reconciler, as in
// production.
jest.setTimeout(240_000);

const OUTAGE_MS = 20_000;
const REQUEST_TIMEOUT_MS = 15_000;

let pg: PrivatePostgres;
let stack: Stack;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  // Scaled exponential schedule (50/100/200 ms): only infrastructure errors may delay a delivery.
  stack = await startStack({ env: { DATABASE_URL: pg.url }, noWorker: true });
  worker = await spawnWorker(stack.config);
});
afterAll(async () => {
  await worker?.kill();
  await stack?.stop();
  pg?.destroy();
});

interface Outcome {
  key: string;
  i: number;
  status: number;
  id?: string;
  code?: string;
  retryAfter?: string | null;
  ms: number;
  phase: 'before' | 'outage' | 'after';
}

async function ingest(apiKey: string, idempotencyKey: string, i: number): Promise<Omit<Outcome, 'phase' | 'key' | 'i'>> {
  const started = Date.now();
  try {
    const res = await fetch(`${stack.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify({ event: 'message.sent', data: { i } }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => undefined)) as { id?: string; error?: { code: string } } | undefined;
    return { status: res.status, id: body?.id, code: body?.error?.code, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
  } catch (err) {
    return { status: 0, code: `client: ${(err as Error).name}`, ms: Date.now() - started };
  }
}

test('PostgreSQL down for 20 s: 503 database_unavailable for writes, never a 202 for an unstored event; deliveries resume; nothing lost', async () => {
  const team = await stack.createTeam({ credits: 100_000 });
  let answered = 0;
  stack.receiver.respond = (_req, res) => {
    // A slow receiver, so POSTs are in flight when the database goes away.
    setTimeout(() => {
      answered++;
      res.writeHead(200).end('ok');
    }, 150);
  };
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/pg` });

  const outcomes: Outcome[] = [];
  let phase: Outcome['phase'] = 'before';
  let stopLoad = false;
  let n = 0;
  const runId = randomBytes(4).toString('hex');
  // Four clients posting continuously (bounded in count and time).
  const loadDeadline = Date.now() + 60_000;
  const clients = Array.from({ length: 4 }, async () => {
    while (!stopLoad && Date.now() < loadDeadline && n < 3_000) {
      const i = n++;
      const key = `pg-${runId}-${i}`;
      const p = phase;
      const o = await ingest(team.apiKey, key, i);
      outcomes.push({ ...o, key, i, phase: p });
      // Like a real client: a short pause after a 202, a longer back-off after a 503.
      await sleep(o.status === 202 ? 100 : 500);
    }
  });

  await sleep(4_000);
  await waitFor(() => answered > 0, { what: 'deliveries flowing before the outage' });
  const inFlightAtStop = outcomes.filter((o) => o.status === 202).length - answered;
  pg.stop('fast');
  phase = 'outage';
  const stoppedAt = Date.now();

  // Other writes during the outage are refused the same way.
  const hookDuringOutage = await stack.call('POST', '/v1/webhooks', { key: team.apiKey, body: { name: 'x', url: `${stack.receiver.url}/x`, events: ['*'] } });
  expect(hookDuringOutage.status).toBe(503);
  expect(hookDuringOutage.body.error.code).toBe('database_unavailable');
  expect(hookDuringOutage.headers.get('retry-after')).toBeTruthy();

  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
  pg.start();
  phase = 'after';
  const restartedAt = Date.now();
  await sleep(5_000);
  stopLoad = true;
  await Promise.all(clients);

  const during = outcomes.filter((o) => o.phase === 'outage');
  const refused = outcomes.filter((o) => o.status !== 202);
  // Every answer is either 202 or 503 database_unavailable with Retry-After; no 500s, no hangs.
  for (const o of refused) {
    expect({ status: o.status, code: o.code }).toEqual({ status: 503, code: 'database_unavailable' });
    expect(o.retryAfter).toBe('5');
  }
  expect(during.filter((o) => o.status === 503).length).toBeGreaterThan(10);
  expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(REQUEST_TIMEOUT_MS);

  // The clients retry what was refused (same body, same Idempotency-Key) once the database is back.
  const retried: Outcome[] = [];
  const queue = [...refused];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let o = queue.shift(); o; o = queue.shift()) retried.push({ ...(await ingest(team.apiKey, o.key, o.i)), key: o.key, i: o.i, phase: 'after' });
    }),
  );
  expect(retried.filter((r) => r.status !== 202)).toEqual([]);

  const accepted = new Map<string, string>(); // idempotency key -> event id
  for (const o of [...outcomes, ...retried]) {
    if (o.status !== 202) continue;
    const before = accepted.get(o.key);
    if (before) expect(o.id).toBe(before); // a replay names the same event
    accepted.set(o.key, o.id!);
  }
  expect(accepted.size).toBe(outcomes.length);

  // Every 202 names a stored event, and nothing else was stored.
  const stored = await stack.db.selectFrom('events').select(['id', 'idempotency_key']).where('team_id', '=', team.id).execute();
  const storedIds = new Set(stored.map((e) => e.id));
  const acceptedIds = new Set(accepted.values());
  for (const id of acceptedIds) expect(storedIds.has(id)).toBe(true);
  expect(stored.length).toBe(acceptedIds.size);

  // Every accepted event gets its delivery, the receiver saw each, each is charged once.
  const total = acceptedIds.size;
  const succeeded = await waitFor(
    async () => {
      const row = await stack.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('team_id', '=', team.id).where('status', '=', 'succeeded').executeTakeFirstOrThrow();
      return Number(row.n) === total ? Number(row.n) : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500, what: `${total} deliveries to succeed` },
  );
  const drainedMs = Date.now() - restartedAt;
  const deliveries = await stack.db.selectFrom('deliveries').select(['id', 'event_id', 'status']).where('team_id', '=', team.id).execute();
  expect(new Set(deliveries.map((d) => d.event_id))).toEqual(acceptedIds);
  const seen = stack.receiver.at('/pg').map((r) => r.headers['webhook-id']);
  const seenSet = new Set(seen);
  for (const d of deliveries) expect(seenSet.has(d.id)).toBe(true);
  for (const id of seenSet) expect(deliveries.some((d) => d.id === id)).toBe(true);
  const ledger = await stack.db.selectFrom('credit_ledger').select(['delivery_id']).where('team_id', '=', team.id).where('reason', '=', 'delivery').execute();
  expect(ledger).toHaveLength(total);
  expect(new Set(ledger.map((l) => l.delivery_id)).size).toBe(total);
  const balance = (await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance;
  expect(balance).toBe(100_000 - 2 * total);

  // The worker process rode out the outage (an unhandled pg client 'error' event would have killed it).
  expect(worker!.process.exitCode).toBeNull();
  expect(worker!.process.signalCode).toBeNull();

  const lat = (os: Outcome[]) => (os.length ? `${Math.max(...os.map((o) => o.ms))} ms max` : '-');
  console.log(
    [
      `postgres outage: ${outcomes.length} ingest requests (${outcomes.filter((o) => o.phase === 'before').length} before, ${during.length} during, ${outcomes.filter((o) => o.phase === 'after').length} after the 20 s outage)`,
      `  during: ${during.filter((o) => o.status === 202).length} × 202, ${during.filter((o) => o.status === 503).length} × 503 database_unavailable (${lat(during)}); ${refused.length} refused in all, retried with the same Idempotency-Key: all 202`,
      `  ~${inFlightAtStop} deliveries in flight when PostgreSQL stopped; ${succeeded} deliveries succeeded, all ${total} events delivered ${drainedMs} ms after restart`,
      `  receiver saw ${seen.length} POSTs for ${seenSet.size} webhook-ids (${seen.length - seenSet.size} duplicates, same webhook-id); ledger ${ledger.length} charges; balance ${balance}`,
    ].join('\n'),
  );
});

test('an event whose "planned" mark was lost is not delivered again by the reconciler', async () => {
  const team = await stack.createTeam({ credits: 100 });
  stack.receiver.respond = (req, res) => void res.writeHead(req.path.startsWith('/lost-mark-fail') ? 500 : 200).end();
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/lost-mark-ok` });
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/lost-mark-fail`, retrySchedule: { delays: [] } });
  const res = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'message.sent', data: {} } });
  expect(res.status).toBe(202);
  const finished = () =>
    stack.db.selectFrom('deliveries').select(['id', 'status']).where('event_id', '=', res.body.id).where('status', 'in', ['succeeded', 'failed']).execute();
  await waitFor(async () => (await finished()).length === 2, { timeoutMs: 30_000, what: 'both deliveries finished' });
  const before = { ok: stack.receiver.at('/lost-mark-ok').length, fail: stack.receiver.at('/lost-mark-fail').length };

  // What a crash between dispatching and marking the event planned would leave behind.
  await stack.db.updateTable('events').set({ planned_at: null, created_at: new Date(Date.now() - 60_000) }).where('id', '=', res.body.id).execute();
  // The reconciler (the worker process runs one too; either may get there first) runs the
  // event's dispatch workflow again: it re-plans, finds both deliveries finished, sends nothing.
  const { dispatch_workflow_id: dispatchId } = await stack.db.selectFrom('events').select('dispatch_workflow_id').where('id', '=', res.body.id).executeTakeFirstOrThrow();
  const reconciler = createReconciler({ db: stack.db, config: { ...stack.config, reconcileMarginMs: 1_000 }, temporal: stack.client, log: pino({ level: 'silent' }) });
  await reconciler.reconcile();
  await waitFor(async () => (await stack.db.selectFrom('events').select('planned_at').where('id', '=', res.body.id).executeTakeFirstOrThrow()).planned_at !== null, {
    what: 'the event planned again',
  });
  // The re-run (the newest run of the same workflow id) has ended: nothing more will be sent.
  expect(await stack.client.workflow.getHandle(dispatchId!).result()).toEqual({ deliveries: 2 });
  expect({ ok: stack.receiver.at('/lost-mark-ok').length, fail: stack.receiver.at('/lost-mark-fail').length }).toEqual(before);
  expect((await finished()).map((d) => d.status).sort()).toEqual(['failed', 'succeeded']);
  const ledger = await stack.db.selectFrom('credit_ledger').select('delivery_id').where('team_id', '=', team.id).where('reason', '=', 'delivery').execute();
  expect(ledger).toHaveLength(1);
});
