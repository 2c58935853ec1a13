import { sql, type Kysely } from 'kysely';

// The per-key rate limit lives here so that every API instance draws from the same token
// bucket (in process memory, N instances allowed N times the quota). One row per API key that
// has made a request; src/api/rateLimit.ts calls rate_limit_take, taking a few tokens at a time
// under load (a short local lease) so that a busy key costs well under a query per request.
//
// UNLOGGED: no WAL and no fsync per request, which is what keeps the upsert cheap enough for the
// ingest hot path (measured: ~0.2 ms a request, against ~0.45 ms on a logged table). The price
// is that PostgreSQL empties the table after a crash (and a standby has none of it), which only
// refills every bucket: acceptable for a rate limit. fillfactor 50 leaves room on each page for
// HOT updates (nothing indexed changes).
//
// The upsert is wrapped in a PL/pgSQL function only so that PostgreSQL plans it once per
// connection: sent as a plain statement it is planned on every request, which cost more than
// running it (~0.37 ms against ~0.23 ms a request, scripts/measure-rate-limit.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create unlogged table rate_limit_buckets (
      key text primary key,
      tokens double precision not null,
      granted integer not null,
      updated_at timestamptz not null
    ) with (fillfactor = 50)
  `.execute(db);
  // One atomic statement: refill the bucket for the time since its last use, take up to `wanted`
  // whole tokens, say how many it took. ON CONFLICT DO UPDATE holds the row lock, so concurrent
  // requests for one key (from any instance) queue; the time is the database's, so instances with
  // skewed clocks agree. `at` replaces the clock in tests.
  await sql`
    create function rate_limit_take(bucket_key text, capacity float8, tokens_per_second float8, wanted integer default 1, at timestamptz default null)
    returns table (granted integer, tokens float8)
    language plpgsql as $$
    #variable_conflict use_column
    begin
      return query
      insert into rate_limit_buckets as bucket (key, tokens, granted, updated_at)
      values (bucket_key, capacity - least(wanted, floor(capacity)), least(wanted, floor(capacity))::integer, coalesce(rate_limit_take.at, clock_timestamp()))
      on conflict (key) do update set (tokens, granted, updated_at) = (
        select refill.tokens - least(wanted, floor(refill.tokens)), least(wanted, floor(refill.tokens))::integer, refill.at
        from (
          select
            least(capacity, bucket.tokens + greatest(0, extract(epoch from clock.at - bucket.updated_at))::float8 * tokens_per_second) as tokens,
            greatest(clock.at, bucket.updated_at) as at
          -- clock_timestamp(), not now(): read after the row lock is granted
          from (select coalesce(rate_limit_take.at, clock_timestamp()) as at) clock
        ) refill
      )
      returning bucket.granted, bucket.tokens;
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists rate_limit_take(text, float8, float8, integer, timestamptz)`.execute(db);
  await sql`drop table if exists rate_limit_buckets`.execute(db);
}
