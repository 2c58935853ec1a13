import { sql, type Kysely } from 'kysely';

// An optional per-webhook rate limit (requests per second). Deliveries above it wait their turn:
// each attempt reserves the next free slot of its webhook (a GCRA schedule, one row per limited
// webhook), so waiting deliveries wake one at a time instead of all retrying at once. The slots
// are shared by every worker through this table; UNLOGGED for the same reason as
// rate_limit_buckets (a crash only forgets the schedule).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table webhooks add column rate_limit integer`.execute(db);
  await sql`
    create unlogged table rate_limit_slots (
      key text primary key,
      -- the theoretical arrival time: when the next request would be on schedule
      tat timestamptz not null
    ) with (fillfactor = 50)
  `.execute(db);
  // Reserves one slot: returns how many seconds the caller waits before using it (0: now).
  // Up to one second's worth of requests (`per_second`) may go at once; after that they are
  // spaced 1/per_second apart.
  await sql`
    create function rate_limit_reserve(slot_key text, per_second float8)
    returns float8
    language plpgsql as $$
    declare
      now_at timestamptz := clock_timestamp();
      step interval := make_interval(secs => 1 / per_second);
      burst interval := make_interval(secs => greatest(per_second - 1, 0) / per_second);
      reserved timestamptz;
    begin
      insert into rate_limit_slots as s (key, tat) values (slot_key, now_at + step)
      on conflict (key) do update set tat = greatest(s.tat, now_at) + step
      returning s.tat - step into reserved;
      return greatest(0, extract(epoch from (reserved - burst) - now_at));
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists rate_limit_reserve(text, float8)`.execute(db);
  await sql`drop table if exists rate_limit_slots`.execute(db);
  await sql`alter table webhooks drop column rate_limit`.execute(db);
}
