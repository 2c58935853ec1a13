// The production topology on this machine, for test/cluster/: the real Temporal server on
// PostgreSQL (`npm run temporal:cluster -- start`), two API processes and two worker processes
// started as `npm run api` / `npm run worker` start them, all on one fresh Hookferry database,
// plus a loopback receiver and a real SMTP server.
import { createWriteStream, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../scripts/lib/freePort';
import { loadConfig, type Config } from '../../src/config';
import { createDb, type Db } from '../../src/db/database';
import { generateKeySetting } from '../../src/domain/secretBox';
import { startReceiver, type Receiver, type ReceivedRequest, type Responder } from '../helpers/receiver';
import { startSmtpServer } from '../helpers/smtp';
import { callApi, type ApiResponse, type CallOptions } from '../helpers/callApi';
import { spawnUntilLogLine, type SpawnedProcess } from '../../scripts/lib/spawnProcess';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';
import { connectionsHeldBy, processOwningConnection } from './connectionOwner';
import { waitFor } from '../helpers/wait';
import { databaseUrl, dropDatabases, startClusterServer, type ClusterServer } from '../../scripts/lib/clusterServer';

export const CLUSTER_ADMIN_KEY = 'cluster-test-admin-key';
/** How often each worker's reconciler runs (work two seconds overdue is looked at). */
export const RECONCILE_INTERVAL_MS = 1_000;
/** Per API key, shared by both API instances; low enough for the rate-limit test to exceed. */
export const RATE_LIMIT_PER_MINUTE = 240;
// Starting four node processes (two of them bundling the workflow code) on two busy cores.
const PROCESS_START_TIMEOUT_MS = 240_000;

export interface ApiInstance {
  url: string;
  process: SpawnedProcess;
}

/** What a worker's reconciler reported restarting (its 'reconciler restarted work' log lines). */
export interface ReconcilerReport {
  passes: number;
  events: number;
  deliveries: number;
}

export type { ApiResponse } from '../helpers/callApi';

export interface Topology {
  server: ClusterServer;
  /** The settings every process runs with. */
  config: Config;
  /** A connection pool of the test's own on the Hookferry database. */
  db: Db;
  client: Client;
  apis: ApiInstance[];
  /** The two worker slots; `replaceWorker` fills one again after a kill. */
  workers: WorkerProcess[];
  receiver: Receiver;
  smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  /** How long the four processes took to start together on the empty database. */
  processesStartMs: number;
  /** Answers requests whose path starts with `prefix` (the receiver's default: 200). */
  route(prefix: string, responder: Responder): void;
  /** The pid of the worker process that sent the request being answered (from its connection). */
  senderOf(res: ServerResponse): number | undefined;
  reconcilerReport(pid: number): ReconcilerReport;
  call<T = any>(api: number, method: string, path: string, opts?: CallOptions): Promise<ApiResponse<T>>;
  createTeam(opts?: { credits?: number; email?: string }): Promise<{ id: string; apiKey: string }>;
  /** SIGKILLs the worker in `slot`, first noting its connections so `senderOf` names it for requests still arriving. */
  killWorker(slot: number): Promise<void>;
  replaceWorker(slot: number): Promise<WorkerProcess>;
  /** Stops everything and drops the databases; resolves with how long the server took to stop. */
  stop(): Promise<number>;
}

export async function startTopology(opts: { outputDir: string }): Promise<Topology> {
  const run = `cluster_${process.pid}`;
  const hookferryDatabase = `hookferry_${run}`;
  await dropDatabases([hookferryDatabase]);
  const server = await startClusterServer({ name: run, logFile: path.join(opts.outputDir, 'cluster-server.log') });
  const receiver = await startReceiver();
  const smtp = await startSmtpServer();

  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl(hookferryDatabase),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    HOOKFERRY_TASK_QUEUE: `hookferry-${run}`,
    HOOKFERRY_ADMIN_KEY: CLUSTER_ADMIN_KEY,
    // Every API and worker of a deployment shares one key for the signing secrets at rest.
    HOOKFERRY_SECRETS_KEY: generateKeySetting(),
    HOOKFERRY_ALLOWED_CIDRS: '127.0.0.0/8',
    HOOKFERRY_RETRY_DELAY_SCALE: '0.05',
    HOOKFERRY_ATTEMPT_TIMEOUT_MS: '2000',
    HOOKFERRY_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
    HOOKFERRY_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
    HOOKFERRY_RECONCILE_MARGIN_MS: '2000',
    SMTP_URL: smtp.url,
    LOG_LEVEL: 'info',
  };
  const config = loadConfig({ ...process.env, ...env });

  const routes: Array<[string, Responder]> = [];
  receiver.respond = (req, res) => {
    const match = routes.find(([prefix]) => req.path.startsWith(prefix));
    if (match) return match[1](req, res);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  };

  // Every process's whole output, for reading after a failure (the spawner keeps only a tail).
  const keepLog = (p: SpawnedProcess['process'], name: string, soFar: string) => {
    const file = createWriteStream(path.join(opts.outputDir, `cluster-${name}.log`));
    file.write(soFar);
    p.stdout!.pipe(file);
    p.stderr!.pipe(file);
  };

  const reports = new Map<number, ReconcilerReport>();
  const everyWorkerPid: number[] = [];
  // The sender's end of a connection: its local port is the receiver's remote port. Looked up as
  // the connection opens, while the sender usually lives (a request can end after its sender died).
  // A connection a killed worker opened just before it died can reach the receiver's accept after
  // /proc stopped naming its owner: `killWorker` remembers those first.
  const heldByKilled = new Map<number, number>(); // sender's local port -> pid of the killed worker
  const ownerOf = (socket: Socket) =>
    processOwningConnection(socket.remotePort!, socket.localPort!, everyWorkerPid) ?? heldByKilled.get(socket.remotePort!);
  const senders = new WeakMap<Socket, number | undefined>();
  receiver.onConnection = (socket) => void senders.set(socket, ownerOf(socket));
  const startWorker = async () => {
    const worker = await spawnWorker(config, env, { timeoutMs: PROCESS_START_TIMEOUT_MS });
    const pid = worker.process.pid!;
    everyWorkerPid.push(pid);
    keepLog(worker.process, `worker-${pid}`, worker.output());
    const report: ReconcilerReport = { passes: 0, events: 0, deliveries: 0 };
    reports.set(pid, report);
    let partial = '';
    worker.process.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('reconciler restarted work')) continue;
        const { events, deliveries } = JSON.parse(line) as { events: number; deliveries: number };
        report.passes++;
        report.events += events;
        report.deliveries += deliveries;
      }
    });
    return worker;
  };
  const startApi = async () => {
    const port = await freePort();
    const process = await spawnUntilLogLine({
      name: 'api',
      entry: 'src/api/main.ts',
      env: { ...env, PORT: String(port) },
      line: '"msg":"API listening"',
      timeoutMs: PROCESS_START_TIMEOUT_MS,
    });
    keepLog(process.process, `api-${port}`, process.output());
    return { url: `http://127.0.0.1:${port}`, process };
  };

  // All four at once on the empty database: each creates it if missing and migrates it at start.
  const startedAt = Date.now();
  const started = await Promise.allSettled([startApi(), startApi(), startWorker(), startWorker()]);
  const processesStartMs = Date.now() - startedAt;
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of started) if (s.status === 'fulfilled') await s.value.process.kill('SIGKILL');
    await server.stop();
    await server.dropDatabases();
    await dropDatabases([hookferryDatabase]);
    await Promise.all([receiver.close(), smtp.close()]);
    throw (failed as PromiseRejectedResult).reason;
  }
  const [api0, api1, worker0, worker1] = started.map((s) => (s as PromiseFulfilledResult<any>).value);
  const apis: ApiInstance[] = [api0, api1];
  const workers: WorkerProcess[] = [worker0, worker1];

  const db = createDb(env.DATABASE_URL!, 5);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });

  const call = <T>(api: number, method: string, p: string, o?: CallOptions) => callApi<T>(apis[api]!.url, method, p, o);

  return {
    server,
    config,
    db,
    client,
    apis,
    workers,
    receiver,
    smtp,
    processesStartMs,
    route: (prefix, responder) => void routes.push([prefix, responder]),
    senderOf: (res) => senders.get(res.socket!) ?? ownerOf(res.socket!),
    reconcilerReport: (pid) => reports.get(pid) ?? { passes: 0, events: 0, deliveries: 0 },
    call,
    async createTeam(o = {}) {
      const res = await call<{ id: string; apiKey: string }>(0, 'POST', '/admin/v1/teams', {
        key: CLUSTER_ADMIN_KEY,
        body: { name: `Team ${randomBytes(3).toString('hex')}`, notificationEmail: o.email ?? 'alerts@example.com', credits: o.credits ?? 1_000 },
      });
      if (res.status !== 201) throw new Error(`createTeam failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async killWorker(slot) {
      const worker = workers[slot]!;
      const pid = worker.process.pid!;
      // Stopped, it opens no more connections; then every one it opened is in its descriptors.
      worker.process.kill('SIGSTOP');
      await waitFor(() => processState(pid) === 'T', { intervalMs: 5, what: `worker ${pid} stopped` });
      for (const port of connectionsHeldBy(pid, receiver.port)) heldByKilled.set(port, pid);
      await worker.kill('SIGKILL');
    },
    async replaceWorker(slot) {
      await workers[slot]!.kill('SIGKILL');
      workers[slot] = await startWorker();
      return workers[slot]!;
    },
    async stop() {
      await connection.close();
      await Promise.all(apis.map((a) => a.process.kill('SIGTERM', 10_000)));
      await Promise.all(workers.map((w) => w.kill('SIGKILL')));
      await db.destroy();
      await receiver.close();
      await smtp.close();
      const serverStopMs = await server.stop();
      await server.dropDatabases();
      await dropDatabases([hookferryDatabase]);
      return serverStopMs;
    },
  };
}

/** Requests grouped by their webhook-id (the delivery id). */
export function byWebhookId(requests: ReceivedRequest[]): Map<string, ReceivedRequest[]> {
  const grouped = new Map<string, ReceivedRequest[]>();
  for (const r of requests) {
    const id = r.headers['webhook-id']!;
    grouped.set(id, [...(grouped.get(id) ?? []), r]);
  }
  return grouped;
}

/** A process's state letter from /proc/<pid>/status (R running, S sleeping, T stopped, …). */
function processState(pid: number): string | undefined {
  try {
    return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
