import type http from 'node:http';
import { createWebhook } from '../helpers/fixtures';
import type { ReceivedRequest } from '../helpers/receiver';
import { startStack, type Stack } from '../helpers/stack';
import { sleep } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';
import { rssMb } from './processes';

// Scenario 6: SOAK_DELIVERIES (50,000) deliveries through the real stack (worker as its own
// process), to TEAMS × WEBHOOKS_PER_TEAM receivers of which 20% fail at random (500, 503 or a
// TCP reset on half their requests). Every event fans out to its team's webhooks. At the end,
// the accounting: every delivery terminal; per delivery, the recorded attempts match the
// receiver's log one for one; successes charged exactly once, failures never; balances match.

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const DELIVERIES = env('SOAK_DELIVERIES', 50_000);
const TEAMS = env('SOAK_TEAMS', 10);
const WEBHOOKS_PER_TEAM = env('SOAK_WEBHOOKS_PER_TEAM', 10);
const FLAKY_FRACTION = 0.2;
const FLAKY_FAILURE_P = 0.5;
const MAX_BACKLOG = env('SOAK_MAX_BACKLOG', 3_000); // deliveries not yet terminal before ingestion pauses
const TIMEOUT_S = env('SOAK_TIMEOUT_S', 7_200);
const INGEST_CONCURRENCY = 8;
const ATTEMPTS = 4; // the exponential schedule: first attempt + 3 retries
const EVENTS_PER_TEAM = Math.ceil(DELIVERIES / (TEAMS * WEBHOOKS_PER_TEAM));

jest.setTimeout(TIMEOUT_S * 1_000 + 300_000);

interface Seen {
  posts: number;
  ok: number;
  path: string;
}
const seen = new Map<string, Seen>();
const flakyPaths = new Set<string>();
let stack: Stack;
let worker: WorkerProcess;

function respond(req: ReceivedRequest, res: http.ServerResponse): void {
  // The receiver's log: POSTs and 2xx answers per webhook-id (the requests themselves are dropped
  // to keep this process's memory flat over 50,000+ requests).
  stack.receiver.requests.length = 0;
  const id = req.headers['webhook-id'] ?? '(none)';
  const s = seen.get(id) ?? { posts: 0, ok: 0, path: req.path };
  seen.set(id, s);
  s.posts++;
  if (flakyPaths.has(req.path) && Math.random() < FLAKY_FAILURE_P) {
    const r = Math.random();
    if (r < 0.4) res.writeHead(500).end('random failure');
    else if (r < 0.7) res.writeHead(503).end();
    else res.socket?.resetAndDestroy();
    return;
  }
  s.ok++;
  res.writeHead(200).end('ok');
}

beforeAll(async () => {
  const soakEnv = { HOOKFERRY_RATE_LIMIT_PER_MINUTE: '0', HOOKFERRY_ATTEMPT_TIMEOUT_MS: '10000', HOOKFERRY_FAILURE_THRESHOLD: '1000000000' };
  stack = await startStack({ noWorker: true, respond, env: soakEnv });
  worker = await spawnWorker(stack.config, soakEnv);
});
afterAll(async () => {
  await worker?.kill();
  await stack?.stop();
});

