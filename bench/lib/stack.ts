// Starts the benchmark's own Hookferry stack: Temporal on free ports (the dev server, or the real
// server on fresh PostgreSQL databases), a fresh PostgreSQL database, and the workers and the API
// as separate child processes (production layout), so each one's CPU and memory can be read from /proc.
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { Client as PgClient } from 'pg';
import { createDb, type Db } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { generateKeySetting, parseKeyRing, type KeyRing } from '../../src/domain/secretBox';
import { ensureTemporalCli } from '../../src/temporal/cli';
import { startDevServer } from '../../src/temporal/devServer';
import { startClusterServer } from '../../scripts/lib/clusterServer';
import { freePort } from '../../scripts/lib/freePort';
import { spawnUntilLogLine } from '../../scripts/lib/spawnProcess';

export const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_ADMIN_KEY = 'bench-admin-key';
export const TASK_QUEUE = 'hookferry-bench';

export interface ChildService {
  name: string;
  process: ChildProcess;
  pid: number;
  output(): string;
  /** Log lines that look like Temporal limit errors (ResourceExhausted, "limit exceeded", …). */
  limitErrors(): number;
  errorLines(): number;
  /** Events whose dispatch the API could not start in time (its warning): the reconciler dispatches them later. */
  dispatchStartFailures(): number;
  stop(): Promise<void>;
}

/**
 * Log lines that look like a Temporal limit error (ResourceExhausted, "namespace rate limit
 * exceeded", "Too many outstanding requests", …), in any process's output. Hookferry's own 429s
 * ("too many requests for this API key") are not Temporal's and do not match.
 */
export const TEMPORAL_LIMIT_ERROR = /resource.?exhausted|limit exceeded|namespace rps|pending child|too many outstanding/i;

/** Counts the lines of a stream that look like Temporal limit errors (a line may span chunks). */
function limitErrorCounter(): { feed(chunk: Buffer): void; count(): number } {
  let count = 0;
  let partial = '';
  return {
    feed(chunk) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (TEMPORAL_LIMIT_ERROR.test(line)) count++;
    },
    count: () => count,
  };
}

/** Where Temporal runs: the dev server (`temporal server start-dev`) or the real server on PostgreSQL (`npm run temporal:cluster -- start`). */
export type TemporalTopology = 'dev' | 'cluster';

export interface BenchTemporal {
  kind: TemporalTopology;
  address: string;
  /**
   * The server process measured as `temporal`: the dev server (the CLI runs it in-process), or
   * temporal-server itself, not the script that started it (idle once the server is registered).
   */
  pid: number;
  /** The server's PostgreSQL databases (cluster); none for the dev server, whose SQLite lives in its process. */
  databases: string[];
  /** Connections per store of each of the cluster server's services. */
  dbMaxConns?: number;
  /** Lines of the server's output that look like Temporal limit errors. */
  limitErrors(): number;
}

async function spawnService(name: string, entry: string, env: Record<string, string>, readyLine: string): Promise<ChildService> {
  let limitErrors = 0;
  let errorLines = 0;
  let dispatchStartFailures = 0;
  const child = await spawnUntilLogLine({
    name,
    entry,
    env,
    line: readyLine,
    timeoutMs: 120_000,
    // Extra node flags for profiling, e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
    nodeArgs: (process.env[`BENCH_${name.toUpperCase()}_NODE_ARGS`] ?? '').split(' ').filter(Boolean),
    onLine: (line) => {
      if (TEMPORAL_LIMIT_ERROR.test(line)) limitErrors++;
      if (/"level":(50|60)|\bERROR\b/.test(line)) errorLines++;
      if (line.includes('dispatch not started')) dispatchStartFailures += Number(/"events":(\d+)/.exec(line)?.[1] ?? 1);
    },
  });
  return {
    name,
    process: child.process,
    pid: child.process.pid!,
    output: child.output,
    limitErrors: () => limitErrors,
    errorLines: () => errorLines,
    dispatchStartFailures: () => dispatchStartFailures,
    stop: () => child.kill('SIGTERM', 15_000),
  };
}

export interface BenchStack {
  databaseUrl: string;
  databaseName: string;
  db: Db;
  temporal: BenchTemporal;
  temporalAddress: string;
  /** The worker processes (`--workers N`), all polling the same task queue. */
  workers: ChildService[];
  api: ChildService;
  apiUrl: string;
  /** The key ring the worker and API seal webhook secrets with (a fresh key per run): rows inserted directly use storedWebhookSecrets with it. */
  secretKeys: KeyRing;
  /** PostgreSQL backend pids serving the benchmark database (refreshed in the background). */
  postgresPids(): number[];
  /** PostgreSQL backend pids serving the Temporal server's databases (cluster; none for the dev server). */
  temporalPostgresPids(): number[];
  /** Stops every process and drops the databases; the cluster server's log is deleted unless `keepTemporalLog`. */
  stop(opts?: { keepTemporalLog?: boolean }): Promise<void>;
}

