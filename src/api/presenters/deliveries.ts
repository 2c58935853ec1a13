// The API's view of deliveries and their attempts (rows in, JSON-ready objects out).
import type { Config } from '../../config';
import type { Delivery, DeliveryAttempt } from '../../db/schema';

/** The Temporal Web UI page of a workflow. */
export function workflowUrl(config: Pick<Config, 'temporalUiUrl' | 'temporalNamespace'>, workflowId: string): string {
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function presentDelivery(config: Pick<Config, 'temporalUiUrl' | 'temporalNamespace'>, d: Delivery) {
  return {
    id: d.id,
    eventId: d.event_id,
    webhookId: d.webhook_id,
    eventType: d.event_type,
    test: d.test,
    status: d.status,
    attemptCount: d.attempt_count,
    series: d.series,
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
    createdAt: d.created_at.toISOString(),
    completedAt: d.completed_at?.toISOString() ?? null,
    dispatchWorkflowId: d.dispatch_workflow_id,
    dispatchWorkflowUrl: workflowUrl(config, d.dispatch_workflow_id),
    deliveryWorkflowId: d.delivery_workflow_id,
    deliveryWorkflowUrl: d.delivery_workflow_id ? workflowUrl(config, d.delivery_workflow_id) : null,
  };
}

export function presentAttempt(a: DeliveryAttempt) {
  return {
    series: a.series,
    attemptNumber: a.attempt_number,
    startedAt: a.started_at.toISOString(),
    durationMs: a.duration_ms,
    statusCode: a.status_code,
    responseBody: a.response_body,
    responseTruncated: a.response_truncated,
    errorClass: a.error_class,
    errorMessage: a.error_message,
    succeeded: a.succeeded,
    requestHeaders: a.request_headers,
  };
}

/** A keyset page of deliveries. */
export function presentDeliveryPage(config: Pick<Config, 'temporalUiUrl' | 'temporalNamespace'>, page: { data: Delivery[]; nextCursor: string | null }) {
  return { data: page.data.map((d) => presentDelivery(config, d)), nextCursor: page.nextCursor };
}
