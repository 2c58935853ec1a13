import { sql, type Kysely } from 'kysely';

// GET /v1/deliveries lists a team's deliveries newest first with keyset pagination on
// (created_at, id): this index serves that order for one team, as deliveries_webhook_created
// does for one webhook.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index deliveries_team_created on deliveries (team_id, created_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists deliveries_team_created`.execute(db);
}
