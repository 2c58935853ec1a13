import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { continueAsNew, ParentClosePolicy, proxyActivities, proxyLocalActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { deliverToEndpoint } from './deliverToEndpoint';
import { deliveryWorkflowStart, type DeliveryStart, type StartingStatus } from './deliveryWorkflowStart';
import type { DeliverInput, DeliveryRef, DispatchInput, HandOver } from './types';

/** Deliveries per run; the run continues-as-new after each page, so history and pending
 *  children stay far below Temporal's limits however many endpoints an event matches. */
export const DISPATCH_PAGE_SIZE = 500;

// Planning is one quick, idempotent database call: a local activity needs no task-queue
// round trip and no extra workflow task.
const { planDispatchPage } = proxyLocalActivities<Activities>({ startToCloseTimeout: '15s', retry: { initialInterval: '1s', maximumInterval: '30s' } });

// A page's first attempts run in one activity, many in flight at once. It heartbeats while it
// works; if its worker dies, a re-run sends only what was not attempted yet. Our own
// infrastructure errors (database down) retry without limit.
const { attemptFirstDeliveries } = proxyActivities<Activities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * One per batch of ingested events (the API gathers events that arrive within a short window,
 * so under load many share a workflow): claims the events and plans their deliveries page by
 * page, then makes every first attempt of the page in one activity. A delivery gets its own
 * `deliverToEndpoint` workflow only when it needs one (a retry, a hold for credits, a failure):
 * the common case, an attempt that succeeds, costs a share of this workflow instead of a
 * workflow of its own. With HOOKFERRY_DELIVERY_WORKFLOWS=every (decided by the worker's
 * planning) every delivery gets its own workflow, which makes the first attempt.
 */
export async function dispatchEvents(input: DispatchInput): Promise<{ deliveries: number }> {
  const page = await planDispatchPage({
    workflowId: workflowInfo().workflowId,
    eventIds: input.eventIds,
    cursor: input.cursor,
    limit: input.pageSize ?? DISPATCH_PAGE_SIZE,
  });
  if (page.deliveryWorkflows === 'every') {
    await Promise.all(page.deliveries.map((d) => startDeliveryWorkflow(d, {}, 'pending')));
  } else if (page.deliveries.length > 0) {
    const handOvers = await attemptFirstDeliveries({ deliveryIds: page.deliveries.map((d) => d.deliveryId) });
    const byId = new Map(page.deliveries.map((d) => [d.deliveryId, d]));
    await Promise.all(handOvers.map((h) => startDeliveryWorkflow(byId.get(h.deliveryId)!, ...takeOver(h))));
  }

  const deliveries = (input.deliveriesSoFar ?? 0) + page.deliveries.length;
  if (page.nextCursor) {
    await continueAsNew<typeof dispatchEvents>({ ...input, cursor: page.nextCursor, deliveriesSoFar: deliveries });
  }
  return { deliveries };
}

/** What the delivery's own workflow starts with after a first attempt made here. */
function takeOver(h: HandOver): [DeliveryStart, StartingStatus] {
  switch (h.reason) {
    case 'retry':
      return [{ notBefore: h.retryAt }, 'retrying'];
    case 'held':
      return [{}, 'held'];
    case 'failed':
      return [{ endedFailed: { gone: h.gone } }, 'failed'];
    case 'deferred':
      return [{ notBefore: h.notBefore, reservedSlot: h.reserved }, 'pending'];
  }
}

/** Starts the delivery's own workflow, which outlives this one. */
async function startDeliveryWorkflow(d: DeliveryRef, start: DeliveryStart, status: StartingStatus): Promise<void> {
  try {
    await startChild(deliverToEndpoint, { ...deliveryWorkflowStart(d, start, status), parentClosePolicy: ParentClosePolicy.ABANDON });
  } catch (err) {
    // Already started: by an earlier run of this page (a worker crash), or by the reconciler.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
