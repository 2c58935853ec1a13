import { sql, type Kysely } from 'kysely';

// Issue 17: what each attempt sent, and delivery statistics that stay fast at millions of attempts.
//
// - delivery_attempts.request_headers: the request headers exactly as sent (webhook-timestamp and
//   the signatures differ per attempt). The body is the event's stored payload, the same bytes on
//   every attempt. Null on attempts made before this migration.
// - delivery_attempt_stats: attempts rolled up per webhook, per minute and per hour (outcome counts
//   and a latency histogram). Aggregating raw attempts took over a second at a million rows; the
//   charts read these rows instead (src/services/deliveryStats.ts). A statement-level trigger keeps
//   them in the same transaction as the attempt rows, whichever code path inserts them (one
//   statement for a whole group of successes, one per failed attempt): exact, and one upsert per
//   statement rather than per row.
// - team_delivery_attempt_stats: the same per team and hour, for the team's day and week charts
//   (a team with a thousand webhooks would otherwise read 168,000 rows for a week). Spread over
//   TEAM_SHARDS rows per team and hour (by webhook), so failed attempts of one team's webhooks do
//   not all queue on one row lock; a chart sums the shards.
//
// The outcome classes and latency bounds below must match src/domain/attemptOutcome.ts (checked by
// test/integration/deliveryStats.test.ts). A change to them needs a new migration.

