import { sql, type Kysely } from 'kysely';

// One delivery pipeline (see README, "How it works"):
// - a delivery's workflow reference is split in two: the dispatch workflow that planned it (always)
//   and its own deliverToEndpoint workflow (null until it needs one: a retry, a hold, a re-send,
//   a failure, or every delivery with HOOKFERRY_DELIVERY_WORKFLOWS=every);
// - `charged_at` records that a delivery has been charged, so a re-send of it is free;
// - `events.planned_at` marks an event whose deliveries are all planned, so the reconciler can
//   find events whose dispatch was lost;
// - every unfinished delivery has `next_attempt_at` (when it is due), which the reconciler scans.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table deliveries
      add column dispatch_workflow_id text,
      add column delivery_workflow_id text,
      add column charged_at timestamptz
  `.execute(db);
  // Earlier rows name one workflow: a delivery's own (deliver-…) or the dispatch that attempted it.
  await sql`
    update deliveries d set
      delivery_workflow_id = case when d.workflow_id like 'deliver-%' then d.workflow_id end,
      dispatch_workflow_id = case
        when d.workflow_id like 'dispatch-%' then d.workflow_id
        else coalesce((select e.dispatch_workflow_id from events e where e.id = d.event_id), 'fanout-' || d.event_id)
      end
  `.execute(db);
  await sql`alter table deliveries alter column dispatch_workflow_id set not null, drop column workflow_id`.execute(db);
  await sql`
    update deliveries d set charged_at = l.created_at
    from credit_ledger l
    where l.delivery_id = d.id and l.reason = 'delivery'
  `.execute(db);
  await sql`
    update deliveries set next_attempt_at = updated_at
    where status in ('pending', 'retrying', 'held') and next_attempt_at is null
  `.execute(db);
  await sql`create index deliveries_unfinished_due on deliveries (next_attempt_at, id) where status in ('pending', 'retrying', 'held')`.execute(db);

  await sql`alter table events add column planned_at timestamptz`.execute(db);
  await sql`update events set planned_at = dispatched_at where dispatched_at is not null`.execute(db);
  await sql`drop index if exists events_undispatched`.execute(db);
  await sql`create index events_unplanned on events (created_at) where planned_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists events_unplanned`.execute(db);
  await sql`create index events_undispatched on events (created_at) where dispatched_at is null`.execute(db);
  await sql`alter table events drop column planned_at`.execute(db);
  await sql`drop index if exists deliveries_unfinished_due`.execute(db);
  await sql`alter table deliveries add column workflow_id text`.execute(db);
  await sql`update deliveries set workflow_id = coalesce(delivery_workflow_id, dispatch_workflow_id)`.execute(db);
  await sql`
    alter table deliveries
      alter column workflow_id set not null,
      drop column dispatch_workflow_id,
      drop column delivery_workflow_id,
      drop column charged_at
  `.execute(db);
}
