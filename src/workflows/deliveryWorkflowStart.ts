// How a delivery's own workflow is started — its id, input and search attributes — in one place
// for the three that start it: the dispatch workflow (a child), a re-send and the reconciler (the
// client). Deterministic: workflow code imports it.
import { DeliveryStatusKey, deliveryWorkflowId, EventTypeKey, TeamIdKey, WebhookIdKey } from '../temporal/names';
import type { DeliverInput, DeliveryRef } from './types';

export type StartingStatus = 'pending' | 'retrying' | 'held' | 'failed';
/** How a delivery's own workflow begins (see DeliverInput). */
export type DeliveryStart = Pick<DeliverInput, 'notBefore' | 'endedFailed' | 'reservedSlot'>;

export function deliveryWorkflowStart(d: DeliveryRef, start: DeliveryStart, status: StartingStatus) {
  const input: DeliverInput = { ...d, ...start };
  return {
    workflowId: deliveryWorkflowId(d.deliveryId, d.series),
    args: [input] as [DeliverInput],
    // "Every failed delivery of webhook X" is one query in the Temporal UI:
    // WorkflowType = 'deliverToEndpoint' AND WebhookId = 'wh_…' AND DeliveryStatus = 'failed'
    typedSearchAttributes: [
      { key: TeamIdKey, value: d.teamId },
      { key: WebhookIdKey, value: d.webhookId },
      { key: EventTypeKey, value: d.eventType },
      { key: DeliveryStatusKey, value: status },
    ],
  };
}
