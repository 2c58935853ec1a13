import { readFileSync } from 'node:fs';
import { callApi, type ApiResponse, type CallOptions } from './callApi';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../../src/api/server';
import { loadConfig, type Config } from '../../src/config';
import { createDb, type Db } from '../../src/db/database';
import type { KeyRing } from '../../src/domain/secretBox';
import { requireSecretKeys } from '../../src/services/webhookSecrets';
import type { Resolver } from '../../src/delivery/sendWebhook';
import { createWorker } from '../../src/worker/worker';
import { startReceiver, type Receiver, type Responder } from './receiver';
import { startSmtpServer } from './smtp';

export const TEST_ADMIN_KEY = 'test-admin-key';

let runtimeInstalled = false;
export function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      shutdownSignals: [],
      logger: new DefaultLogger((process.env.TEST_TEMPORAL_LOG_LEVEL as 'ERROR') ?? 'ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), console: {} } },
    });
  } catch {
    // already installed by another file in this process
  }
}

export type { ApiResponse } from './callApi';

/** A parsed pino record. */
export type LogRecord = { level: number; msg?: string } & Record<string, unknown>;

export interface Stack {
  apiUrl: string;
  /** Everything the API and worker logged at warn level or above, as records (tests assert on errors). */
  logs: LogRecord[];
  adminKey: string;
  config: Config;
  db: Db;
  client: Client;
  worker: Worker;
  receiver: Receiver;
  smtp?: Awaited<ReturnType<typeof startSmtpServer>>;
  createTeam(opts?: { credits?: number; name?: string; email?: string }): Promise<{ id: string; apiKey: string }>;
  call<T = any>(method: string, path: string, opts?: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  /** The keys webhook secrets are sealed with; rows inserted directly use storedWebhookSecrets(stack.secretKeys, row). */
  secretKeys: KeyRing;
  /** Stops only the worker (to simulate a crash); `restartWorker` brings a new one up, with `env` on top of the stack's (e.g. other keys). */
  stopWorker(): Promise<void>;
  restartWorker(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  respond?: Responder;
  smtp?: boolean | { failWith?: () => string | undefined };
  resolver?: Resolver;
  /** Start no worker (tests that start their own). */
  noWorker?: boolean;
}

const WARN = 40;
const MAX_KEPT_LOGS = 1_000;

/**
 * A logger that keeps warn-and-above records in memory (so a test can assert that nothing
 * logged an unhandled error) and prints from `printLevel` up, if given (TEST_LOG_LEVEL).
 */
function capturingLogger(printLevel: string | undefined): { log: pino.Logger; logs: LogRecord[] } {
  const logs: LogRecord[] = [];
  const printFrom = printLevel ? (pino.levels.values[printLevel] ?? Infinity) : Infinity;
  const destination = {
    write(line: string) {
      const record = JSON.parse(line) as LogRecord;
      if (record.level >= WARN && logs.length < MAX_KEPT_LOGS) logs.push(record);
      if (record.level >= printFrom) process.stdout.write(line);
    },
  };
  return { log: pino({ level: printFrom < WARN ? printLevel! : 'warn' }, destination), logs };
}

/**
 * The real Hookferry stack for a test file: the shared Temporal dev server and PostgreSQL
 * (from globalSetup), a worker on its own task queue, the HTTP API on a free port, a loopback
 * receiver, and optionally a real SMTP server.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  quietRuntime();
  const receiver = await startReceiver(opts.respond);
  const smtp = opts.smtp ? await startSmtpServer(typeof opts.smtp === 'object' ? opts.smtp : {}) : undefined;
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const configFor = (overrides: Record<string, string> = {}) => loadConfig({
    ...process.env,
    HOOKFERRY_ADMIN_KEY: TEST_ADMIN_KEY,
    HOOKFERRY_ALLOWED_CIDRS: '127.0.0.0/8',
    HOOKFERRY_TASK_QUEUE: taskQueue,
    HOOKFERRY_RETRY_DELAY_SCALE: '0.05',
    // The production timeout: a receiver on this busy machine must never look like it timed out
    // (tests of timeouts set a short one themselves).
    HOOKFERRY_ATTEMPT_TIMEOUT_MS: '10000',
    HOOKFERRY_HELD_RECHECK_MS: '60000',
    // Every signature header Hookferry can send (Standard Webhooks and both seed styles), so the
    // tests check them all (verifySignatures).
    HOOKFERRY_SIGNATURE_PRESETS: 'all',
    SMTP_URL: smtp?.url ?? '',
    LOG_LEVEL: 'silent',
    ...opts.env,
    ...overrides,
  });
  const config = configFor();
  const { log, logs } = capturingLogger(process.env.TEST_LOG_LEVEL);
  const db = createDb(config.databaseUrl, 20);
  const connection = await Connection.connect({ address: config.temporalAddress! });
  const client = new Client({ connection, namespace: config.temporalNamespace });
  const workflowBundle = { code: readFileSync(process.env.HOOKFERRY_TEST_WORKFLOW_BUNDLE!, 'utf8') };

  let current: { worker: Worker; run: Promise<void>; close: () => Promise<void> } | undefined;
  async function startWorker(env?: Record<string, string>) {
    const w = await createWorker({ config: configFor(env), temporalAddress: config.temporalAddress!, db, client, log, workflowBundle, resolver: opts.resolver });
    current = { worker: w.worker, run: w.worker.run(), close: w.close };
  }
  async function stopWorker() {
    if (!current) return;
    const c = current;
    current = undefined;
    c.worker.shutdown();
    await c.run.catch(() => undefined);
    await c.close();
  }
  if (!opts.noWorker) await startWorker();

  const api = await startApi({ config, db, temporal: client, log, port: 0 });

  const call = <T>(method: string, path: string, o?: CallOptions) => callApi<T>(api.url, method, path, o);

  const stack: Stack = {
    apiUrl: api.url,
    logs,
    adminKey: TEST_ADMIN_KEY,
    config,
    db,
    client,
    secretKeys: requireSecretKeys(config),
    get worker() {
      return current!.worker;
    },
    receiver,
    smtp,
    async createTeam(o = {}) {
      const res = await call<{ id: string; apiKey: string }>('POST', '/admin/v1/teams', {
        key: TEST_ADMIN_KEY,
        body: { name: o.name ?? `Team ${randomBytes(3).toString('hex')}`, notificationEmail: o.email ?? 'alerts@example.com', credits: o.credits ?? 1000 },
      });
      if (res.status !== 201) throw new Error(`createTeam failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, apiKey: res.body.apiKey };
    },
    call,
    stopWorker,
    restartWorker: async (env) => {
      await stopWorker();
      await startWorker(env);
    },
    async stop() {
      await api.close();
      await stopWorker();
      await connection.close();
      await db.destroy();
      await receiver.close();
      await smtp?.close();
    },
  };
  return stack;
}
