import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';

/**
 * Marks a webhook's unfinished deliveries cancelled (when it is disabled or deleted). Their
 * workflows see it at their next attempt and stop without calling the endpoint.
 */
export async function cancelQueuedDeliveries(db: Kysely<Database>, webhookId: string): Promise<void> {
  await db
    .updateTable('deliveries')
    .set({ status: 'cancelled', next_attempt_at: null, completed_at: new Date(), updated_at: new Date() })
    .where('webhook_id', '=', webhookId)
    .where('status', 'in', ['pending', 'retrying', 'held'])
    .execute();
}
