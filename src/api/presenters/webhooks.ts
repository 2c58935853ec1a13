// The API's view of a webhook. The secret is never part of it.
import type { LastFailure, Webhook } from '../../db/schema';

export function presentWebhook(w: Webhook) {
  return {
    id: w.id,
    name: w.name,
    url: w.url,
    events: w.events,
    retrySchedule: w.retry_schedule,
    rateLimit: w.rate_limit,
    enabled: w.enabled,
    disabledReason: w.disabled_reason,
    disabledAt: w.disabled_at?.toISOString() ?? null,
    consecutiveFailures: w.consecutive_failures,
    lastFailureAt: w.last_failure_at?.toISOString() ?? null,
    recentFailures: (w.last_failure as LastFailure[] | null) ?? [],
    lastDeliveryAt: w.last_delivery_at?.toISOString() ?? null,
    previousSecretExpiresAt: w.previous_secret_expires_at && w.previous_secret_expires_at > new Date() ? w.previous_secret_expires_at.toISOString() : null,
    createdAt: w.created_at.toISOString(),
    updatedAt: w.updated_at.toISOString(),
  };
}
export type WebhookView = ReturnType<typeof presentWebhook>;
