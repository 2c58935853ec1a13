// `npx tsx scripts/measure-rate-limit.ts`: what the shared (PostgreSQL) rate limit costs per
// request, on a scratch database of the local PostgreSQL (dropped afterwards):
//   1. the bucket upsert (rate_limit_take) alone: latency and CPU one at a time, throughput many at
//      once on one key and on many keys;
//   2. an authenticated API request (GET /v1/me) with the limit on and off, the difference being
//      the cost the limit adds to every request, e.g. on POST /v1/events.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Connection, Client } from '@temporalio/client';
import { sql } from 'kysely';
import pino from 'pino';
import { Client as PgClient } from 'pg';
import { percentile } from './lib/percentile';
import { RateLimiter } from '../src/api/rateLimit';
import { startApi } from '../src/api/server';
import { loadConfig } from '../src/config';
import { createDb } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrate';
import { createTeam } from '../src/services/teams';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = `hookferry_ratelimit_${process.pid}`;

const us = (ms: number) => `${Math.round(ms * 1000)} µs`;

async function timeSequential(n: number, fn: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / n };
}

/** Requests per second with `inFlight` loops running `fn` for `ms`. */
async function throughput(inFlight: number, ms: number, fn: (lane: number) => Promise<unknown>) {
  const until = performance.now() + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      while (performance.now() < until) {
        await fn(lane);
        done++;
      }
    }),
  );
  return Math.round(done / (ms / 1000));
}

async function main() {
  const admin = new PgClient({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${DB_NAME}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  const db = createDb(url.toString(), 20);
  try {
    await migrateToLatest(db);
    const limiter = new RateLimiter(db, 1_000_000_000);
    await timeSequential(500, () => limiter.take('warm-up'));
    const alone = await timeSequential(5_000, () => limiter.take('one-key'));
    const select1 = await timeSequential(5_000, () => db.selectNoFrom((eb) => eb.lit(1).as('one')).execute());
    console.log(`upsert alone, one at a time: p50 ${us(alone.p50)}, p99 ${us(alone.p99)} (a bare 'select 1' round trip: p50 ${us(select1.p50)})`);

    // CPU rather than time, which the other processes on a shared machine blur: the PostgreSQL
    // backend's (from /proc) and this process's, per statement, on a connection of its own.
    const single = createDb(url.toString(), 1);
    const singleLimiter = new RateLimiter(single, 1_000_000_000);
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(single);
    const backendCpuMs = () => {
      const fields = readFileSync(`/proc/${rows[0]!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in ticks of 10 ms
    };
    const cpuPer = async (n: number, fn: () => Promise<unknown>) => {
      const [backend0, own0] = [backendCpuMs(), process.cpuUsage()];
      for (let i = 0; i < n; i++) await fn();
      const own = process.cpuUsage(own0);
      return { backend: (backendCpuMs() - backend0) / n, node: (own.user + own.system) / 1000 / n };
    };
    await cpuPer(1_000, () => singleLimiter.take('cpu'));
    const upsertCpu = await cpuPer(20_000, () => singleLimiter.take('cpu'));
    const selectCpu = await cpuPer(20_000, () => sql`select 1`.execute(single));
    await single.destroy();
    console.log(
      `CPU per upsert: PostgreSQL ${us(upsertCpu.backend)}, Node ${us(upsertCpu.node)}; ` +
        `per bare 'select 1': PostgreSQL ${us(selectCpu.backend)}, Node ${us(selectCpu.node)}`,
    );

    for (const inFlight of [16, 64]) {
      const hot = await throughput(inFlight, 3_000, () => limiter.take('hot-key'));
      const spread = await throughput(inFlight, 3_000, (lane) => limiter.take(`key-${lane}`));
      console.log(`upserts/s with ${inFlight} in flight: ${hot} on one key (they queue on its row lock), ${spread} on ${inFlight} keys`);
    }

    // The API in process; GET /v1/me never calls Temporal, so a lazy connection that never connects will do.
    const team = await createTeam(db, { name: 'measure', notificationEmail: 'm@example.com' });
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    for (const [label, perMinute] of [
      ['limit off', '0'],
      ['limit on ', '1000000000'],
      ['limit off', '0'],
      ['limit on ', '1000000000'],
    ] as const) {
      const config = loadConfig({ ...process.env, DATABASE_URL: url.toString(), HOOKFERRY_RATE_LIMIT_PER_MINUTE: perMinute, LOG_LEVEL: 'silent' });
      const api = await startApi({ config, db, temporal, log: pino({ level: 'silent' }), port: 0 });
      const get = () => fetch(`${api.url}/v1/me`, { headers: { authorization: `Bearer ${team.apiKey}` } }).then((r) => r.arrayBuffer());
      await timeSequential(300, get);
      const seq = await timeSequential(2_000, get);
      const rps = await throughput(32, 5_000, get);
      console.log(`GET /v1/me, ${label}: p50 ${us(seq.p50)} one at a time; ${rps} req/s with 32 in flight`);
      await api.close();
    }
  } finally {
    await db.destroy();
    await admin.query(`drop database if exists "${DB_NAME}" with (force)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
