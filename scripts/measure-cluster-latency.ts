// `npx tsx scripts/measure-cluster-latency.ts [--stack NAME=cluster[:DYNAMIC_CONFIG_FILE] | --stack dev]... [--events N]`
// (`cluster-async` instead of `cluster`: the server's databases with synchronous_commit off, to see
// what waiting for PostgreSQL's disk flush costs; an experiment, never a setting to run with)
//
// How long one delivery takes on an otherwise idle stack, on the production Temporal server
// (deploy/temporal/ on PostgreSQL; another dynamic config file to compare) and on the dev server.
// Every stack named runs at once — its own Temporal server, one worker and one API process as
// `npm run worker` / `npm run api` start them — and the events go to the stacks in turn, one at a
// time, so that a machine shared with other work slows every stack alike. Both
// HOOKFERRY_DELIVERY_WORKFLOWS settings. Measured per stack:
//   - ingest → first arrival, and its hops read from the workflows' Temporal histories;
//   - for a delivery whose first attempt fails, how much later than scheduled its retry arrives,
//     with a retry 200 ms away (shorter than a second: a timer) and one 2 s away.
// Default: `--stack cluster --stack dev`. Scratch databases and ports; everything is dropped after.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { eventHops, type HopSample } from '../bench/lib/breakdown';
import { createDb, type Db } from '../src/db/database';
import { ensureDatabaseExists, migrateToLatest } from '../src/db/migrate';
import { portAnswers, startDevServer, stopProcess } from '../src/temporal/devServer';
import { ensureTemporalCli } from '../src/temporal/cli';
import { registerNamespaceAndSearchAttributes } from '../src/temporal/registration';
import { clusterSettings, ensureTemporalServerBinaries, setupTemporalSchemas, startTemporalServer, TEMPORAL_CONFIG_DIR } from '../src/temporal/server';
import { freePort } from './lib/freePort';

const ROOT = path.resolve(__dirname, '..');
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN_KEY = 'latency-admin-key';
const RETRY_DELAYS_MS = [200, 2_000];
const run = `latency_${process.pid}`;
const say = (line: string) => process.stderr.write(`${line}\n`);

function args() {
  const stacks: Array<{ name: string; kind: 'cluster' | 'cluster-async' | 'dev'; dynamicConfig?: string }> = [];
  let events = 30;
  for (let i = 2; i < process.argv.length; i++) {
    if (process.argv[i] === '--events') events = Number(process.argv[++i]);
    else if (process.argv[i] === '--stack') {
      const spec = process.argv[++i]!;
      const [name, what = name] = spec.includes('=') ? spec.split('=', 2) as [string, string] : [spec, spec];
      const [kind, file] = what.split(/:(.*)/s) as [string, string | undefined];
      if (kind !== 'cluster' && kind !== 'cluster-async' && kind !== 'dev') throw new Error(`--stack ${spec}: cluster[:FILE], cluster-async[:FILE] or dev`);
      stacks.push({ name, kind, dynamicConfig: file ? path.resolve(file) : kind === 'dev' ? undefined : path.join(TEMPORAL_CONFIG_DIR, 'dynamicconfig.yaml') });
    } else throw new Error(`unknown argument ${process.argv[i]}`);
  }
  if (stacks.length === 0) stacks.push({ name: 'cluster', kind: 'cluster', dynamicConfig: path.join(TEMPORAL_CONFIG_DIR, 'dynamicconfig.yaml') }, { name: 'dev', kind: 'dev' });
  return { stacks, events };
}

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const q = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
  return { p50: q(0.5), p90: q(0.9), mean: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length), n: xs.length };
};

async function dropDatabases(names: string[]) {
  const admin = new PgClient({ connectionString: ADMIN_URL });
  await admin.connect();
  for (const name of names) await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.end();
}

const usedOffsets = new Set<number>();
/** A port offset under which every port of the server is free (and below 32768). */
async function freeOffset(): Promise<number> {
  for (;;) {
    const offset = 1_000 + 100 * Math.floor(Math.random() * 241);
    if (usedOffsets.has(offset)) continue;
    const ports = clusterSettings({ TEMPORAL_PORT_OFFSET: String(offset) }).ports;
    if ((await Promise.all(ports.map((p) => portAnswers(p)))).every((answers) => !answers)) {
      usedOffsets.add(offset);
      return offset;
    }
  }
}

