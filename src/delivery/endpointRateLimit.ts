import { sql } from 'kysely';
import type { Db } from '../db/database';

/**
 * Reserves the next slot of a webhook's rate limit (`rate_limit_reserve`, migration 0006) and
 * answers how long to wait before using it, in ms: 0 to go now. Every worker shares the schedule.
 */
export async function reserveEndpointSlot(db: Db, webhookId: string, perSecond: number): Promise<number> {
  const { rows } = await sql<{ wait: number }>`select rate_limit_reserve(${`webhook:${webhookId}`}, ${perSecond}::float8) as wait`.execute(db);
  return Math.ceil(Number(rows[0]!.wait) * 1000);
}
