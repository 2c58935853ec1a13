// `npm start` on a machine without a PostgreSQL server: the process runs in a network namespace of
// its own, where nothing answers on 127.0.0.1:5432, so it starts the embedded PostgreSQL. Through
// its API a team, a webhook and events are created; the whole stack is stopped with SIGINT and
// started again; everything is still there and a retry scheduled before the restart completes after it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { Agent, fetch } from 'undici';
import { DEV_ADMIN_KEY } from '../../src/devDefaults';
import { networkNamespaceUnavailable, startNetworkNamespace, type NetworkNamespace } from '../helpers/netns';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver';
import { spawnUntilLogLine, type SpawnedProcess } from '../../scripts/lib/spawnProcess';
import { waitFor } from '../helpers/wait';

// npm start's defaults, free inside the namespace whatever runs on this machine.
const API_PORT = 3000;
const RECEIVER_PORT = 4000;
const RETRY_DELAY = '20s';

const unavailable = networkNamespaceUnavailable();
if (unavailable) console.warn(`npmStartBareMachine: skipped, ${unavailable}`);
const describeWithNamespace = unavailable ? describe.skip : describe;

describeWithNamespace('npm start on a machine without PostgreSQL', () => {
  let dataDir: string;
  let receiver: Receiver;
  let netns: NetworkNamespace;
  let agent: Agent;
  let hookferry: SpawnedProcess | undefined;

  beforeAll(async () => {
    // The embedded PostgreSQL runs as the `postgres` OS user under root: it must be able to enter the directory.
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'hookferry-data-'));
    chmodSync(dataDir, 0o755);
    // The first attempt at an event marked failFirst gets a 503; every other attempt a 200.
    receiver = await startReceiver((req, res) => {
      const event = JSON.parse(req.body) as { id: string; data: { failFirst?: boolean } };
      const earlier = receiver.requests.filter((r) => r !== req && (JSON.parse(r.body) as { id: string }).id === event.id);
      const status = event.data.failFirst && earlier.length === 0 ? 503 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
    netns = await startNetworkNamespace({ expose: [API_PORT], bringIn: { [RECEIVER_PORT]: receiver.port } });
    agent = new Agent({ connect: { socketPath: netns.socketFor(API_PORT) } });
  });

  afterAll(async () => {
    await hookferry?.kill('SIGINT', 30_000); // after a failure: stop it (and its PostgreSQL) as Ctrl-C would
    await agent?.close();
    await netns?.destroy();
    await receiver?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** `npm start` as a user runs it, inside the namespace, with nothing configured but the data directory. */
  async function startHookferry(): Promise<{ banner: string; startedAt: number }> {
    hookferry = await spawnUntilLogLine({
      name: 'npm start',
      entry: 'src/main.ts',
      prefix: netns.prefix,
      // What the test run's globalSetup configured for the other tests must not leak into this start.
      env: { DATABASE_URL: undefined, TEMPORAL_ADDRESS: undefined, HOOKFERRY_ADMIN_KEY: undefined, HOOKFERRY_ALLOWED_CIDRS: undefined, HOST: undefined, PORT: undefined, TEMPORAL_DB_FILE: undefined, HOOKFERRY_SECRETS_KEY: undefined, HOOKFERRY_SECRETS_OLD_KEYS: undefined, HOOKFERRY_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      line: 'Press Ctrl-C to stop.',
      timeoutMs: 180_000,
    });
    const output = hookferry.output();
    return { banner: output.slice(output.indexOf('Hookferry is running.')), startedAt: Date.now() };
  }

  async function stopHookferry(): Promise<void> {
    const running = hookferry!;
    hookferry = undefined;
    await running.kill('SIGINT', 60_000);
    expect({ exitCode: running.process.exitCode, output: running.output().slice(-2000) }).toMatchObject({ exitCode: 0 });
  }

  async function call<T = any>(method: string, urlPath: string, opts: { key?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`http://localhost:${API_PORT}${urlPath}`, {
      method,
      dispatcher: agent,
      headers: { ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}), ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  const arrivalsOf = (eventId: string): ReceivedRequest[] => receiver.requests.filter((r) => (JSON.parse(r.body) as { id: string }).id === eventId);

  test('uses the embedded PostgreSQL, keeps teams, webhooks and deliveries across a restart, and resumes a pending retry', async () => {
    const first = await startHookferry();
    expect(first.banner).toMatch(new RegExp(`Database: +embedded PostgreSQL [\\d.]+ on 127\\.0\\.0\\.1:\\d+, data in ${dataDir}/postgres`));
    expect(first.banner).toContain(`state in ${path.join(dataDir, 'temporal.db')}`);
    expect(first.banner).toContain(`http://localhost:${API_PORT} (listening on 127.0.0.1 only`);
    // Webhook secrets are encrypted at rest under a development key made now, owner-only.
    expect(first.banner).toMatch(/Secrets key: +\S+ \(development key, generated now;/);
    expect(first.banner).toContain(`${path.join(dataDir, 'secrets.key')} (development key, generated now;`);
    expect(statSync(path.join(dataDir, 'secrets.key')).mode & 0o777).toBe(0o600);

    const team = await call<{ id: string; apiKey: string }>('POST', '/admin/v1/teams', { key: DEV_ADMIN_KEY, body: { name: 'Acme', notificationEmail: 'ops@acme.test', credits: 100 } });
    expect(team.status).toBe(201);
    const key = team.body.apiKey;
    const webhook = await call<{ id: string; secret: string }>('POST', '/v1/webhooks', {
      key,
      body: { name: 'CRM Sync', url: `http://127.0.0.1:${RECEIVER_PORT}/hooks`, events: ['linkedin.*'], retrySchedule: { delays: [RETRY_DELAY] } },
    });
    expect(webhook.status).toBe(201);

    // A signed delivery arrives.
    const delivered = await call<{ id: string }>('POST', '/v1/events', { key, body: { event: 'linkedin.message.received', data: { prospectId: 'p_1', message: 'Hello' } } });
    expect(delivered.status).toBe(202);
    const [arrival] = await waitFor(() => (arrivalsOf(delivered.body.id).length > 0 ? arrivalsOf(delivered.body.id) : undefined), { timeoutMs: 60_000, what: 'the first delivery' });
    expect(() => new Webhook(webhook.body.secret).verify(arrival!.body, arrival!.headers)).not.toThrow();
    const deliveredEvent = await waitFor(async () => {
      const e = await call<{ deliveries: { id: string; status: string }[] }>('GET', `/v1/events/${delivered.body.id}`, { key });
      return e.body.deliveries[0]?.status === 'succeeded' ? e.body : undefined;
    }, { timeoutMs: 30_000, what: 'the first delivery to be recorded as succeeded' });

    // Another event's first attempt fails: its retry is due RETRY_DELAY later, after the restart.
    const retried = await call<{ id: string }>('POST', '/v1/events', { key, body: { event: 'linkedin.message.received', data: { prospectId: 'p_2', failFirst: true } } });
    expect(retried.status).toBe(202);
    await waitFor(async () => {
      const e = await call<{ deliveries: { status: string; attemptCount: number; nextAttemptAt: string | null }[] }>('GET', `/v1/events/${retried.body.id}`, { key });
      const d = e.body.deliveries[0];
      return d?.status === 'retrying' && d.attemptCount === 1 && d.nextAttemptAt ? d : undefined;
    }, { timeoutMs: 60_000, what: 'the failed first attempt with its retry scheduled' });
    expect(arrivalsOf(retried.body.id)).toHaveLength(1);

    await stopHookferry();
    const stoppedAt = Date.now();
    expect(arrivalsOf(retried.body.id)).toHaveLength(1); // the retry had not run yet

    const second = await startHookferry();
    // The same key, kept: the secrets stored before the restart still sign (checked below).
    expect(second.banner).toContain(`${path.join(dataDir, 'secrets.key')} (development key;`);
    expect(second.banner).toMatch(new RegExp(`Database: +embedded PostgreSQL [\\d.]+ on 127\\.0\\.0\\.1:\\d+, data in ${dataDir}/postgres`));

    // The team (its key still works), the webhook and the delivered delivery are all there.
    const me = await call<{ team: { id: string; name: string } }>('GET', '/v1/me', { key });
    expect(me).toMatchObject({ status: 200, body: { team: { id: team.body.id, name: 'Acme' } } });
    const webhookAfter = await call<{ id: string; url: string }>('GET', `/v1/webhooks/${webhook.body.id}`, { key });
    expect(webhookAfter).toMatchObject({ status: 200, body: { id: webhook.body.id, url: `http://127.0.0.1:${RECEIVER_PORT}/hooks` } });
    const deliveryAfter = await call<{ status: string; attempts: unknown[] }>('GET', `/v1/deliveries/${deliveredEvent.deliveries[0]!.id}`, { key });
    expect(deliveryAfter).toMatchObject({ status: 200, body: { status: 'succeeded' } });
    expect(deliveryAfter.body.attempts).toHaveLength(1);

    // The retry scheduled before the restart runs after it, once, with the same webhook-id.
    const retryArrivals = await waitFor(() => (arrivalsOf(retried.body.id).length >= 2 ? arrivalsOf(retried.body.id) : undefined), { timeoutMs: 90_000, what: 'the retry after the restart' });
    expect(retryArrivals[1]!.at).toBeGreaterThan(stoppedAt);
    // On the schedule made before the restart (delays only grow by jitter), not restarted from scratch.
    expect(retryArrivals[1]!.at - retryArrivals[0]!.at).toBeGreaterThanOrEqual(20_000);
    expect(retryArrivals[1]!.headers['webhook-id']).toBe(retryArrivals[0]!.headers['webhook-id']);
    expect(() => new Webhook(webhook.body.secret).verify(retryArrivals[1]!.body, retryArrivals[1]!.headers)).not.toThrow();
    const retriedAfter = await waitFor(async () => {
      const e = await call<{ deliveries: { id: string; status: string; attemptCount: number }[] }>('GET', `/v1/events/${retried.body.id}`, { key });
      return e.body.deliveries[0]?.status === 'succeeded' ? e.body.deliveries[0] : undefined;
    }, { timeoutMs: 30_000, what: 'the retried delivery to be recorded as succeeded' });
    expect(retriedAfter.attemptCount).toBe(2);
    expect(second.startedAt).toBeGreaterThan(stoppedAt);

    await stopHookferry();
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false); // PostgreSQL stopped with it
  }, 300_000);
});

test('npm start refuses to listen beyond loopback with the development admin key, before starting anything', () => {
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, HOST: '0.0.0.0', HOOKFERRY_ADMIN_KEY: undefined, LOG_FORMAT: 'json', HOOKFERRY_DATA_DIR: path.join(os.tmpdir(), 'hookferry-never-created') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(1);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
  expect(lines).toEqual([expect.objectContaining({ level: 50, msg: expect.stringMatching(/^Hookferry cannot start: HOST=0\.0\.0\.0 .*Set HOOKFERRY_ADMIN_KEY/) })]);
  expect(existsSync(path.join(os.tmpdir(), 'hookferry-never-created'))).toBe(false);
  expect(Date.now() - started).toBeLessThan(60_000);
});
