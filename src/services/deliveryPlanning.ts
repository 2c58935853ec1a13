import { sql } from 'kysely';
import type { Db } from '../db/database';
import { subscriptionPatternsFor } from '../domain/eventMatching';
import { newId } from '../ids';
import { deliveryWorkflowId } from '../temporal/names';
import type { DeliveryPlanPage } from '../workflows/types';

/**
 * Creates (idempotently) the delivery rows of one page of matching, enabled webhooks of an
 * event, in webhook-id order, and returns them. Called by the fan-out workflow page by page,
 * and by the test-send API directly so it can answer with the deliveries it started.
 */
export async function planDeliveries(db: Db, input: { eventId: string; afterWebhookId?: string; limit: number }): Promise<DeliveryPlanPage> {
  const event = await db.selectFrom('events').select(['id', 'team_id', 'type', 'test', 'target_webhook_id']).where('id', '=', input.eventId).executeTakeFirst();
  if (!event) return { deliveries: [] };

  let query = db
    .selectFrom('webhooks')
    .select('id')
    .where('team_id', '=', event.team_id)
    .where('enabled', '=', true)
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`events && ${sql.val(subscriptionPatternsFor(event.type))}::text[]`)
    .orderBy('id')
    .limit(input.limit);
  if (input.afterWebhookId) query = query.where('id', '>', input.afterWebhookId);
  if (event.target_webhook_id) query = query.where('id', '=', event.target_webhook_id);
  const webhookIds = (await query.execute()).map((w) => w.id);
  if (webhookIds.length === 0) return { deliveries: [] };

  await db
    .insertInto('deliveries')
    .values(
      webhookIds.map((webhookId) => ({
        id: newId('msg'),
        team_id: event.team_id,
        event_id: event.id,
        webhook_id: webhookId,
        event_type: event.type,
        test: event.test,
        workflow_id: deliveryWorkflowId(event.id, webhookId),
      })),
    )
    .onConflict((oc) => oc.columns(['event_id', 'webhook_id']).doNothing())
    .execute();

  const rows = await db
    .selectFrom('deliveries')
    .select(['id', 'webhook_id', 'workflow_id', 'test'])
    .where('event_id', '=', event.id)
    .where('webhook_id', 'in', webhookIds)
    .orderBy('webhook_id')
    .execute();
  return {
    deliveries: rows.map((r) => ({ deliveryId: r.id, webhookId: r.webhook_id, workflowId: r.workflow_id, test: r.test })),
    nextCursor: webhookIds.length === input.limit ? webhookIds[webhookIds.length - 1] : undefined,
  };
}