async function startTemporal(name: string, kind: 'cluster' | 'cluster-async' | 'dev', dynamicConfig?: string): Promise<{ address: string; stop: () => Promise<void> }> {
  if (kind === 'dev') {
    const server = await startDevServer({ cliPath: await ensureTemporalCli(), port: await freePort(), headless: true });
    return { address: server.address, stop: server.stop };
  }
  const env = {
    ...process.env,
    TEMPORAL_PORT_OFFSET: String(await freeOffset()),
    TEMPORAL_DB_NAME: `temporal_${run}_${name}`,
    TEMPORAL_VISIBILITY_DB_NAME: `temporal_${run}_${name}_visibility`,
    TEMPORAL_DYNAMIC_CONFIG_FILE: dynamicConfig,
    TEMPORAL_LOG_LEVEL: 'warn',
  };
  const binaries = await ensureTemporalServerBinaries(['temporal-server', 'temporal-sql-tool']);
  await setupTemporalSchemas(binaries['temporal-sql-tool'], clusterSettings(env), () => undefined);
  if (kind === 'cluster-async') {
    const admin = new PgClient({ connectionString: ADMIN_URL });
    await admin.connect();
    for (const database of [env.TEMPORAL_DB_NAME, env.TEMPORAL_VISIBILITY_DB_NAME]) await admin.query(`alter database "${database}" set synchronous_commit = off`);
    await admin.end();
  }
  const server = await startTemporalServer({ serverPath: binaries['temporal-server'], env });
  await registerNamespaceAndSearchAttributes({ address: server.address, namespace: 'default', retentionDays: 1, say: () => undefined });
  return {
    address: server.address,
    stop: async () => {
      await server.stop();
      await dropDatabases([env.TEMPORAL_DB_NAME, env.TEMPORAL_VISIBILITY_DB_NAME]);
    },
  };
}

