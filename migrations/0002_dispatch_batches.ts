import { type Kysely } from 'kysely';

// Events are dispatched in batches: one `dispatchEvents` workflow per batch claims its events
// by writing its workflow id here, so an event handed to two batches (the API's and the
// sweeper's) is planned and attempted by exactly one of them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('dispatch_workflow_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').dropColumn('dispatch_workflow_id').execute();
}
