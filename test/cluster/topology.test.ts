// `npm run test:cluster`: Hookferry in its production topology on this machine — the real
// Temporal server (built from Go modules, on PostgreSQL, started with `npm run temporal:cluster --
// start`), two API processes and two worker processes — exercised the way several instances can
// go wrong: requests spread over both API instances, a worker SIGKILLed mid-burst, the Temporal
// server killed and restarted mid-burst, the auto-disable email with two workers, the shared rate
// limit, and both workers' reconcilers racing for the same stranded work. Not part of `npm test`.
// Figures go to test-output/cluster.json.
//
// The tests share one topology and run in order; each uses a team, webhooks and receiver paths
// of its own, and leaves two workers running. Waits poll for conditions; assertions are about
// outcomes (what arrived, what was charged), never about how long something took.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { forEachConcurrently } from '../../src/concurrency';
import { ensureTemporalServerBinaries } from '../../src/temporal/server';
import { healthWorkflowId } from '../../src/temporal/names';
import { healthStateQuery } from '../../src/workflows/signals';
import { createWebhook as createWebhookThrough } from '../helpers/fixtures';
import type { ReceivedRequest } from '../helpers/receiver';
import { sleep, waitFor } from '../helpers/wait';
import { byWebhookId, RATE_LIMIT_PER_MINUTE, RECONCILE_INTERVAL_MS, startTopology, type Topology } from './topology';

const OUTPUT_DIR = path.resolve(__dirname, '../../test-output');
const figures: Record<string, unknown> = {};
let t: Topology;

beforeAll(async () => {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const buildStarted = Date.now();
  await ensureTemporalServerBinaries(['temporal-server', 'temporal-sql-tool']); // built once per machine (minutes)
  figures.binariesFoundOrBuiltMs = Date.now() - buildStarted;
  t = await startTopology({ outputDir: OUTPUT_DIR });
  figures.serverReadyMs = t.server.readyMs; // fresh databases: schema setup + start + registration
  figures.processesStartMs = t.processesStartMs;
  figures.serverMemoryIdle = t.server.memory();
}, 1_200_000);

