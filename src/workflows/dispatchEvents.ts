import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { continueAsNew, ParentClosePolicy, proxyActivities, proxyLocalActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DeliveryStatusKey, EventTypeKey, TeamIdKey, WebhookIdKey } from '../temporal/names';
import { deliverToEndpoint } from './deliverToEndpoint';
import type { DispatchInput, DispatchPage, FollowUp } from './types';

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
 * One per batch of ingested events (the API gathers events that arrive within a few
 * milliseconds of each other, so under load many share a workflow): claims the events and
 * plans their deliveries page by page. Then, by default, starts one `deliverToEndpoint`
 * workflow per delivery. With `batchFirstAttempts` it makes every first attempt itself and
 * starts a delivery's own workflow only when it needs more (a retry on its webhook's schedule,
 * or a hold for credits): the common case, an attempt that succeeds, then costs a share of one
 * workflow instead of a workflow of its own.
 */
export async function dispatchEvents(input: DispatchInput): Promise<{ deliveries: number }> {
  const page = await planDispatchPage({
    workflowId: workflowInfo().workflowId,
    eventIds: input.eventIds,
    cursor: input.cursor,
    limit: input.pageSize ?? DISPATCH_PAGE_SIZE,
    batchFirstAttempts: input.batchFirstAttempts,
  });
  if (input.batchFirstAttempts && page.deliveries.length > 0) {
    const followUps = await attemptFirstDeliveries({ deliveryIds: page.deliveries.map((d) => d.deliveryId) });
    await Promise.all(followUps.map((f) => startDelivery(page.deliveries.find((d) => d.deliveryId === f.deliveryId)!, f)));
  } else {
    await Promise.all(page.deliveries.map((d) => startDelivery(d)));
  }

  const deliveries = (input.deliveriesSoFar ?? 0) + page.deliveries.length;
  if (page.nextCursor) {
    await continueAsNew<typeof dispatchEvents>({ ...input, cursor: page.nextCursor, deliveriesSoFar: deliveries });
  }
  return { deliveries };
}

/** Starts the delivery's own workflow, which outlives this one: from the first attempt, or taking over after it. */
async function startDelivery(d: DispatchPage['deliveries'][number], takeOver?: FollowUp): Promise<void> {
  try {
    await startChild(deliverToEndpoint, {
      workflowId: takeOver?.workflowId ?? d.workflowId,
      args: [{ deliveryId: d.deliveryId, webhookId: d.webhookId, teamId: d.teamId, eventType: d.eventType, test: d.test, firstRetryAt: takeOver?.retryAt }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: TeamIdKey, value: d.teamId },
        { key: WebhookIdKey, value: d.webhookId },
        { key: EventTypeKey, value: d.eventType },
        { key: DeliveryStatusKey, value: !takeOver ? 'pending' : takeOver.retryAt === undefined ? 'held' : 'retrying' },
      ],
    });
  } catch (err) {
    // Already started by an earlier run of this page (e.g. after a worker crash).
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
