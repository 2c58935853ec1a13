// `npm run bench:stats` — how fast GET /v1/stats/deliveries answers over 1,000,000 attempt rows
// (issue 17; target < 100 ms), and what keeping the statistics rollup costs when attempts are
// logged. Uses a scratch database on the local PostgreSQL (dropped afterwards) and the real API
// in this process; no Temporal server is needed (the stats route never calls it).
//
//   npm run bench:stats                                  1,000,000 attempts, 10 webhooks, last 7 days
//   npm run bench:stats -- --attempts 200000 --webhooks 1000
//   npm run bench:stats -- --keep                        keep the database (its name is printed)
import { parseArgs } from 'node:util';
import { Client as PgClient } from 'pg';
import { Client } from '@temporalio/client';
import { sql } from 'kysely';
import pino from 'pino';
import { startApi } from '../src/api/server';
import { loadConfig } from '../src/config';
import { createDb, type Db } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrate';
import { newId } from '../src/ids';
import { createDeliveryStats } from '../src/services/deliveryStats';
import { createTeam } from '../src/services/teams';

const { values: args } = parseArgs({
  options: {
    attempts: { type: 'string', default: '1000000' },
    webhooks: { type: 'string', default: '10' },
    requests: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
  },
});
const ATTEMPTS = Number(args.attempts);
const WEBHOOKS = Number(args.webhooks);
const REQUESTS = Number(args.requests);
const ATTEMPTS_PER_DELIVERY = 4;
const CHUNK = 50_000;
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `hookferry_bench_stats_${process.pid}`;
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${dbName}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const db = createDb(url.toString(), 10);
  try {
    await migrateToLatest(db);
    const team = await createTeam(db, { name: 'Bench', notificationEmail: 'bench@example.com', credits: 0 });
    const webhookIds = await seed(db, team.id);
    await sql`vacuum analyze`.execute(db);
    const rollupRows = await sql<{ n: string }>`select (select count(*) from delivery_attempt_stats) + (select count(*) from team_delivery_attempt_stats) as n`.execute(db).then((r) => r.rows[0]!);
    const attemptRows = await db.selectFrom('delivery_attempts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

    const config = loadConfig({ ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', HOOKFERRY_RATE_LIMIT_PER_MINUTE: '0' });
    const api = await startApi({ config, db, temporal: new Client(), log: pino({ level: 'silent' }), port: 0 });
    const results: Array<{ scope: string; window: string; p50: number; max: number; attempts: number; serviceP50: number }> = [];
    const service = createDeliveryStats(db);
    try {
      for (const scope of ['team', 'webhook'] as const) {
        for (const window of ['hour', 'day', 'week'] as const) {
          const query = `window=${window}${scope === 'webhook' ? `&webhookId=${webhookIds[0]}` : ''}`;
          const times: number[] = [];
          let attempts = 0;
          for (let i = 0; i < REQUESTS + 3; i++) {
            const started = performance.now();
            const res = await fetch(`${api.url}/v1/stats/deliveries?${query}`, { headers: { authorization: `Bearer ${team.apiKey}` } });
            const body = (await res.json()) as { totals: { attempts: number } };
            const ms = performance.now() - started;
            if (res.status !== 200) throw new Error(`stats route answered ${res.status}: ${JSON.stringify(body)}`);
            attempts = body.totals.attempts;
            if (i >= 3) times.push(ms); // the first requests warm the connection pool and caches
          }
          // The same figures without HTTP and authentication: the query and the assembly alone.
          const direct: number[] = [];
          for (let i = 0; i < REQUESTS; i++) {
            const started = performance.now();
            await service.get(team.id, { window, webhookId: scope === 'webhook' ? webhookIds[0] : undefined });
            direct.push(performance.now() - started);
          }
          const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
          results.push({ scope, window, p50: median(times), max: Math.max(...times), attempts, serviceP50: median(direct) });
        }
      }
    } finally {
      await api.close();
    }

    const insertCost = await measureInsertCost(db, webhookIds[webhookIds.length - 1]!);
    const out = [
      `GET /v1/stats/deliveries over ${Number(attemptRows.n).toLocaleString('en-US')} attempt rows (${WEBHOOKS} webhooks, one team, the last 7 days; ${Number(rollupRows.n).toLocaleString('en-US')} rollup rows); ${REQUESTS} requests each over HTTP:`,
      '',
      '| scope | window | attempts in window | HTTP p50 ms | HTTP max ms | query + assembly p50 ms |',
      '| --- | --- | --- | --- | --- | --- |',
      ...results.map((r) => `| ${r.scope === 'team' ? 'whole team' : 'one webhook'} | ${r.window} | ${r.attempts.toLocaleString('en-US')} | ${r.p50.toFixed(1)} | ${r.max.toFixed(1)} | ${r.serviceP50.toFixed(1)} |`),
      '',
      'Cost of keeping the rollup when attempts are logged (the trigger, same transaction):',
      '',
      '| insert | without trigger | with trigger |',
      '| --- | --- | --- |',
      ...insertCost.map((c) => `| ${c.what} | ${c.without.toFixed(2)} ms | ${c.with.toFixed(2)} ms |`),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await db.destroy();
    if (args.keep) log(`kept database ${dbName}`);
    else await admin.query(`drop database "${dbName}" with (force)`);
    await admin.end();
  }
}

/** Webhooks, events, deliveries and ATTEMPTS attempt rows spread over the last 7 days (through the trigger). */
async function seed(db: Db, teamId: string): Promise<string[]> {
  const webhookIds = Array.from({ length: WEBHOOKS }, () => newId('wh'));
  await db
    .insertInto('webhooks')
    .values(webhookIds.map((id, i) => ({ id, team_id: teamId, name: `bench ${i}`, url: 'https://example.com/hook', secret: 'whsec_bench', events: ['*'], retry_schedule: JSON.stringify('exponential'), created_at: new Date(), updated_at: new Date() })))
    .execute();
  const deliveries = Math.ceil(ATTEMPTS / ATTEMPTS_PER_DELIVERY);
  const events = Math.ceil(deliveries / WEBHOOKS);
  log(`seeding ${events} events, ${deliveries} deliveries, ${ATTEMPTS} attempts…`);
  await sql`
    insert into events (id, team_id, type, payload, created_at)
    select 'evt_bench_' || i, ${teamId}, 'prospect.qualified', '{}', now() - random() * interval '7 days'
    from generate_series(1, ${events}::int) i
  `.execute(db);
  // Delivery j goes to webhook j % WEBHOOKS; attempt k belongs to delivery k / ATTEMPTS_PER_DELIVERY.
  await sql`
    insert into deliveries (id, team_id, event_id, webhook_id, event_type, status, dispatch_workflow_id, created_at, updated_at)
    select 'msg_bench_' || j, ${teamId}, 'evt_bench_' || (j / ${WEBHOOKS}::int + 1), (${webhookIds}::text[])[j % ${WEBHOOKS}::int + 1], 'prospect.qualified', 'succeeded', 'dispatch-bench', now(), now()
    from generate_series(0, ${deliveries - 1}::int) j
  `.execute(db);
  const started = performance.now();
  for (let offset = 0; offset < ATTEMPTS; offset += CHUNK) {
    const n = Math.min(CHUNK, ATTEMPTS - offset);
    // Outcomes: 90% 2xx, 4% 5xx, 2% 4xx, 3% no response (timeouts, refused), 1% redirects; log-normal-ish durations (20 ms to 250 ms, a few slower).
    await sql`
      insert into delivery_attempts (delivery_id, series, attempt_number, started_at, duration_ms, status_code, error_class, succeeded, request_headers)
      select 'msg_bench_' || (k / ${ATTEMPTS_PER_DELIVERY}::int), 1, 1 + k % ${ATTEMPTS_PER_DELIVERY}::int, now() - random() * interval '7 days', duration, status,
             case when status is null then (case when r < 0.98 then 'timeout' else 'connection_refused' end)
                  when status between 300 and 399 then 'redirect' when status >= 400 then 'http_status' end,
             coalesce(status between 200 and 299, false), '{"content-type":"application/json"}'::jsonb
      from (
        select k, r, (exp(3 + random() * 2.5))::int as duration,
               case when r < 0.90 then 200 when r < 0.94 then 500 when r < 0.96 then 404 when r < 0.99 then null else 302 end as status
        from (select k, random() as r from generate_series(${offset}::int, ${offset + n - 1}::int) k) g
      ) x
    `.execute(db);
    log(`  ${Math.min(offset + n, ATTEMPTS)} attempts (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  return webhookIds;
}

/**
 * Average time of the statements the delivery code runs, with and without the rollup trigger:
 * one failed attempt (a transaction of its own) and a group of 50 successes (one statement).
 */
async function measureInsertCost(db: Db, webhookId: string): Promise<Array<{ what: string; without: number; with: number }>> {
  const delivery = await db.selectFrom('deliveries').select('id').where('webhook_id', '=', webhookId).limit(1).executeTakeFirstOrThrow();
  const row = () => ({ delivery_id: delivery.id, series: 1, attempt_number: 1, started_at: new Date(), duration_ms: 42, status_code: 500, response_body: 'oops', response_truncated: false, error_class: 'http_status', succeeded: false, request_headers: '{"content-type":"application/json"}' });
  const time = async (runs: number, fn: () => Promise<unknown>) => {
    for (let i = 0; i < 20; i++) await fn();
    const started = performance.now();
    for (let i = 0; i < runs; i++) await fn();
    return (performance.now() - started) / runs;
  };
  const one = () => db.transaction().execute((trx) => trx.insertInto('delivery_attempts').values(row()).execute());
  const group = () => db.insertInto('delivery_attempts').values(Array.from({ length: 50 }, row)).execute();
  const measure = async () => ({ one: await time(300, one), group: await time(100, group) });
  const withTrigger = await measure();
  await sql`alter table delivery_attempts disable trigger delivery_attempts_roll_up_stats`.execute(db);
  const without = await measure();
  await sql`alter table delivery_attempts enable trigger delivery_attempts_roll_up_stats`.execute(db);
  return [
    { what: 'one failed attempt (own transaction)', without: without.one, with: withTrigger.one },
    { what: 'a group of 50 successes (one statement)', without: without.group, with: withTrigger.group },
  ];
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
