// Workflow types and ids and search attributes, shared by workflows, activities and the API (the
// signals are defined in src/workflows/signals.ts). Deterministic: workflow code imports this module.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Workflow types: the names of src/workflows/index.ts's exports, which the worker registers.
 * Clients (the API, the reconciler, activities) start workflows by these names, so starting one
 * imports no workflow code (test/unit/workflowNames.test.ts checks that the names exist).
 */
export const DISPATCH_WORKFLOW_TYPE = 'dispatchEvents';
export const DELIVERY_WORKFLOW_TYPE = 'deliverToEndpoint';
export const HEALTH_WORKFLOW_TYPE = 'endpointHealth';

/** One per batch of ingested events: plans their deliveries and makes the first attempts. */
export const dispatchWorkflowId = (batchId: string) => `dispatch-${batchId}`;
/**
 * A delivery's own workflow, one per attempt series (a re-send starts series 2, 3, …): starting it
 * twice is a no-op, so the dispatch, a re-send and the reconciler can all start it safely.
 */
export const deliveryWorkflowId = (deliveryId: string, series: number) => `deliver-${deliveryId}-${series}`;
export const healthWorkflowId = (webhookId: string) => `health-${webhookId}`;

export const TeamIdKey = defineSearchAttributeKey('TeamId', SearchAttributeType.KEYWORD);
export const WebhookIdKey = defineSearchAttributeKey('WebhookId', SearchAttributeType.KEYWORD);
export const EventTypeKey = defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD);
export const DeliveryStatusKey = defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD);
export const EndpointStateKey = defineSearchAttributeKey('EndpointState', SearchAttributeType.KEYWORD);

/** Registered on the dev server at start (`--search-attribute Name=Keyword`). */
export const SEARCH_ATTRIBUTE_NAMES = ['TeamId', 'WebhookId', 'EventType', 'DeliveryStatus', 'EndpointState'] as const;