export interface StackOptions {
  say: (line: string) => void;
  temporal: TemporalTopology;
  /** Worker processes to start (at least 1). */
  workers: number;
  /** SQLite file for the dev server; undefined = in memory. */
  temporalDbFile?: string;
  /** Extra dynamic config of the dev server (the cluster's is deploy/temporal/dynamicconfig.yaml). */
  dynamicConfig?: Record<string, string | number | boolean>;
  workerEnv?: Record<string, string>;
  apiEnv?: Record<string, string>;
}

/**
 * Drops benchmark databases left by runs whose process is gone (never any other database):
 * Hookferry's `hookferry_bench_<pid>` and the cluster server's `temporal_bench_<pid>[_visibility]`.
 */
async function dropStaleBenchDatabases(admin: PgClient): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'hookferry_bench_%' or datname like 'temporal_bench_%'`);
  for (const { datname } of rows) {
    const pid = Number(/^(?:hookferry_bench_(\d+)|temporal_bench_(\d+)(?:_visibility)?)$/.exec(datname)?.slice(1).find(Boolean));
    if (!pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) await admin.query(`drop database if exists "${datname}" with (force)`);
  }
}

export async function startBenchStack(opts: StackOptions): Promise<BenchStack> {
  const cleanups: Array<() => Promise<void>> = [];
  let keepTemporalLog = false;
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    // PostgreSQL: a database of our own, named after this process, dropped at the end.
    const databaseName = `hookferry_bench_${process.pid}`;
    const admin = new PgClient({ connectionString: ADMIN_URL });
    await admin.connect();
    await dropStaleBenchDatabases(admin);
    await admin.query(`drop database if exists "${databaseName}" with (force)`);
    await admin.query(`create database "${databaseName}"`);
    await admin.end();
    cleanups.push(async () => {
      const a = new PgClient({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists "${databaseName}" with (force)`);
      await a.end();
    });
    const url = new URL(ADMIN_URL);
    url.pathname = `/${databaseName}`;
    const databaseUrl = url.toString();
    const db = createDb(databaseUrl, 8);
    cleanups.push(() => db.destroy());
    await migrateToLatest(db);
    opts.say(`database ${databaseName} created and migrated`);

    const temporal = opts.temporal === 'cluster' ? await startClusterTemporal(opts, cleanups, () => keepTemporalLog) : await startDevTemporal(opts, cleanups);

    // Webhook secrets are encrypted at rest under a key of this run's own.
    const secretsKey = generateKeySetting();
    const common = {
      HOOKFERRY_SECRETS_KEY: secretsKey,
      HOOKFERRY_SECRETS_OLD_KEYS: '',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      HOOKFERRY_TASK_QUEUE: TASK_QUEUE,
      // The receiver listens on loopback; the SSRF guard must allow it.
      HOOKFERRY_ALLOWED_CIDRS: '127.0.0.0/8',
      SMTP_URL: '',
      LOG_LEVEL: 'info',
      // Every signature header (Standard Webhooks and both seed styles), as the recorded figures
      // and bench/baseline.ts were measured with; the default since is Standard Webhooks only.
      HOOKFERRY_SIGNATURE_PRESETS: 'all',
    };
    // All at once, as a deployment scales out; each bundles its workflow code at start.
    const workerStarts = await Promise.allSettled(
      Array.from({ length: opts.workers }, () => spawnService('worker', 'src/worker/main.ts', { ...common, ...opts.workerEnv }, '"msg":"worker started"')),
    );
    const workers: ChildService[] = [];
    for (const started of workerStarts) {
      if (started.status === 'fulfilled') {
        workers.push(started.value);
        cleanups.push(() => started.value.stop());
      }
    }
    const failedWorker = workerStarts.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failedWorker) throw failedWorker.reason;
    opts.say(`${workers.length === 1 ? 'worker' : `${workers.length} workers`} started (pid ${workers.map((w) => w.pid).join(', ')})`);
    const apiPort = await freePort();
    const api = await spawnService(
      'api',
      'src/api/main.ts',
      {
        ...common,
        PORT: String(apiPort),
        HOOKFERRY_ADMIN_KEY: BENCH_ADMIN_KEY,
        ...opts.apiEnv,
      },
      '"msg":"API listening"',
    );
    cleanups.push(() => api.stop());
    opts.say(`API listening on 127.0.0.1:${apiPort} (pid ${api.pid})`);

    // PostgreSQL backends of our database and of the Temporal server's, for CPU accounting.
    let pgPids: number[] = [];
    let temporalPgPids: number[] = [];
    const pgWatch = new PgClient({ connectionString: ADMIN_URL });
    await pgWatch.connect();
    const refresh = async () => {
      const { rows } = await pgWatch.query<{ pid: number; datname: string }>('select pid, datname from pg_stat_activity where datname = any($1::text[])', [
        [databaseName, ...temporal.databases],
      ]);
      pgPids = rows.filter((r) => r.datname === databaseName).map((r) => r.pid);
      temporalPgPids = rows.filter((r) => r.datname !== databaseName).map((r) => r.pid);
    };
    await refresh();
    const pgTimer = setInterval(() => void refresh().catch(() => undefined), 2_000);
    pgTimer.unref();
    cleanups.push(async () => {
      clearInterval(pgTimer);
      await pgWatch.end();
    });

    return {
      databaseUrl,
      databaseName,
      db,
      temporal,
      temporalAddress: temporal.address,
      workers,
      api,
      apiUrl: `http://127.0.0.1:${apiPort}`,
      secretKeys: parseKeyRing(secretsKey, undefined)!,
      postgresPids: () => pgPids,
      temporalPostgresPids: () => temporalPgPids,
      stop: async (o) => {
        keepTemporalLog = o?.keepTemporalLog ?? false;
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The dev server on free ports, in memory or on a SQLite file. */
async function startDevTemporal(opts: StackOptions, cleanups: Array<() => Promise<void>>): Promise<BenchTemporal> {
  const cliPath = await ensureTemporalCli(opts.say);
  if (opts.temporalDbFile) rmSync(opts.temporalDbFile, { force: true });
  const server = await startDevServer({
    cliPath,
    port: await freePort(),
    headless: true,
    dbFile: opts.temporalDbFile,
    dynamicConfig: opts.dynamicConfig,
  });
  cleanups.push(async () => {
    await server.stop();
    if (opts.temporalDbFile) for (const suffix of ['', '-wal', '-shm']) rmSync(opts.temporalDbFile + suffix, { force: true });
  });
  opts.say(`Temporal dev server on ${server.address} (${opts.temporalDbFile ? `SQLite file ${opts.temporalDbFile}` : 'in-memory SQLite'})`);
  return { kind: 'dev', address: server.address, pid: server.process.pid!, databases: [], limitErrors: countLimitErrors(server.process) };
}

/** Limit errors in a process's stdout and stderr (a counter each, so their lines never mix). */
function countLimitErrors(child: ChildProcess): () => number {
  const out = limitErrorCounter();
  const err = limitErrorCounter();
  child.stdout?.on('data', out.feed);
  child.stderr?.on('data', err.feed);
  return () => out.count() + err.count();
}

/**
 * The real Temporal server, started by `npm run temporal:cluster -- start` on databases of this
 * run (temporal_bench_<pid>, dropped at the end) and free ports, with the cluster suite's small
 * connection pools (TEMPORAL_DB_MAX_CONNS, 5 unless set): the machine's PostgreSQL allows 100
 * connections, shared with other runs.
 */
async function startClusterTemporal(opts: StackOptions, cleanups: Array<() => Promise<void>>, keepLog: () => boolean): Promise<BenchTemporal> {
  const logFile = path.join(os.tmpdir(), `hookferry-bench-${process.pid}-temporal-server.log`);
  rmSync(logFile, { force: true });
  const errors = limitErrorCounter();
  const started = Date.now();
  const server = await startClusterServer({ name: `bench_${process.pid}`, logFile, adminUrl: ADMIN_URL, onOutput: errors.feed });
  cleanups.push(async () => {
    await server.stop();
    await server.dropDatabases();
    if (keepLog()) opts.say(`Temporal server log kept: ${logFile}`);
    else rmSync(logFile, { force: true });
  });
  opts.say(`Temporal server (pid ${server.serverPid()}) on ${server.address}, databases ${server.databases.join(', ')}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { kind: 'cluster', address: server.address, pid: server.serverPid(), databases: server.databases, dbMaxConns: server.dbMaxConns, limitErrors: errors.count };
}

export function defaultTemporalDbFile(): string {
  return path.join(os.tmpdir(), `hookferry-bench-${process.pid}.sqlite`);
}