async function countByStatus(teamIds: string[]): Promise<Record<string, number>> {
  const rows = await stack.db
    .selectFrom('deliveries')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('team_id', 'in', teamIds)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
const terminal = (c: Record<string, number>) => (c.succeeded ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0);

test(`soak: ${DELIVERIES} deliveries, 20% of receivers failing at random; the accounting balances`, async () => {
  const started = Date.now();
  const credits = 2 * EVENTS_PER_TEAM * WEBHOOKS_PER_TEAM + 1_000;
  const teams: Array<{ id: string; apiKey: string }> = [];
  const webhookPath = new Map<string, string>(); // webhook id -> receiver path
  let w = 0;
  for (let t = 0; t < TEAMS; t++) {
    const team = await stack.createTeam({ credits, name: `soak-${t}` });
    teams.push(team);
    for (let k = 0; k < WEBHOOKS_PER_TEAM; k++, w++) {
      const path = `/soak/${w}`;
      if (w % Math.round(1 / FLAKY_FRACTION) === 0) flakyPaths.add(path);
      const hook = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}${path}` });
      webhookPath.set(hook.id, path);
    }
  }
  const teamIds = teams.map((t) => t.id);
  const expectedDeliveries = EVENTS_PER_TEAM * TEAMS * WEBHOOKS_PER_TEAM;

  // Ingest, pausing while more than MAX_BACKLOG deliveries are unfinished.
  const eventIds: string[] = [];
  let next = 0;
  let rejected = 0;
  let lastProgress = Date.now();
  let lastTerminal = 0;
  let refreshing: Promise<void> | undefined;
  const progress = (c: Record<string, number>) =>
    `${((Date.now() - started) / 1000).toFixed(0)} s: ${eventIds.length}/${EVENTS_PER_TEAM * TEAMS} events, deliveries ${JSON.stringify(c)}, worker RSS ${rssMb(worker.process.pid!)} MB`;
  const refresh = () =>
    (refreshing ??= (async () => {
      const c = await countByStatus(teamIds);
      lastTerminal = terminal(c);
      if (Date.now() - lastProgress > 30_000) {
        lastProgress = Date.now();
        console.log(progress(c));
      }
    })().finally(() => (refreshing = undefined)));
  const backlog = () => eventIds.length * WEBHOOKS_PER_TEAM - lastTerminal;
  await Promise.all(
    Array.from({ length: INGEST_CONCURRENCY }, async () => {
      for (let i = next++; i < EVENTS_PER_TEAM * TEAMS; i = next++) {
        if (i % 50 === 0) await refresh();
        for (let guard = 0; backlog() > MAX_BACKLOG && guard < TIMEOUT_S; guard++) {
          await sleep(1_000);
          await refresh();
        }
        const team = teams[i % TEAMS]!;
        for (let attempt = 0; attempt < 20; attempt++) {
          const res = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'message.sent', data: { i } }, headers: { 'idempotency-key': `soak-${i}` } });
          if (res.status === 202) {
            eventIds.push(res.body.id);
            break;
          }
          rejected++;
          await sleep(1_000 * Number(res.headers.get('retry-after') ?? 1));
        }
      }
    }),
  );
  const ingestedAt = Date.now();
  expect(eventIds.length).toBe(EVENTS_PER_TEAM * TEAMS);

  // Wait until every delivery is terminal.
  const deadline = started + TIMEOUT_S * 1_000;
  let counts = await countByStatus(teamIds);
  while ((terminal(counts) < expectedDeliveries || Object.values(counts).reduce((a, b) => a + b, 0) < expectedDeliveries) && Date.now() < deadline) {
    await sleep(5_000);
    counts = await countByStatus(teamIds);
    if (Date.now() - lastProgress > 30_000) {
      lastProgress = Date.now();
      console.log(progress(counts));
    }
  }
  const finishedAt = Date.now();
  await sleep(2_000); // let the last answers' bookkeeping settle

  // ---- The accounting ----
  const deliveries = await stack.db.selectFrom('deliveries').select(['id', 'event_id', 'webhook_id', 'status', 'attempt_count']).where('team_id', 'in', teamIds).execute();
  const attemptRows = await stack.db
    .selectFrom('delivery_attempts as a')
    .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
    .select(['a.delivery_id', 'a.succeeded', 'a.error_class', 'a.status_code'])
    .where('d.team_id', 'in', teamIds)
    .execute();
  const ledger = await stack.db.selectFrom('credit_ledger').select(['delivery_id', 'delta']).where('team_id', 'in', teamIds).where('reason', '=', 'delivery').execute();
  const balances = await stack.db.selectFrom('teams').select(['id', 'credit_balance']).where('id', 'in', teamIds).execute();

  const attemptsBy = new Map<string, { n: number; ok: number }>();
  const classes = new Map<string, number>();
  for (const a of attemptRows) {
    const x = attemptsBy.get(a.delivery_id) ?? { n: 0, ok: 0 };
    x.n++;
    if (a.succeeded) x.ok++;
    attemptsBy.set(a.delivery_id, x);
    const cls = a.succeeded ? 'ok' : (a.error_class ?? 'http_status') + (a.status_code ? ` ${a.status_code}` : '');
    classes.set(cls, (classes.get(cls) ?? 0) + 1);
  }
  const charges = new Map<string, number>();
  for (const l of ledger) charges.set(l.delivery_id!, (charges.get(l.delivery_id!) ?? 0) + 1);

  const problems: string[] = [];
  const problem = (s: string) => problems.length < 20 && problems.push(s);
  const byEvent = new Map<string, number>();
  for (const d of deliveries) byEvent.set(d.event_id, (byEvent.get(d.event_id) ?? 0) + 1);
  for (const id of eventIds) if (byEvent.get(id) !== WEBHOOKS_PER_TEAM) problem(`event ${id} has ${byEvent.get(id) ?? 0} deliveries`);
  const status = { succeeded: 0, failed: 0, cancelled: 0, other: 0 };
  let succeededFirstTry = 0;
  let duplicatesAtReceiver = 0;
  for (const d of deliveries) {
    const a = attemptsBy.get(d.id) ?? { n: 0, ok: 0 };
    const r = seen.get(d.id) ?? { posts: 0, ok: 0, path: '' };
    const c = charges.get(d.id) ?? 0;
    if (r.path && r.path !== webhookPath.get(d.webhook_id)) problem(`${d.id}: POSTed to ${r.path}, webhook is at ${webhookPath.get(d.webhook_id)}`);
    if (a.n !== r.posts) problem(`${d.id} (${d.status}): ${a.n} attempts recorded, receiver saw ${r.posts} POSTs`);
    if (a.n !== d.attempt_count) problem(`${d.id}: attempt_count ${d.attempt_count}, ${a.n} attempt rows`);
    if (d.status === 'succeeded') {
      status.succeeded++;
      if (a.ok !== 1 || r.ok < 1) problem(`${d.id} succeeded: ${a.ok} successful attempts recorded, receiver answered 2xx ${r.ok}×`);
      if (c !== 1) problem(`${d.id} succeeded, charged ${c}×`);
      if (a.n === 1) succeededFirstTry++;
      duplicatesAtReceiver += r.ok - 1;
    } else if (d.status === 'failed') {
      status.failed++;
      if (a.n !== ATTEMPTS || a.ok !== 0 || r.ok !== 0) problem(`${d.id} failed: ${a.n} attempts (${a.ok} ok), receiver answered 2xx ${r.ok}×`);
      if (c !== 0) problem(`${d.id} failed, charged ${c}×`);
    } else if (d.status === 'cancelled') {
      status.cancelled++;
      if (c !== 0) problem(`${d.id} cancelled, charged ${c}×`);
    } else {
      status.other++;
      problem(`${d.id} not terminal: ${d.status}`);
    }
    if (!flakyPaths.has(webhookPath.get(d.webhook_id)!) && (d.status !== 'succeeded' || a.n !== 1)) problem(`${d.id} to a healthy receiver: ${d.status} after ${a.n} attempts`);
  }
  const known = new Set(deliveries.map((d) => d.id));
  const strangers = [...seen.keys()].filter((id) => !known.has(id));
  if (strangers.length) problem(`receiver saw ${strangers.length} webhook-ids that are no delivery: ${strangers.slice(0, 3).join(', ')}`);
  const receiverPosts = [...seen.values()].reduce((n, s) => n + s.posts, 0);
  const receiverOk = [...seen.values()].reduce((n, s) => n + s.ok, 0);
  const succeededByTeam = new Map<string, number>();
  const teamOfDelivery = await stack.db.selectFrom('deliveries').select(['id', 'team_id']).where('team_id', 'in', teamIds).where('status', '=', 'succeeded').execute();
  for (const d of teamOfDelivery) succeededByTeam.set(d.team_id, (succeededByTeam.get(d.team_id) ?? 0) + 1);
  for (const b of balances) {
    const expected = credits - 2 * (succeededByTeam.get(b.id) ?? 0);
    if (Number(b.credit_balance) !== expected) problem(`team ${b.id}: balance ${b.credit_balance}, expected ${expected}`);
  }
  const flakyDeliveries = deliveries.filter((d) => flakyPaths.has(webhookPath.get(d.webhook_id)!));

  const secs = (ms: number) => (ms / 1000).toFixed(0);
  console.log(
    [
      `SOAK ACCOUNTING — ${eventIds.length} events × ${WEBHOOKS_PER_TEAM} webhooks (${TEAMS} teams; ${flakyPaths.size} of ${w} receivers fail ${FLAKY_FAILURE_P * 100}% of requests at random: 500/503/reset)`,
      `  time: ingested in ${secs(ingestedAt - started)} s, all terminal after ${secs(finishedAt - started)} s (${(deliveries.length / ((finishedAt - started) / 1000)).toFixed(1)} deliveries/s overall); ${rejected} ingest requests refused and retried`,
      `  deliveries: ${deliveries.length} (expected ${expectedDeliveries}) — succeeded ${status.succeeded} (${succeededFirstTry} on the first attempt), failed ${status.failed}, cancelled ${status.cancelled}, not terminal ${status.other}`,
      `    to flaky receivers: ${flakyDeliveries.length} — succeeded ${flakyDeliveries.filter((d) => d.status === 'succeeded').length}, failed ${flakyDeliveries.filter((d) => d.status === 'failed').length} (expected failure rate ${(FLAKY_FAILURE_P ** ATTEMPTS * 100).toFixed(2)}%)`,
      `  attempts recorded: ${attemptRows.length}; receiver log: ${receiverPosts} POSTs, ${receiverOk} answered 2xx, for ${seen.size} webhook-ids (${duplicatesAtReceiver} duplicate successful deliveries)`,
      `    attempt outcomes: ${[...classes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
      `  credit ledger: ${ledger.length} delivery charges (${ledger.reduce((n, l) => n + Number(l.delta), 0)} credits) for ${status.succeeded} successful deliveries; ${balances.length} team balances checked`,
      `  worker RSS at the end ${rssMb(worker.process.pid!)} MB; problems: ${problems.length === 0 ? 'none' : `\n    ${problems.join('\n    ')}`}`,
    ].join('\n'),
  );
  expect(problems).toEqual([]);
  expect(deliveries.length).toBe(expectedDeliveries);
  expect(status.other).toBe(0);
  expect(attemptRows.length).toBe(receiverPosts);
  expect(ledger.length).toBe(status.succeeded);
  expect(worker.process.exitCode).toBeNull();
});
