import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { continueAsNew, ParentClosePolicy, patched, proxyActivities, proxyLocalActivities, startChild } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DeliveryStatusKey, EventTypeKey, TeamIdKey, WebhookIdKey } from '../temporal/names';
import { deliverToEndpoint } from './deliverToEndpoint';
import type { FanOutInput } from './types';

/** Children started per run; the run continues-as-new after each page, so pending
 *  children and history stay far below Temporal's limits however many endpoints match. */
export const FAN_OUT_PAGE_SIZE = 500;

// Short timeouts on quick database activities: if a worker dies mid-activity, Temporal
// re-runs it elsewhere after this long.
const planOptions = { startToCloseTimeout: '15s', retry: { initialInterval: '1s', maximumInterval: '30s' } } as const;
const { planDeliveries: planDeliveriesAsActivity } = proxyActivities<Activities>(planOptions);
// Planning is one quick, idempotent database call: run as a local activity it needs no task
// queue round trip and no extra workflow task (measured with `npm run bench`).
const { planDeliveries: planDeliveriesLocally } = proxyLocalActivities<Activities>(planOptions);

/** Fan-outs started before planning ran locally replay with the activity they recorded. */
export const PLAN_LOCALLY_PATCH = 'plan-deliveries-locally';

/**
 * Earlier versions' per-event fan-out: finds the matching enabled webhooks and starts one
 * delivery workflow each. No longer started (see dispatchEvents); kept, unchanged, so fan-outs
 * that are running when Hookferry is upgraded finish.
 */
export async function fanOutEvent(input: FanOutInput): Promise<{ deliveriesStarted: number }> {
  const planDeliveries = patched(PLAN_LOCALLY_PATCH) ? planDeliveriesLocally : planDeliveriesAsActivity;
  const page = await planDeliveries({ eventId: input.eventId, afterWebhookId: input.afterWebhookId, limit: input.pageSize ?? FAN_OUT_PAGE_SIZE });

  await Promise.all(
    page.deliveries.map(async (d) => {
      try {
        await startChild(deliverToEndpoint, {
          workflowId: d.workflowId,
          args: [{ deliveryId: d.deliveryId, webhookId: d.webhookId, teamId: input.teamId, eventType: input.eventType, test: d.test }],
          // Deliveries outlive the fan-out: it finishes as soon as they have started.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: [
            { key: TeamIdKey, value: input.teamId },
            { key: WebhookIdKey, value: d.webhookId },
            { key: EventTypeKey, value: input.eventType },
            { key: DeliveryStatusKey, value: 'pending' },
          ],
        });
      } catch (err) {
        // Already started by an earlier run of this fan-out (e.g. after a worker crash).
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }),
  );

  const deliveriesStarted = (input.startedSoFar ?? 0) + page.deliveries.length;
  if (page.nextCursor) {
    await continueAsNew<typeof fanOutEvent>({ ...input, afterWebhookId: page.nextCursor, startedSoFar: deliveriesStarted });
  }
  return { deliveriesStarted };
}
