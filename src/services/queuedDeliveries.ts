import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { forEachConcurrently } from '../concurrency';
import type { Database } from '../db/schema';
import { countFinished } from '../metrics/worker';

/**
 * Marks a webhook's unfinished deliveries cancelled (when it is disabled or deleted) and
 * returns the delivery workflows that were waiting on them, for cancelDeliveryWorkflows once
 * the transaction has committed. A workflow not cancelled (Temporal unreachable) still sees
 * the mark at its next attempt and stops without calling the endpoint.
 */
export async function cancelQueuedDeliveries(db: Kysely<Database>, webhookId: string): Promise<string[]> {
  const rows = await db
    .updateTable('deliveries')
    .set({ status: 'cancelled', next_attempt_at: null, completed_at: new Date(), updated_at: new Date() })
    .where('webhook_id', '=', webhookId)
    .where('status', 'in', ['pending', 'retrying', 'held'])
    .returning('delivery_workflow_id')
    .execute();
    countFinished('cancelled', rows.length); // callers commit right after this statement
  // A delivery still pending in a dispatch has no workflow of its own to cancel: the dispatch's
  // attempt sees the mark and skips it.
  return rows.flatMap((r) => (r.delivery_workflow_id ? [r.delivery_workflow_id] : []));
}

/**
 * Cancels delivery workflows so that one waiting for a retry hours away ends now (Temporal
 * shows it Canceled) instead of lingering until then. Best effort: a workflow that already
 * finished, or one Temporal cannot reach now, is left to see its cancelled mark.
 */
export async function cancelDeliveryWorkflows(temporal: Client, workflowIds: string[]): Promise<void> {
  await forEachConcurrently(workflowIds, 16, async (id) => {
    await temporal.workflow.getHandle(id).cancel().catch(() => undefined);
  });
}
