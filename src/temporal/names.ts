// Workflow ids, signal names and search attributes, shared by workflows, activities and the API.
// Deterministic: workflow code imports this module.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Fan-outs of one event each, started by earlier versions (kept so running ones finish). */
export const fanOutWorkflowId = (eventId: string) => `fanout-${eventId}`;
/** One per batch of ingested events: plans their deliveries and makes the first attempts. */
export const dispatchWorkflowId = (batchId: string) => `dispatch-${batchId}`;
/** A delivery's own workflow (retries, holds), one per event × webhook: starting it twice is a no-op. */
export const deliveryWorkflowId = (eventId: string, webhookId: string) => `deliver-${eventId}-${webhookId}`;
/** Both kinds of delivery workflow id (not a dispatch's, which serves many deliveries). */
export const isDeliveryWorkflowId = (workflowId: string) => workflowId.startsWith('deliver-');
/** A replay (manual retry) of a delivery runs as a new workflow, one per attempt series. */
export const replayWorkflowId = (deliveryId: string, series: number) => `deliver-${deliveryId}-series-${series}`;
export const healthWorkflowId = (webhookId: string) => `health-${webhookId}`;

export const TeamIdKey = defineSearchAttributeKey('TeamId', SearchAttributeType.KEYWORD);
export const WebhookIdKey = defineSearchAttributeKey('WebhookId', SearchAttributeType.KEYWORD);
export const EventTypeKey = defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD);
export const DeliveryStatusKey = defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD);
export const EndpointStateKey = defineSearchAttributeKey('EndpointState', SearchAttributeType.KEYWORD);

/** Registered on the dev server at start (`--search-attribute Name=Keyword`). */
export const SEARCH_ATTRIBUTE_NAMES = ['TeamId', 'WebhookId', 'EventType', 'DeliveryStatus', 'EndpointState'] as const;
