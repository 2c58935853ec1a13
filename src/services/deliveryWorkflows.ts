import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type { Database, Delivery } from '../db/schema';
import { DELIVERY_WORKFLOW_TYPE, deliveryWorkflowId } from '../temporal/names';
import { deliveryWorkflowStart, type DeliveryStart, type StartingStatus } from '../workflows/deliveryWorkflowStart';
import type { DeliveryRef } from '../workflows/types';

/**
 * Starts a delivery's own workflow from outside Temporal (a re-send, the reconciler). Its id is
 * one per delivery and series, so a second start while it runs is a no-op; once it has closed
 * (or Temporal lost it), a start runs it again. Returns its id.
 */
export async function startDeliveryWorkflow(
  temporal: Client,
  taskQueue: string,
  delivery: DeliveryRef,
  start: DeliveryStart,
  status: StartingStatus,
): Promise<string> {
  const options = deliveryWorkflowStart(delivery, start, status);
  try {
    await temporal.workflow.start(DELIVERY_WORKFLOW_TYPE, { ...options, taskQueue });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return options.workflowId;
}

/** What a delivery's own workflow is started with, from its row (`series`: the series it runs, by default the row's). */
export function deliveryRef(d: Pick<Delivery, 'id' | 'series' | 'webhook_id' | 'team_id' | 'event_type' | 'test'>, series = d.series): DeliveryRef {
  return { deliveryId: d.id, series, webhookId: d.webhook_id, teamId: d.team_id, eventType: d.event_type, test: d.test };
}

/**
 * Points deliveries at their own workflow (the dashboard's link, where a credit grant signals a
 * held delivery, what the reconciler checks), unless one is named already.
 */
export async function assignDeliveryWorkflows(db: Kysely<Database>, deliveries: Array<{ deliveryId: string; series: number }>): Promise<void> {
  if (deliveries.length === 0) return;
  const refs = sql.join(deliveries.map((d) => sql`(${d.deliveryId}::text, ${deliveryWorkflowId(d.deliveryId, d.series)}::text)`));
  await sql`
    update deliveries d set delivery_workflow_id = r.workflow_id
    from (values ${refs}) as r (id, workflow_id)
    where d.id = r.id and d.delivery_workflow_id is null
  `.execute(db);
}