const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 30000, 60000];
const TEAM_SHARDS = 16;
const OUTCOME_COLUMNS = ['outcome_2xx', 'outcome_redirect', 'outcome_4xx', 'outcome_5xx', 'outcome_timeout', 'outcome_network', 'outcome_blocked_address', 'outcome_internal_error'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table delivery_attempts add column request_headers jsonb`.execute(db);

  await sql`
    create table delivery_attempt_stats (
      webhook_id text not null references webhooks(id) on delete cascade,
      team_id text not null,
      bucket_seconds integer not null check (bucket_seconds in (60, 3600)),
      bucket_start timestamptz not null,
      attempts integer not null,
      ${sql.raw(OUTCOME_COLUMNS.map((c) => `${c} integer not null`).join(',\n      '))},
      duration_ms_sum bigint not null,
      latency_counts integer[] not null,
      primary key (webhook_id, bucket_seconds, bucket_start)
    )
  `.execute(db);
  // The team's hour chart (minute rows of all its webhooks); retention (src/services/deliveryStats.ts).
  await sql`create index delivery_attempt_stats_team on delivery_attempt_stats (team_id, bucket_seconds, bucket_start)`.execute(db);
  await sql`create index delivery_attempt_stats_age on delivery_attempt_stats (bucket_seconds, bucket_start)`.execute(db);
  await sql`
    create table team_delivery_attempt_stats (
      team_id text not null references teams(id) on delete cascade,
      bucket_start timestamptz not null,
      shard smallint not null,
      attempts integer not null,
      ${sql.raw(OUTCOME_COLUMNS.map((c) => `${c} integer not null`).join(',\n      '))},
      duration_ms_sum bigint not null,
      latency_counts integer[] not null,
      primary key (team_id, bucket_start, shard)
    )
  `.execute(db);
  await sql`create index team_delivery_attempt_stats_age on team_delivery_attempt_stats (bucket_start)`.execute(db);

  // The outcome column an attempt row counts in (src/domain/attemptOutcome.ts).
  const outcome = `case
      when n.succeeded then 'outcome_2xx'
      when n.error_class = 'internal_error' then 'outcome_internal_error'
      when n.status_code between 300 and 399 then 'outcome_redirect'
      when n.status_code between 400 and 499 then 'outcome_4xx'
      when n.status_code is not null then 'outcome_5xx'
      when n.error_class = 'timeout' then 'outcome_timeout'
      when n.error_class = 'blocked_address' then 'outcome_blocked_address'
      else 'outcome_network'
    end`;
  const outcomeCounts = OUTCOME_COLUMNS.map((c) => `count(*) filter (where a.outcome = '${c}')::int`).join(', ');
  const bucketOf = (i: number) =>
    i === 0
      ? `a.duration_ms <= ${LATENCY_BOUNDS_MS[0]}`
      : i === LATENCY_BOUNDS_MS.length
        ? `a.duration_ms > ${LATENCY_BOUNDS_MS[i - 1]}`
        : `a.duration_ms > ${LATENCY_BOUNDS_MS[i - 1]} and a.duration_ms <= ${LATENCY_BOUNDS_MS[i]}`;
  const histogram = `array[${LATENCY_BOUNDS_MS.map((_, i) => i)
    .concat(LATENCY_BOUNDS_MS.length)
    .map((i) => `count(*) filter (where ${bucketOf(i)})::int`)
    .join(', ')}]`;
  const addHistograms = (table: string) =>
    `array[${LATENCY_BOUNDS_MS.map((_, i) => i + 1)
      .concat(LATENCY_BOUNDS_MS.length + 1)
      .map((i) => `${table}.latency_counts[${i}] + excluded.latency_counts[${i}]`)
      .join(', ')}]`;

  const sums = (table: string) => `
      attempts = ${table}.attempts + excluded.attempts,
      ${OUTCOME_COLUMNS.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(',\n      ')},
      duration_ms_sum = ${table}.duration_ms_sum + excluded.duration_ms_sum,
      latency_counts = ${addHistograms(table)}`;
  const figures = `count(*)::int, ${outcomeCounts}, sum(a.duration_ms), ${histogram}`;
  const columns = `attempts, ${OUTCOME_COLUMNS.join(', ')}, duration_ms_sum, latency_counts`;

  // Rolls attempt rows (from `source`) up per webhook (per minute and per hour) and per team (per
  // hour), in one statement. Rows are upserted in key order, so two concurrent statements cannot
  // deadlock on them.
  const rollUp = (source: string) => `
    with a as (
      select n.started_at, n.duration_ms, ${outcome} as outcome, d.webhook_id, d.team_id
      from ${source} n
      -- a primary-key lookup per attempt (LIMIT keeps it a nested loop: the planner knows nothing
      -- of a transition table and would otherwise hash-join all of deliveries)
      cross join lateral (select webhook_id, team_id from deliveries where id = n.delivery_id limit 1) d
    ),
    per_webhook as (
      insert into delivery_attempt_stats as w (webhook_id, team_id, bucket_seconds, bucket_start, ${columns})
      select a.webhook_id, a.team_id, r.seconds, date_bin(make_interval(secs => r.seconds), a.started_at, timestamptz '2000-01-01 00:00:00+00'), ${figures}
      from a cross join (values (60), (3600)) as r (seconds)
      group by 1, 2, 3, 4
      order by 1, 3, 4
      on conflict (webhook_id, bucket_seconds, bucket_start) do update set ${sums('w')}
    )
    insert into team_delivery_attempt_stats as t (team_id, bucket_start, shard, ${columns})
    select a.team_id, date_bin(interval '1 hour', a.started_at, timestamptz '2000-01-01 00:00:00+00'), (abs(hashtext(a.webhook_id)) % ${TEAM_SHARDS})::smallint, ${figures}
    from a
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (team_id, bucket_start, shard) do update set ${sums('t')}`;

  await sql
    .raw(
      `create function delivery_attempt_stats_roll_up() returns trigger language plpgsql as $body$
      begin
        ${rollUp('new_attempts')};
        return null;
      end
      $body$`,
    )
    .execute(db);
  await sql`
    create trigger delivery_attempts_roll_up_stats
      after insert on delivery_attempts
      referencing new table as new_attempts
      for each statement execute function delivery_attempt_stats_roll_up()
  `.execute(db);
  // Attempts logged before this migration, so the charts cover them too.
  await sql.raw(rollUp('delivery_attempts')).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists delivery_attempts_roll_up_stats on delivery_attempts`.execute(db);
  await sql`drop function if exists delivery_attempt_stats_roll_up()`.execute(db);
  await sql`drop table if exists team_delivery_attempt_stats`.execute(db);
  await sql`drop table if exists delivery_attempt_stats`.execute(db);
  await sql`alter table delivery_attempts drop column if exists request_headers`.execute(db);
}
