/**
 * Prometheus metrics during real deliveries: the API (GET /metrics on its port) and a real worker
 * process (GET /metrics on HOOKFERRY_METRICS_PORT, with the Temporal SDK's metrics appended).
 * 3 successes and 1 delivery that exhausts its schedule move the counters by exactly those
 * amounts; the Grafana dashboard and the suggested alerts name only metrics these processes
 * expose. The scrapes are saved under test-output/metrics/ for people to read.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../scripts/lib/freePort';
import { createWebhook, postEvent, waitForDelivery } from '../helpers/fixtures';
import { scrape, value, type Scrape } from '../helpers/prometheusText';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';

const ROOT = path.resolve(__dirname, '../..');
const OK_EVENT = 'prospect.qualified';
const FAILING_EVENT = 'linkedin.message.received';

let stack: Stack;
let worker: WorkerProcess;
let workerMetricsUrl: string;
let apiMetricsUrl: string;

beforeAll(async () => {
  // One failed delivery disables its webhook, so the health metrics move too.
  const env = { HOOKFERRY_FAILURE_THRESHOLD: '1' };
  stack = await startStack({ smtp: true, noWorker: true, env });
  const port = await freePort();
  worker = await spawnWorker(stack.config, { ...env, HOOKFERRY_METRICS_PORT: String(port), HOOKFERRY_BACKLOG_SAMPLE_MS: '1000' });
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  apiMetricsUrl = `${stack.apiUrl}/metrics`;
  stack.receiver.respond = (req, res) => void res.writeHead(req.path.startsWith('/failing') ? 500 : 200).end('{}');
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.stop();
});

function delta(after: Scrape, before: Scrape, name: string, labels: Record<string, string> = {}): number {
  return value(after, name, labels) - value(before, name, labels);
}

test('3 successes and 1 exhausted failure move the API and worker counters by exactly those amounts', async () => {
  const [apiBefore, workerBefore] = await Promise.all([scrape(apiMetricsUrl), scrape(workerMetricsUrl)]);
  const email = `metrics-${Date.now()}@example.com`;
  const team = await stack.createTeam({ credits: 100, email });
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/ok`, events: [OK_EVENT] });
  const failing = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/failing`, events: [FAILING_EVENT] });

  const key = `metrics-${Date.now()}`;
  const first = await postEvent(stack, team.apiKey, OK_EVENT, { n: 1 }, { 'idempotency-key': key });
  const replayed = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: OK_EVENT, data: { n: 1 } }, headers: { 'idempotency-key': key } });
  expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  const second = await postEvent(stack, team.apiKey, OK_EVENT, { n: 2 });
  const third = await postEvent(stack, team.apiKey, OK_EVENT, { n: 3 });
  const failed = await postEvent(stack, team.apiKey, FAILING_EVENT, { n: 4 });
  const unknown = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'no.such.event', data: {} } });
  expect(unknown.status).toBe(400);

  for (const e of [first.id, second.id, third.id]) await waitForDelivery(stack, team.apiKey, e, ['succeeded']);
  const failure = await waitForDelivery(stack, team.apiKey, failed.id, ['failed']);
  expect(failure.attempts).toHaveLength(4); // the exponential schedule: first attempt + 3 retries

  // The webhook-disabled email comes last; then every counter has moved.
  const workerAfter = await waitFor(
    async () => {
      const s = await scrape(workerMetricsUrl);
      return delta(s, workerBefore, 'hookferry_notification_emails_total', { result: 'sent' }) >= 1 ? s : undefined;
    },
    { what: 'the disabled-webhook email in the worker metrics', timeoutMs: 60_000 },
  );
  const apiAfter = await scrape(apiMetricsUrl);

  const attempts = (outcome: string) => delta(workerAfter, workerBefore, 'hookferry_delivery_attempts_total', { outcome });
  expect({ '2xx': attempts('2xx'), '5xx': attempts('5xx'), '4xx': attempts('4xx'), timeout: attempts('timeout'), network: attempts('network') }).toEqual({
    '2xx': 3,
    '5xx': 4,
    '4xx': 0,
    timeout: 0,
    network: 0,
  });
  const finished = (status: string) => delta(workerAfter, workerBefore, 'hookferry_deliveries_finished_total', { status });
  expect({ succeeded: finished('succeeded'), failed: finished('failed'), cancelled: finished('cancelled') }).toEqual({ succeeded: 3, failed: 1, cancelled: 0 });
  expect(delta(workerAfter, workerBefore, 'hookferry_credits_charged_total')).toBe(6);
  expect(delta(workerAfter, workerBefore, 'hookferry_delivery_attempt_duration_seconds_count', { result: 'success' })).toBe(3);
  expect(delta(workerAfter, workerBefore, 'hookferry_delivery_attempt_duration_seconds_count', { result: 'failure' })).toBe(4);
  expect(delta(workerAfter, workerBefore, 'hookferry_first_attempt_latency_seconds_count')).toBe(4);
  expect(delta(workerAfter, workerBefore, 'hookferry_success_group_size_sum')).toBe(3);
  expect(delta(workerAfter, workerBefore, 'hookferry_first_attempt_batch_deliveries_sum')).toBe(4);
  expect(value(workerAfter, 'hookferry_first_attempts_in_flight')).toBe(0);
  expect(delta(workerAfter, workerBefore, 'hookferry_webhooks_auto_disabled_total', { reason: 'consecutive_failures' })).toBe(1);
  expect(delta(workerAfter, workerBefore, 'hookferry_notification_emails_total', { result: 'sent' })).toBe(1);
  expect(stack.smtp!.mails.filter((m) => m.to.includes(email))).toHaveLength(1);
  expect((await stack.call('GET', `/v1/webhooks/${failing.id}`, { key: team.apiKey })).body.enabled).toBe(false);

  expect(delta(apiAfter, apiBefore, 'hookferry_events_accepted_total')).toBe(4);
  expect(delta(apiAfter, apiBefore, 'hookferry_events_replayed_total')).toBe(1);
  expect(delta(apiAfter, apiBefore, 'hookferry_events_rejected_total', { reason: 'unknown_event_type' })).toBe(1);
  expect(delta(apiAfter, apiBefore, 'hookferry_http_request_duration_seconds_count', { method: 'POST', route: '/v1/events' })).toBe(6);
  expect(delta(apiAfter, apiBefore, 'hookferry_http_request_duration_seconds_count', { method: 'GET', route: '/v1/deliveries/:id' })).toBeGreaterThanOrEqual(4);
  expect(delta(apiAfter, apiBefore, 'hookferry_dispatch_batch_events_sum')).toBe(4);

  // The Temporal SDK's own worker metrics come through the worker's port.
  expect(value(workerAfter, 'hookferry_temporal_sdk_metrics_up')).toBe(1);
  expect(workerAfter.names.has('temporal_worker_task_slots_used')).toBe(true);
  expect(value(workerAfter, 'temporal_activity_execution_latency_seconds_count')).toBeGreaterThan(0);

  // Bounded labels: no ids anywhere.
  for (const s of [apiAfter, workerAfter]) {
    for (const sample of s.samples) for (const v of Object.values(sample.labels)) expect(v).not.toMatch(/\b(wh|evt|msg|team|key|dsp)_[A-Za-z0-9_-]{6,}/);
  }
  const dir = path.join(ROOT, 'test-output', 'metrics');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'api.txt'), apiAfter.text);
  writeFileSync(path.join(dir, 'worker.txt'), workerAfter.text);

  // Grafana's dashboard and the suggested alerts name only metrics these two processes expose.
  const exposed = new Set([...apiAfter.names, ...workerAfter.names, 'up']);
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy/grafana/dashboards/hookferry.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  expect(exprs.length).toBeGreaterThan(20);
  const alerts = readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8');
  const alertExprs = [...alerts.matchAll(/expr: (?:\|\n((?:\s{10}.*\n)+)|(.*))/g)].map((m) => (m[1] ?? m[2])!);
  expect(alertExprs.length).toBeGreaterThanOrEqual(6);
  const missing: string[] = [];
  for (const expr of [...exprs, ...alertExprs]) {
    const named = [...expr.matchAll(/\b((?:hookferry|temporal|process|nodejs)_[a-z0-9_]+|up)\b(?=\s*[{[)]|\s*$|\s+[-+*/<>=!]|\))/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0); // every query names a metric this test can check
    for (const name of named) if (!exposed.has(name)) missing.push(`${name} (in ${expr.trim()})`);
  }
  expect(missing).toEqual([]);
});

