import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DELIVERY_WORKFLOW_TYPE } from '../temporal/names';
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