afterAll(async () => {
  if (t) {
    figures.serverMemoryAtEnd = t.server.memory();
    figures.serverStopMs = await t.stop();
  }
  mkdirSync(OUTPUT_DIR, { recursive: true });
  writeFileSync(path.join(OUTPUT_DIR, 'cluster.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`cluster figures:\n${JSON.stringify(figures, null, 2)}`);
});

// Every test starts with two live workers, even after one that failed before putting its worker back.
afterEach(async () => {
  for (const [slot, w] of (t?.workers ?? []).entries()) if (!alive(w.process)) await t.replaceWorker(slot);
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A webhook created through API instance `api`. */
function createWebhook(api: number, apiKey: string, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  return createWebhookThrough({ call: (method, path, opts) => t.call(api, method, path, opts) }, apiKey, body);
}

/** Posts `count` events, alternating between the two API instances, `inFlight` at a time; returns their ids in order. */
async function postEvents(apiKey: string, count: number, opts: { event?: string; inFlight?: number } = {}): Promise<string[]> {
  const ids: string[] = new Array(count);
  await forEachConcurrently(range(count), opts.inFlight ?? 4, async (i) => {
    const res = await t.call(i % 2, 'POST', '/v1/events', { key: apiKey, body: { event: opts.event ?? 'message.sent', data: { i } } });
    if (res.status !== 202) throw new Error(`post event failed: ${res.status} ${JSON.stringify(res.body)}`);
    ids[i] = res.body.id;
  });
  return ids;
}

function deliveriesOfWebhook(webhookId: string) {
  return t.db.selectFrom('deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('created_at').execute();
}

/** Waits until every one of the events has its delivery to the webhook, succeeded; returns them. */
async function waitForAllSucceeded(webhookId: string, eventIds: string[], timeoutMs: number) {
  return waitFor(
    async () => {
      const rows = await deliveriesOfWebhook(webhookId);
      const done = rows.filter((r) => r.status === 'succeeded' && eventIds.includes(r.event_id));
      return done.length === eventIds.length ? done : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `all ${eventIds.length} deliveries to ${webhookId} to succeed` },
  );
}

async function deliveryCharges(teamId: string) {
  return t.db.selectFrom('credit_ledger').select(['delivery_id']).where('team_id', '=', teamId).where('reason', '=', 'delivery').execute();
}

async function balance(teamId: string): Promise<number> {
  const row = await t.db.selectFrom('teams').select('credit_balance').where('id', '=', teamId).executeTakeFirstOrThrow();
  return Number(row.credit_balance);
}

const alive = (p: { exitCode: number | null; signalCode: NodeJS.Signals | null }) => p.exitCode === null && p.signalCode === null;

test('two API instances and two workers start together on an empty database, and each migrates it at start', async () => {
  const migrations = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(t.db);
  expect(migrations.rows.length).toBeGreaterThanOrEqual(5);
  expect(new Set(migrations.rows.map((m) => m.name)).size).toBe(migrations.rows.length);
  for (const api of t.apis) expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  for (const w of t.workers) expect(alive(w.process)).toBe(true);
});

test('end to end across both API instances: a signed delivery that verifies with standardwebhooks, a retried one found by its search attributes, an idempotency key shared by both', async () => {
  const team = await t.createTeam({ credits: 100 });
  const hook = await createWebhook(1, team.apiKey, { name: 'CRM Sync', url: `${t.receiver.url}/slice`, events: ['prospect.*'] });

  const sentAt = Date.now();
  const event = await t.call(0, 'POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: { prospectId: 'p_1' } } });
  expect(event.status).toBe(202);
  const [arrived] = await waitFor(() => (t.receiver.at('/slice').length > 0 ? t.receiver.at('/slice') : undefined), { what: 'the delivery' });
  figures.firstIngestToArrivalMs = arrived!.at - sentAt;
  const payload = new Webhook(hook.secret).verify(arrived!.body, arrived!.headers);
  expect(payload).toMatchObject({ id: event.body.id, event: 'prospect.qualified', teamId: team.id, data: { prospectId: 'p_1' } });

  // The other instance answers about it: the delivery succeeded, once, and was charged.
  const seen = await waitFor(async () => {
    const res = await t.call(1, 'GET', `/v1/events/${event.body.id}`, { key: team.apiKey });
    return res.body.deliveries?.[0]?.status === 'succeeded' ? res.body : undefined;
  }, { intervalMs: 200, what: 'the delivery to be recorded' });
  expect(seen.deliveries).toHaveLength(1);
  expect(arrived!.headers['webhook-id']).toBe(seen.deliveries[0].id);
  expect((await t.call(0, 'GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(98);

  // A delivery that needs a retry gets a workflow of its own, found through the server's SQL
  // visibility store by Hookferry's search attributes (registered by temporal:cluster).
  const answered = new Set<string>();
  t.route('/retry-once', (req, res) => {
    const first = !answered.has(req.headers['webhook-id']!);
    answered.add(req.headers['webhook-id']!);
    res.writeHead(first ? 503 : 200).end();
  });
  const retryHook = await createWebhook(0, team.apiKey, { url: `${t.receiver.url}/retry-once`, events: ['message.sent'] });
  const retried = await t.call(1, 'POST', '/v1/events', { key: team.apiKey, body: { event: 'message.sent', data: {} } });
  const [retriedDelivery] = await waitForAllSucceeded(retryHook.id, [retried.body.id], 60_000);
  const posts = t.receiver.at('/retry-once');
  expect(posts).toHaveLength(2);
  for (const p of posts) {
    expect(p.headers['webhook-id']).toBe(retriedDelivery!.id);
    expect(new Webhook(retryHook.secret).verify(p.body, p.headers)).toMatchObject({ id: retried.body.id });
  }
  const query = `WorkflowType = 'deliverToEndpoint' AND TeamId = '${team.id}' AND WebhookId = '${retryHook.id}' AND EventType = 'message.sent' AND DeliveryStatus = 'succeeded'`;
  const found = await waitFor(async () => {
    const ids: string[] = [];
    for await (const wf of t.client.workflow.list({ query })) ids.push(wf.workflowId);
    return ids.length > 0 ? ids : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500, what: `a workflow matching ${query}` });
  expect(found).toEqual([`deliver-${retriedDelivery!.id}-1`]);

  // One Idempotency-Key sent to both instances at once: one event, one delivery, one POST.
  const idempotencyKey = `order-${Date.now()}`;
  const answers = await Promise.all(
    range(6).map((i) =>
      t.call(i % 2, 'POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: { prospectId: 'p_2' } }, headers: { 'idempotency-key': idempotencyKey } }),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual(range(6).map(() => 202));
  const eventIds = new Set(answers.map((a) => a.body.id as string));
  expect(eventIds.size).toBe(1);
  const [once] = await waitForAllSucceeded(hook.id, [...eventIds], 60_000);
  expect(t.receiver.at('/slice').filter((r) => r.headers['webhook-id'] === once!.id)).toHaveLength(1);

  // Steady state: one event at a time, alternating instances, ingest → arrival.
  const latencies: number[] = [];
  for (const i of range(10)) {
    const before = t.receiver.at('/slice').length;
    const at = Date.now();
    const res = await t.call(i % 2, 'POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: { i } } });
    expect(res.status).toBe(202);
    await waitFor(() => t.receiver.at('/slice').length > before, { intervalMs: 5, what: 'the next delivery' });
    latencies.push(t.receiver.at('/slice')[before]!.at - at);
  }
  figures.nextIngestToArrivalMs = { median: median(latencies), all: latencies };
});

test('the per-key rate limit holds across both API instances', async () => {
  const team = await t.createTeam();
  const other = await t.createTeam();
  const get = (api: number, key: string) => fetch(`${t.apis[api]!.url}/v1/me`, { headers: { authorization: `Bearer ${key}` } });

  // Twice the quota, half through each instance: with a bucket per instance every one would pass.
  const requests = 2 * RATE_LIMIT_PER_MINUTE;
  const answers: Array<{ api: number; status: number; retryAfter: string | null }> = [];
  const started = Date.now();
  await forEachConcurrently(range(requests), 16, async (i) => {
    const res = await get(i % 2, team.apiKey);
    await res.arrayBuffer();
    answers.push({ api: i % 2, status: res.status, retryAfter: res.headers.get('retry-after') });
  });
  const elapsedS = (Date.now() - started) / 1000;
  const ok = answers.filter((a) => a.status === 200).length;
  const limited = answers.filter((a) => a.status === 429);
  figures.rateLimit = { requests, ok, limited: limited.length, elapsedS, perMinute: RATE_LIMIT_PER_MINUTE };
  expect(ok + limited.length).toBe(requests);
  // The quota, plus what refilled while the requests ran.
  expect(ok).toBeGreaterThanOrEqual(RATE_LIMIT_PER_MINUTE);
  expect(ok).toBeLessThanOrEqual(RATE_LIMIT_PER_MINUTE + Math.ceil((elapsedS * RATE_LIMIT_PER_MINUTE) / 60) + 1);
  expect(ok).toBeLessThan(requests);
  // Both instances refused: each saw the other's requests.
  expect(limited.filter((a) => a.api === 0).length).toBeGreaterThan(0);
  expect(limited.filter((a) => a.api === 1).length).toBeGreaterThan(0);
  for (const a of limited) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);

  // Another key has a bucket of its own; the refused key gets tokens again, on either instance.
  expect((await get(0, other.apiKey)).status).toBe(200);
  expect((await get(1, other.apiKey)).status).toBe(200);
  for (const api of [0, 1]) {
    await waitFor(async () => (await get(api, team.apiKey)).status === 200, { timeoutMs: 30_000, intervalMs: 100, what: `a token again on instance ${api}` });
  }
});

test('auto-disable with two workers: failures from both count once, the webhook is disabled and the team emailed exactly once', async () => {
  const email = `disable-once-${Date.now()}@example.com`;
  const team = await t.createTeam({ email });
  t.route('/disable-once', (_req, res) => void res.writeHead(500).end('down'));
  // No retries: each failed delivery is one failed POST. Twice the threshold (4), posted at once
  // through both instances, so failures reach the health workflow from both workers.
  const hook = await createWebhook(1, team.apiKey, { name: 'Flaky CRM', url: `${t.receiver.url}/disable-once`, retrySchedule: { delays: [] } });
  const events = await postEvents(team.apiKey, 8, { inFlight: 8 });

  const disabled = await waitFor(async () => {
    const w = (await t.call(0, 'GET', `/v1/webhooks/${hook.id}`, { key: team.apiKey })).body;
    return w.enabled === false ? w : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250, what: 'the webhook to be disabled' });
  expect(disabled.disabledReason).toBe('consecutive_failures');
  const mailsTo = () => t.smtp.mails.filter((m) => m.to.includes(email));
  await waitFor(() => mailsTo().length > 0, { timeoutMs: 60_000, what: 'the disable email' });

  // Quiet: every event is planned (one planned after the disable has no delivery), every delivery
  // has finished, every failure has reached the health workflow, and it has no activity left to
  // run — nothing can send another email after this.
  const health = t.client.workflow.getHandle(healthWorkflowId(hook.id));
  await waitFor(async () => {
    const unplanned = await t.db.selectFrom('events').select('id').where('id', 'in', events).where('planned_at', 'is', null).execute();
    if (unplanned.length > 0) return false;
    const rows = await deliveriesOfWebhook(hook.id);
    if (rows.some((r) => r.status !== 'failed' && r.status !== 'cancelled')) return false;
    const state = await health.query(healthStateQuery);
    if (!rows.filter((r) => r.status === 'failed').every((r) => state.seenOutcomes.includes(`${r.id}:${r.series}`))) return false;
    return ((await health.describe()).raw.pendingActivities ?? []).length === 0;
  }, { timeoutMs: 60_000, intervalMs: 250, what: 'every failure handled by the health workflow' });

  expect(mailsTo()).toHaveLength(1);
  expect(mailsTo()[0]!.subject).toBe('[Hookferry] Webhook "Flaky CRM" was disabled');
  const outbox = await t.db.selectFrom('email_outbox').select(['status']).where('team_id', '=', team.id).execute();
  expect(outbox).toEqual([{ status: 'sent' }]);
  const rows = await deliveriesOfWebhook(hook.id);
  expect(rows.filter((r) => r.status === 'failed').length).toBeGreaterThanOrEqual(4);
  figures.autoDisable = { events: 8, failed: rows.filter((r) => r.status === 'failed').length, cancelled: rows.filter((r) => r.status === 'cancelled').length, emails: mailsTo().length };
  // Findable as disabled in the Temporal UI.
  await waitFor(async () => {
    for await (const w of t.client.workflow.list({ query: `WorkflowType = 'endpointHealth' AND EndpointState = 'disabled' AND WebhookId = '${hook.id}'` })) return true;
    return false;
  }, { timeoutMs: 30_000, intervalMs: 500, what: 'the health workflow listed as disabled' });
});

test('the reconciler runs in both workers: stranded work is restarted, nothing is dispatched or charged twice', async () => {
  const team = await t.createTeam({ credits: 1_000 });
  const strandedHook = await createWebhook(0, team.apiKey, { url: `${t.receiver.url}/reconcile-event`, events: ['message.sent'] });
  const failedOnce = new Set<string>();
  t.route('/reconcile-retry', (req, res) => {
    const first = !failedOnce.has(req.headers['webhook-id']!);
    failedOnce.add(req.headers['webhook-id']!);
    res.writeHead(first ? 500 : 200).end();
  });
  // One retry, an hour away (3 min at the suite's delay scale).
  const retryHook = await createWebhook(1, team.apiKey, { url: `${t.receiver.url}/reconcile-retry`, events: ['campaign.completed'], retrySchedule: { delays: ['1h'] } });

  const restarted = () => t.workers.map((w) => ({ ...t.reconcilerReport(w.process.pid!) }));

  // A retry whose workflow is lost (terminated, as by an operator or a Temporal state loss) and
  // that falls due: the reconcilers find it and start `deliver-<id>-1` again.
  const [retryEvent] = await postEvents(team.apiKey, 1, { event: 'campaign.completed' });
  const waiting = await waitFor(async () => {
    const [d] = await deliveriesOfWebhook(retryHook.id);
    if (d?.status !== 'retrying' || !d.delivery_workflow_id) return undefined;
    const running = await t.client.workflow.getHandle(d.delivery_workflow_id).describe().then((w) => w.status.name === 'RUNNING', () => false);
    return running ? d : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250, what: 'the retry waiting in its own workflow' });
  await t.client.workflow.getHandle(waiting.delivery_workflow_id!).terminate('cluster test: the workflow is lost');
  const beforeRetry = restarted();
  await t.db.updateTable('deliveries').set({ next_attempt_at: new Date(Date.now() - 5_000) }).where('id', '=', waiting.id).execute();
  await waitForAllSucceeded(retryHook.id, [retryEvent!], 60_000);
  expect(t.receiver.at('/reconcile-retry').map((r) => r.headers['webhook-id'])).toEqual([waiting.id, waiting.id]);
  const retryRestartedBy = restarted().map((r, i) => r.deliveries - beforeRetry[i]!.deliveries);

  // Events stored but never dispatched (an API instance that died right after storing them),
  // written while both workers are frozen (SIGSTOP) for one reconcile interval: when they go on
  // (SIGCONT), both reconcilers are due at once and race for the same rows. Again, should one of
  // them have been mid-pass when frozen, until each has restarted some.
  const beforeStranded = restarted();
  const strandedRestartedBy = () => restarted().map((r, i) => r.events - beforeStranded[i]!.events);
  const stranded: string[] = [];
  let rounds = 0;
  do {
    rounds++;
    const overdue = new Date(Date.now() - 5_000);
    const round = range(10).map((i) => `evt_stranded${rounds}x${i}${Math.random().toString(36).slice(2, 10)}`);
    for (const w of t.workers) w.process.kill('SIGSTOP');
    try {
      await t.db
        .insertInto('events')
        .values(round.map((id) => ({ id, team_id: team.id, type: 'message.sent', created_at: overdue, payload: JSON.stringify({ id, event: 'message.sent', teamId: team.id, timestamp: overdue.toISOString(), data: {} }) })))
        .execute();
      await sleep(RECONCILE_INTERVAL_MS);
    } finally {
      for (const w of t.workers) w.process.kill('SIGCONT');
    }
    stranded.push(...round);
    await waitForAllSucceeded(strandedHook.id, stranded, 60_000);
    // Each reconciler logs after its pass; its line may come a little after the deliveries.
    await waitFor(() => strandedRestartedBy().reduce((a, b) => a + b, 0) >= stranded.length, { what: 'the reconcilers to report' });
  } while (strandedRestartedBy().some((n) => n === 0) && rounds < 10);
  // Restarted by one worker's reconciler, or by both (two dispatches, one of them claims the events).
  figures.reconciler = { retryRestartedBy, rounds, strandedEvents: stranded.length, strandedRestartedBy: strandedRestartedBy() };
  expect(strandedRestartedBy().every((n) => n > 0)).toBe(true);

  // Each stranded event planned once and POSTed once; every delivery charged once.
  const deliveries = await deliveriesOfWebhook(strandedHook.id);
  expect(deliveries.map((d) => d.event_id).sort()).toEqual([...stranded].sort());
  const posts = byWebhookId(t.receiver.at('/reconcile-event'));
  expect(posts.size).toBe(stranded.length);
  for (const d of deliveries) expect(posts.get(d.id)).toHaveLength(1);
  const charges = await deliveryCharges(team.id);
  expect(charges).toHaveLength(stranded.length + 1);
  expect(new Set(charges.map((c) => c.delivery_id)).size).toBe(stranded.length + 1);
  expect(await balance(team.id)).toBe(1_000 - 2 * (stranded.length + 1));
});

test('a worker SIGKILLed mid-burst: the other worker takes over, nothing is lost or charged twice, duplicates are bounded and share the webhook-id', async () => {
  const team = await t.createTeam({ credits: 1_000 });
  const hook = await createWebhook(0, team.apiKey, { url: `${t.receiver.url}/burst` });
  const sender = new Map<ReceivedRequest, number | undefined>();
  const kill: { at?: number; exitedAt?: number; victim?: number; error?: string } = {};
  let answered = 0;
  // A slow receiver (30 ms an answer); at its tenth answer, the worker that sent that POST is killed.
  t.route('/burst', (req, res) => {
    const pid = t.senderOf(res);
    sender.set(req, pid);
    setTimeout(() => {
      res.writeHead(200).end();
      if (++answered !== 10) return;
      const victim = t.workers.findIndex((w) => w.process.pid === pid);
      if (victim < 0) return void (kill.error = `the tenth POST came from no known worker (pid ${pid})`);
      kill.at = Date.now();
      kill.victim = victim;
      void t.killWorker(victim).then(() => (kill.exitedAt = Date.now()));
    }, 30);
  });

  const events = await postEvents(team.apiKey, 60, { inFlight: 6 });
  await waitFor(() => kill.exitedAt ?? kill.error, { timeoutMs: 60_000, what: 'a worker killed' });
  expect(kill.error).toBeUndefined();
  const victimPid = t.workers[kill.victim!]!.process.pid!;
  const survivorPid = t.workers[1 - kill.victim!]!.process.pid!;
  expect(alive(t.workers[1 - kill.victim!]!.process)).toBe(true);

  const deliveries = await waitForAllSucceeded(hook.id, events, 180_000);
  const recoveredMs = Date.now() - kill.at!;

  // Nothing lost: every event's delivery arrived, under its own webhook-id.
  const requests = t.receiver.at('/burst');
  const posts = byWebhookId(requests);
  expect(new Set(posts.keys())).toEqual(new Set(deliveries.map((d) => d.id)));
  // Nothing charged twice.
  const charges = await deliveryCharges(team.id);
  expect(charges).toHaveLength(60);
  expect(new Set(charges.map((c) => c.delivery_id)).size).toBe(60);
  expect(await balance(team.id)).toBe(1_000 - 120);
  // Duplicates: only deliveries the killed worker had POSTed without recording the success before
  // it died (at least the one whose answer triggered the kill), sent again by the survivor, which
  // took over: each at most twice, with the same webhook-id and body, each copy signed.
  const completedAt = new Map(deliveries.map((d) => [d.id, d.completed_at!.getTime()]));
  const unrecordedAtKill = new Set(
    requests.filter((r) => sender.get(r) === victimPid && completedAt.get(r.headers['webhook-id']!)! >= kill.at!).map((r) => r.headers['webhook-id']!),
  );
  const duplicated = [...posts].filter(([, copies]) => copies.length > 1);
  expect(duplicated.length).toBeGreaterThan(0);
  for (const [id, copies] of duplicated) {
    expect(copies).toHaveLength(2);
    expect(copies.map((c) => sender.get(c))).toEqual([victimPid, survivorPid]);
    expect(unrecordedAtKill.has(id)).toBe(true);
    expect(copies[1]!.body).toBe(copies[0]!.body);
    for (const c of copies) expect(new Webhook(hook.secret).verify(c.body, c.headers)).toMatchObject({ id: expect.any(String) });
  }
  figures.workerKill = {
    events: 60,
    postsBeforeKill: requests.filter((r) => r.at <= kill.at!).length,
    postsByVictim: requests.filter((r) => sender.get(r) === victimPid).length,
    postsBySurvivor: requests.filter((r) => sender.get(r) === survivorPid).length,
    unrecordedAtKill: unrecordedAtKill.size,
    duplicates: requests.length - posts.size,
    killToAllSucceededMs: recoveredMs,
  };

  // Back to two workers for what follows.
  await t.replaceWorker(kill.victim!);
});

test('scaling down: a worker stopped with SIGTERM mid-burst finishes what it started, so nothing is sent twice; a new worker joins', async () => {
  const team = await t.createTeam({ credits: 1_000 });
  const hook = await createWebhook(1, team.apiKey, { url: `${t.receiver.url}/drain` });
  const stop: { at?: number; exitedAt?: number; exited?: { code: number | null; signal: NodeJS.Signals | null }; slot?: number; error?: string } = {};
  let answered = 0;
  t.route('/drain', (_req, res) => {
    const pid = t.senderOf(res);
    setTimeout(() => {
      res.writeHead(200).end();
      if (++answered !== 10) return;
      const slot = t.workers.findIndex((w) => w.process.pid === pid);
      if (slot < 0) return void (stop.error = `the tenth POST came from no known worker (pid ${pid})`);
      stop.at = Date.now();
      stop.slot = slot;
      const { process: worker } = t.workers[slot]!;
      worker.once('exit', (code, signal) => {
        stop.exitedAt = Date.now();
        stop.exited = { code, signal };
      });
      worker.kill('SIGTERM');
    }, 30);
  });

  const events = await postEvents(team.apiKey, 60, { inFlight: 6 });
  await waitFor(() => stop.exited ?? stop.error, { timeoutMs: 120_000, what: 'the worker to stop' });
  expect(stop.error).toBeUndefined();
  // An orderly exit: it drained its work, then closed its connections.
  expect(stop.exited).toEqual({ code: 0, signal: null });
  const joined = await t.replaceWorker(stop.slot!);
  const deliveries = await waitForAllSucceeded(hook.id, events, 120_000);

  const posts = byWebhookId(t.receiver.at('/drain'));
  expect(new Set(posts.keys())).toEqual(new Set(deliveries.map((d) => d.id)));
  for (const copies of posts.values()) expect(copies).toHaveLength(1);
  const charges = await deliveryCharges(team.id);
  expect(new Set(charges.map((c) => c.delivery_id)).size).toBe(60);
  expect(charges).toHaveLength(60);
  expect(alive(joined.process)).toBe(true);
  figures.workerStop = { events: 60, posts: t.receiver.at('/drain').length, stopToExitMs: stop.exitedAt! - stop.at! };
});

test('the Temporal server SIGKILLed mid-burst and started again on its databases: nothing lost, every schedule kept, nothing charged twice', async () => {
  const team = await t.createTeam({ credits: 10_000 });
  // Every delivery fails twice, then succeeds; its retries wait 60 s × 0.05 = 3 s, so retry
  // timers are pending inside Temporal when it dies.
  const postsById = new Map<string, number>();
  t.route('/restart', (req, res) => {
    const id = req.headers['webhook-id']!;
    const n = (postsById.get(id) ?? 0) + 1;
    postsById.set(id, n);
    res.writeHead(n <= 2 ? 500 : 200).end();
  });
  const hook = await createWebhook(1, team.apiKey, { url: `${t.receiver.url}/restart`, retrySchedule: { delays: ['60s', '60s'] } });

  const eventIds = await postEvents(team.apiKey, 40);
  await waitFor(() => postsById.size >= 30, { timeoutMs: 60_000, what: 'first attempts of the burst' });
  const retriesPendingAtKill = [...postsById.values()].filter((n) => n < 3).length;
  await t.server.kill('SIGKILL');
  const killedAt = Date.now();

  // While it is down both instances still accept events: the answer comes at commit, and the
  // reconciler dispatches them once Temporal is back.
  const during = await Promise.all(
    range(4).map(async (i) => {
      const res = await t.call(i % 2, 'POST', '/v1/events', { key: team.apiKey, body: { event: 'message.sent', data: { during: i } } });
      return { status: res.status, id: res.body?.id as string };
    }),
  );
  for (const d of during) expect(d).toEqual({ status: 202, id: expect.stringMatching(/^evt_/) });
  eventIds.push(...during.map((d) => d.id));

  await t.server.restart();
  const restartedAt = Date.now();
  const deliveries = await waitForAllSucceeded(hook.id, eventIds, 180_000);

  expect(new Set(deliveries.map((d) => d.event_id))).toEqual(new Set(eventIds));
  const attempts = await t.db
    .selectFrom('delivery_attempts')
    .select(['delivery_id', 'status_code'])
    .where('delivery_id', 'in', deliveries.map((d) => d.id))
    .orderBy('delivery_id')
    .orderBy('attempt_number')
    .execute();
  for (const d of deliveries) {
    expect(attempts.filter((a) => a.delivery_id === d.id).map((a) => a.status_code)).toEqual([500, 500, 200]);
    expect(postsById.get(d.id)).toBe(3);
  }
  const charges = await deliveryCharges(team.id);
  expect(charges).toHaveLength(eventIds.length);
  expect(new Set(charges.map((c) => c.delivery_id)).size).toBe(eventIds.length);
  expect(await balance(team.id)).toBe(10_000 - 2 * eventIds.length);
  // Every process rode it out: none exited.
  for (const p of [...t.workers.map((w) => w.process), ...t.apis.map((a) => a.process.process)]) expect(alive(p)).toBe(true);

  figures.temporalRestart = {
    events: eventIds.length,
    acceptedWhileDown: during.length,
    retriesPendingAtKill,
    downMs: restartedAt - killedAt,
    restartReadyMs: t.server.readyMs,
    restartToAllSucceededMs: Date.now() - restartedAt,
  };
});