test('the backlog gauges are sampled from PostgreSQL: a held delivery shows up', async () => {
  const team = await stack.createTeam({ credits: 0 });
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/ok`, events: [OK_EVENT] });
  const e = await postEvent(stack, team.apiKey, OK_EVENT, {});
  await waitForDelivery(stack, team.apiKey, e.id, ['held']);
  const postedAt = Date.now() / 1000;
  const s = await waitFor(
    async () => {
      const x = await scrape(workerMetricsUrl);
      return value(x, 'hookferry_backlog_sampled_timestamp_seconds') > postedAt && value(x, 'hookferry_backlog_deliveries', { status: 'held' }) >= 1 ? x : undefined;
    },
    { what: 'a backlog sample with the held delivery' },
  );
  const held = await stack.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'held').executeTakeFirstOrThrow();
  expect(value(s, 'hookferry_backlog_deliveries', { status: 'held' })).toBeLessThanOrEqual(Number(held.n));
  expect(value(s, 'hookferry_backlog_oldest_overdue_seconds')).toBeGreaterThanOrEqual(0);
});

test('the worker metrics port serves GET /metrics only', async () => {
  const other = await fetch(workerMetricsUrl.replace('/metrics', '/other'));
  expect(other.status).toBe(404);
  expect((await other.json()).error.code).toBe('route_not_found');
  const post = await fetch(workerMetricsUrl, { method: 'POST' });
  expect(post.status).toBe(405);
});
