// Starts the benchmark's own Hookferry stack: a Temporal dev server on free ports, a fresh
// PostgreSQL database, and the worker and API as separate child processes (production layout),
// so each one's CPU and memory can be read from /proc.
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { Client as PgClient } from 'pg';
import { createDb, type Db } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { generateKeySetting, parseKeyRing, type KeyRing } from '../../src/domain/secretBox';
import { ensureTemporalCli } from '../../src/temporal/cli';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
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
  temporal: DevServer;
  temporalAddress: string;
  worker: ChildService;
  api: ChildService;
  apiUrl: string;
  /** The key ring the worker and API seal webhook secrets with (a fresh key per run): rows inserted directly use storedWebhookSecrets with it. */
  secretKeys: KeyRing;
  /** PostgreSQL backend pids serving the benchmark database (refreshed in the background). */
  postgresPids(): number[];
  stop(): Promise<void>;
}

export interface StackOptions {
  say: (line: string) => void;
  /** SQLite file for the dev server; undefined = in memory. */
  temporalDbFile?: string;
  dynamicConfig?: Record<string, string | number | boolean>;
  workerEnv?: Record<string, string>;
  apiEnv?: Record<string, string>;
}

/** Drops benchmark databases left by runs whose process is gone (never any other database). */
async function dropStaleBenchDatabases(admin: PgClient): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'hookferry_bench_%'`);
  for (const { datname } of rows) {
    const pid = Number(/^hookferry_bench_(\d+)$/.exec(datname)?.[1]);
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

    // Temporal dev server on free ports.
    const cliPath = await ensureTemporalCli(opts.say);
    if (opts.temporalDbFile) rmSync(opts.temporalDbFile, { force: true });
    const temporal = await startDevServer({
      cliPath,
      port: await freePort(),
      headless: true,
      dbFile: opts.temporalDbFile,
      dynamicConfig: opts.dynamicConfig,
    });
    cleanups.push(async () => {
      await temporal.stop();
      if (opts.temporalDbFile) for (const suffix of ['', '-wal', '-shm']) rmSync(opts.temporalDbFile + suffix, { force: true });
    });
    opts.say(`Temporal dev server on ${temporal.address} (${opts.temporalDbFile ? `SQLite file ${opts.temporalDbFile}` : 'in-memory SQLite'})`);

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
    };
    const worker = await spawnService('worker', 'src/worker/main.ts', { ...common, ...opts.workerEnv }, '"msg":"worker started"');
    cleanups.push(() => worker.stop());
    opts.say(`worker started (pid ${worker.pid})`);
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

    // PostgreSQL backends of our database, for CPU accounting.
    let pgPids: number[] = [];
    const pgWatch = new PgClient({ connectionString: ADMIN_URL });
    await pgWatch.connect();
    const refresh = async () => {
      const { rows } = await pgWatch.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [databaseName]);
      pgPids = rows.map((r) => r.pid);
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
      worker,
      api,
      apiUrl: `http://127.0.0.1:${apiPort}`,
      secretKeys: parseKeyRing(secretsKey, undefined)!,
      postgresPids: () => pgPids,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export function defaultTemporalDbFile(): string {
  return path.join(os.tmpdir(), `hookferry-bench-${process.pid}.sqlite`);
}
