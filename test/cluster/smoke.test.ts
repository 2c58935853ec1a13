// `npm run test:cluster`: Hookferry on the real Temporal server (built from Go modules, on
// PostgreSQL, started with `npm run temporal:cluster -- start`), with one worker and one API
// process started as production starts them. Not part of `npm test`. Writes its figures to
// test-output/cluster-smoke.json.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../../scripts/lib/freePort';
import { generateKeySetting } from '../../src/domain/secretBox';
import { ensureTemporalServerBinaries } from '../../src/temporal/server';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { spawnUntilLogLine, type SpawnedProcess } from '../../scripts/lib/spawnProcess';
import { waitFor } from '../helpers/wait';
import { databaseUrl, dropDatabases, startClusterServer, type ClusterServer } from './clusterServer';

const OUTPUT_DIR = path.resolve(__dirname, '../../test-output');
const ADMIN_KEY = 'cluster-smoke-admin-key';
const run = `smoke_${process.pid}`;
const hookferryDatabase = `hookferry_cluster_${run}`;

const figures: Record<string, unknown> = {};
let server: ClusterServer | undefined;
let worker: SpawnedProcess | undefined;
let api: SpawnedProcess | undefined;
let receiver: Receiver | undefined;
let connection: Connection | undefined;

afterAll(async () => {
  await connection?.close();
  await api?.kill('SIGTERM', 10_000);
  await worker?.kill('SIGTERM', 20_000);
  await receiver?.close();
  if (server) {
    figures.serverStopMs = await server.stop();
    await server.dropDatabases();
  }
  await dropDatabases([hookferryDatabase]);
  mkdirSync(OUTPUT_DIR, { recursive: true });
  writeFileSync(path.join(OUTPUT_DIR, 'cluster-smoke.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`cluster smoke figures:\n${JSON.stringify(figures, null, 2)}`);
});

test('an event is delivered through the real Temporal server on PostgreSQL', async () => {
  const buildStarted = Date.now();
  const binaries = await ensureTemporalServerBinaries(['temporal-server', 'temporal-sql-tool']);
  figures.binariesFoundOrBuiltMs = Date.now() - buildStarted;
  figures.binaryMb = Object.fromEntries(Object.entries(binaries).map(([name, p]) => [name, +(statSync(p).size / 1e6).toFixed(1)]));

  mkdirSync(OUTPUT_DIR, { recursive: true });
  server = await startClusterServer({ name: run, logFile: path.join(OUTPUT_DIR, 'cluster-smoke-server.log') });
  figures.serverReadyMs = server.readyMs; // fresh databases: schema setup + start + registration
  figures.serverMemoryIdle = server.memory();

  const apiPort = await freePort();
  const env = {
    DATABASE_URL: databaseUrl(hookferryDatabase),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    HOOKFERRY_ADMIN_KEY: ADMIN_KEY,
    HOOKFERRY_SECRETS_KEY: generateKeySetting(),
    HOOKFERRY_ALLOWED_CIDRS: '127.0.0.0/8',
    HOOKFERRY_TASK_QUEUE: `cluster-${run}`,
    HOOKFERRY_DELIVERY_WORKFLOWS: 'every', // every delivery gets its own workflow: the search attributes are exercised
    PORT: String(apiPort),
    LOG_LEVEL: 'info',
  };
  // The API migrates the database first; the worker then finds it migrated.
  api = await spawnUntilLogLine({ name: 'api', entry: 'src/api/main.ts', env, line: '"msg":"API listening"', timeoutMs: 120_000 });
  worker = await spawnUntilLogLine({ name: 'worker', entry: 'src/worker/main.ts', env, line: '"msg":"worker started"', timeoutMs: 180_000 });
  receiver = await startReceiver();

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const call = async (method: string, p: string, key: string, body?: unknown) => {
    const res = await fetch(`${apiUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  const team = await call('POST', '/admin/v1/teams', ADMIN_KEY, { name: 'Cluster smoke', notificationEmail: 'ops@example.com', credits: 100 });
  expect(team.status).toBe(201);
  const apiKey: string = team.body.apiKey;
  const webhook = await call('POST', '/v1/webhooks', apiKey, { name: 'smoke', url: `${receiver.url}/hooks`, events: ['prospect.*'] });
  expect(webhook.status).toBe(201);

  const sentAt = Date.now();
  const event = await call('POST', '/v1/events', apiKey, { event: 'prospect.qualified', data: { prospectId: 'p_1' } });
  expect(event.status).toBe(202);
  const delivery = await waitFor(
    async () => {
      const res = await call('GET', `/v1/events/${event.body.id}`, apiKey);
      const d = res.body.deliveries?.[0];
      return d?.status === 'succeeded' ? d : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the delivery to succeed' },
  );
  figures.ingestToSucceededMs = Date.now() - sentAt;
  figures.ingestToArrivalMs = receiver.at('/hooks')[0]!.at - sentAt;

  const arrived = receiver.at('/hooks');
  expect(arrived).toHaveLength(1);
  const payload = new Webhook(webhook.body.secret).verify(arrived[0]!.body, arrived[0]!.headers) as { id: string };
  expect(payload.id).toBe(event.body.id);

  // The delivery's workflow is found by Hookferry's search attributes in the server's SQL visibility store.
  connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const query = `WebhookId = '${webhook.body.id}' AND TeamId = '${team.body.id}' AND EventType = 'prospect.qualified' AND DeliveryStatus = 'succeeded'`;
  const found = await waitFor(
    async () => {
      const ids: string[] = [];
      for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.length > 0 ? ids : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: `a workflow matching ${query}` },
  );
  expect(found[0]).toContain(event.body.id);
  expect(delivery.status).toBe('succeeded');

  // The first delivery pays for cold caches (task queues, workflow code); the next ones show the steady state.
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = receiver.at('/hooks').length;
    const at = Date.now();
    expect((await call('POST', '/v1/events', apiKey, { event: 'prospect.qualified', data: { prospectId: `p_${i + 2}` } })).status).toBe(202);
    await waitFor(() => receiver!.at('/hooks').length > before, { timeoutMs: 30_000, intervalMs: 5, what: 'the next delivery' });
    warm.push(receiver.at('/hooks')[before]!.at - at);
  }
  figures.nextIngestToArrivalMs = warm;

  figures.serverMemoryAfterDelivery = server.memory();
});