function spawnService(entry: string, env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const collect = (c: Buffer) => {
      output = (output + c.toString()).slice(-20_000);
      if (output.includes(ready)) resolve(child);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}):\n${output}`)));
  });
}

async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 3));
  }
}

async function main() {
  const { stacks: specs, events } = args();
  const hookferryDb = `hookferry_${run}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${hookferryDb}`;
  const databaseUrl = url.toString();
  await ensureDatabaseExists(databaseUrl);
  const db: Db = createDb(databaseUrl, 4);
  await migrateToLatest(db);

  // Arrivals by webhook-id; a path under /retry/ answers 503 to a delivery's first POST.
  const arrivals = new Map<string, number[]>();
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const seen = arrivals.get(id) ?? [];
      seen.push(Date.now());
      arrivals.set(id, seen);
      res.writeHead(req.url!.startsWith('/retry/') && seen.length === 1 ? 503 : 200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const servers: Array<{ name: string; address: string; client: Client; connection: Connection; stop: () => Promise<void> }> = [];
  const results: Record<string, Record<string, unknown>> = {};
  try {
    for (const spec of specs) {
      say(`${spec.name}: starting the Temporal ${spec.kind === 'dev' ? 'dev server' : `server (dynamic config ${spec.dynamicConfig})`}`);
      const temporal = await startTemporal(spec.name, spec.kind, spec.dynamicConfig);
      const connection = await Connection.connect({ address: temporal.address });
      servers.push({ name: spec.name, ...temporal, connection, client: new Client({ connection, namespace: 'default' }) });
      results[spec.name] = { temporal: spec.kind, dynamicConfig: spec.dynamicConfig ?? null };
    }

    for (const mode of ['as-needed', 'every'] as const) {
      const stacks: Array<{ server: (typeof servers)[number]; worker: ChildProcess; api: ChildProcess; call: (method: string, p: string, key: string, body?: unknown) => Promise<any>; apiKey: string; arrival: number[]; hops: HopSample[]; retryLate: Record<number, number[]> }> = [];
      // Processes started so far are stopped however this mode ends (even if a later one fails to start).
      const started: ChildProcess[] = [];
      try {
        for (const server of servers) {
          const port = await freePort();
          const env = {
            DATABASE_URL: databaseUrl,
            TEMPORAL_ADDRESS: server.address,
            HOOKFERRY_TASK_QUEUE: `${run}-${server.name}-${mode}`,
            HOOKFERRY_ADMIN_KEY: ADMIN_KEY,
            HOOKFERRY_ALLOWED_CIDRS: '127.0.0.0/8',
            HOOKFERRY_DELIVERY_WORKFLOWS: mode,
            HOOKFERRY_RATE_LIMIT_PER_MINUTE: '0',
            PORT: String(port),
            LOG_LEVEL: 'info',
          };
          say(`${server.name}, ${mode}: starting a worker and an API`);
          const worker = await spawnService('src/worker/main.ts', env, '"msg":"worker started"');
          started.push(worker);
          const api = await spawnService('src/api/main.ts', env, '"msg":"API listening"');
          started.push(api);
          const call = async (method: string, p: string, key: string, body?: unknown) => {
            const res = await fetch(`http://127.0.0.1:${port}${p}`, {
              method,
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: body === undefined ? undefined : JSON.stringify(body),
            });
            return (await res.json()) as any;
          };
          const team = await call('POST', '/admin/v1/teams', ADMIN_KEY, { name: mode, notificationEmail: 'ops@example.com', credits: 1_000_000 });
          // An event type per retry delay, so that each event goes to one webhook.
          for (const delay of RETRY_DELAYS_MS) {
            await call('POST', '/admin/v1/event-types', ADMIN_KEY, { id: `latency.retry${delay}`, name: `retry ${delay}`, description: 'latency measurement' });
          }
          await call('POST', '/v1/webhooks', team.apiKey, { name: 'ok', url: `${receiverUrl}/ok`, events: ['prospect.qualified'] });
          for (const delay of RETRY_DELAYS_MS) {
            await call('POST', '/v1/webhooks', team.apiKey, { name: `retry ${delay}`, url: `${receiverUrl}/retry/${delay}`, events: [`latency.retry${delay}`], retrySchedule: { delays: [`${delay}ms`] } });
          }
          stacks.push({ server, worker, api, call, apiKey: team.apiKey as string, arrival: [] as number[], hops: [] as HopSample[], retryLate: Object.fromEntries(RETRY_DELAYS_MS.map((d) => [d, [] as number[]])) });
        }

        const deliveryOf = (eventId: string) => until(async () => db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).executeTakeFirst(), `the delivery of ${eventId}`);
        // One warm-up round, not counted: the first workflows of a task queue pay for cold caches.
        for (let i = -1; i < events; i++) {
          for (const s of stacks) {
            const sentAt = Date.now();
            const e = await s.call('POST', '/v1/events', s.apiKey, { event: 'prospect.qualified', data: { i } });
            const d = await deliveryOf(e.id);
            const arrived = await until(() => arrivals.get(d.id)?.[0], 'the arrival');
            if (i < 0) continue;
            s.arrival.push(arrived - sentAt);
            const done = await until(async () => {
              const row = await db.selectFrom('deliveries').selectAll().where('id', '=', d.id).executeTakeFirst();
              return row?.status === 'succeeded' ? row : undefined;
            }, 'the delivery to be recorded');
            s.hops.push(await eventHops(s.server.client, done.dispatch_workflow_id!, mode === 'every' ? done.delivery_workflow_id! : undefined, sentAt, arrived));
          }
        }
        for (let i = -1; i < Math.min(events, 15); i++) {
          for (const delay of RETRY_DELAYS_MS) {
            for (const s of stacks) {
              const e = await s.call('POST', '/v1/events', s.apiKey, { event: `latency.retry${delay}`, data: { i } });
              const d = await deliveryOf(e.id);
              const [first, second] = await until(() => (arrivals.get(d.id)?.length === 2 ? arrivals.get(d.id) : undefined), 'the retry');
              if (i >= 0) s.retryLate[delay]!.push(second! - first! - delay);
            }
          }
        }
        for (const s of stacks) {
          const hopNames = Object.keys(s.hops[0] ?? {});
          results[s.server.name]![mode] = {
            ingestToArrivalMs: stats(s.arrival),
            hopsMs: Object.fromEntries(hopNames.map((h) => [h, stats(s.hops.map((x) => x[h]!).filter(Number.isFinite))])),
            retryLaterThanScheduledMs: Object.fromEntries(RETRY_DELAYS_MS.map((d) => [`${d} ms retry (+0-10% jitter)`, stats(s.retryLate[d]!)])),
          };
          say(`${s.server.name}, ${mode}: ingest → arrival ${JSON.stringify(stats(s.arrival))}`);
        }
      } finally {
        for (const p of started.reverse()) await stopProcess(p, 10_000);
      }
    }
  } finally {
    receiver.close();
    for (const s of servers) {
      await s.connection.close();
      await s.stop();
    }
    await db.destroy();
    await dropDatabases([hookferryDb]);
  }
  console.log(JSON.stringify({ events, ...results }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
