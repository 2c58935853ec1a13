import { createWebhook, postEvent } from '../helpers/fixtures';
import { startPrivateTemporal, type PrivateTemporal } from '../helpers/privateTemporal';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';

// Scenario 3: the Temporal server (a dev server of this test's own, its state in a SQLite
// file) is SIGKILLed in the middle of a burst while delivery retries are pending, and started
// again on the same file and port. The worker is a real process (with its reconciler, as in
// production); it and the API's client reconnect by themselves.
jest.setTimeout(180_000);

const OUTAGE_MS = 8_000;

let temporal: PrivateTemporal;
let stack: Stack;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  temporal = await startPrivateTemporal();
  stack = await startStack({ env: { TEMPORAL_ADDRESS: temporal.address }, noWorker: true });
  worker = await spawnWorker(stack.config);
});
afterAll(async () => {
  await worker?.kill();
  await stack?.stop();
  await temporal?.destroy();
});

test('Temporal server killed mid-burst with retries pending: workflows resume after restart, no delivery lost', async () => {
  const team = await stack.createTeam({ credits: 10_000 });
  // Every delivery fails twice, then succeeds. Its retries wait 60 s × 0.05 = 3 s: retry timers
  // are pending inside Temporal when it dies.
  const postsById = new Map<string, number>();
  stack.receiver.respond = (req, res) => {
    const id = req.headers['webhook-id']!;
    const n = (postsById.get(id) ?? 0) + 1;
    postsById.set(id, n);
    res.writeHead(n <= 2 ? 500 : 200).end();
  };
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/t`, retrySchedule: { delays: ['60s', '60s', '60s'] } });

  const eventIds: string[] = [];
  for (let i = 0; i < 40; i++) eventIds.push((await postEvent(stack, team.apiKey, 'message.sent', { i })).id);
  await waitFor(() => postsById.size >= 30, { timeoutMs: 30_000, what: 'first attempts of the burst' });
  const postsAtKill = stack.receiver.at('/t').length;
  const retriesPendingAtKill = [...postsById.values()].filter((n) => n < 3).length;
  await temporal.kill('SIGKILL');
  const killedAt = Date.now();

  // Ingestion while Temporal is down: the event is stored and accepted (202) at once; the
  // worker's reconciler dispatches it once Temporal is back.
  const during = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const t = Date.now();
      const res = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'message.sent', data: { during: i } } });
      return { status: res.status, ms: Date.now() - t, id: res.body?.id as string };
    }),
  );
  for (const d of during) {
    expect(d.status).toBe(202);
    // Answered once stored: the unreachable Temporal server is not waited for.
    expect(d.ms).toBeLessThan(3_000);
    eventIds.push(d.id);
  }
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - killedAt)));
  const postsDuringOutage = stack.receiver.at('/t').length - postsAtKill;
  await temporal.start();
  const restartedAt = Date.now();

  const deliveries = await waitFor(
    async () => {
      const rows = await stack.db.selectFrom('deliveries').select(['id', 'event_id', 'status', 'attempt_count']).where('team_id', '=', team.id).execute();
      return rows.length === eventIds.length && rows.every((r) => r.status === 'succeeded') ? rows : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500, what: `all ${eventIds.length} deliveries to succeed after the restart` },
  );
  const drainedMs = Date.now() - restartedAt;

  expect(new Set(deliveries.map((d) => d.event_id))).toEqual(new Set(eventIds));
  // Each delivery followed its schedule across the restart: 500, 500, then 200 — every POST the
  // receiver saw is a recorded attempt, and nothing was charged twice.
  const attempts = await stack.db
    .selectFrom('delivery_attempts')
    .select(['delivery_id', 'status_code', 'succeeded'])
    .where('delivery_id', 'in', deliveries.map((d) => d.id))
    .orderBy('delivery_id')
    .orderBy('attempt_number')
    .execute();
  for (const d of deliveries) {
    const mine = attempts.filter((a) => a.delivery_id === d.id);
    expect(mine.map((a) => a.status_code)).toEqual([500, 500, 200]);
    expect(postsById.get(d.id)).toBe(3);
  }
  const ledger = await stack.db.selectFrom('credit_ledger').select('delivery_id').where('team_id', '=', team.id).where('reason', '=', 'delivery').execute();
  expect(ledger).toHaveLength(eventIds.length);
  expect(new Set(ledger.map((l) => l.delivery_id)).size).toBe(eventIds.length);
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(10_000 - 2 * eventIds.length);
  expect(worker!.process.exitCode).toBeNull();

  console.log(
    [
      `temporal restart: server SIGKILLed after ${postsAtKill} POSTs of a 40-event burst, ${retriesPendingAtKill} deliveries with retries pending; down ${OUTAGE_MS} ms (${postsDuringOutage} POSTs meanwhile)`,
      `  ingest while down: ${during.map((d) => `${d.status} in ${d.ms} ms`).join(', ')}`,
      `  after restart on the same SQLite file: all ${deliveries.length} deliveries succeeded in ${drainedMs} ms, each with attempts 500/500/200; ${ledger.length} charges`,
    ].join('\n'),
  );
});
