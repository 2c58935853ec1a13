import { Counter, Gauge, Histogram } from 'prom-client';
import { ATTEMPT_OUTCOMES, attemptOutcome } from '../domain/attemptOutcome';
import type { SendResult } from '../delivery/sendWebhook';
import { registries } from './registry';

// What the worker does: HTTP attempts and their outcomes, finished deliveries, charges, health,
// and the engine's batching. The delivery code calls the small functions at the bottom, one line
// each, so the metrics stay out of its way.

const worker = [registries.worker];

const attempts = new Counter({
  name: 'hookferry_delivery_attempts_total',
  help: 'HTTP attempts made to endpoints, by outcome class (2xx, redirect, 4xx, 5xx, timeout, network, blocked_address)',
  labelNames: ['outcome'] as const,
  registers: worker,
});

const attemptDuration = new Histogram({
  name: 'hookferry_delivery_attempt_duration_seconds',
  help: 'Duration of HTTP attempts, from the request until the (capped) response body was read or the attempt failed',
  labelNames: ['result'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: worker,
});

const firstAttemptLatency = new Histogram({
  name: 'hookferry_first_attempt_latency_seconds',
  help: 'Time from an event being accepted until the first attempt of each of its deliveries started',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: worker,
});

const creditsCharged = new Counter({
  name: 'hookferry_credits_charged_total',
  help: 'Credits charged for successful deliveries',
  registers: worker,
});

const autoDisabled = new Counter({
  name: 'hookferry_webhooks_auto_disabled_total',
  help: 'Webhooks disabled by Hookferry, by reason (consecutive_failures, endpoint_gone)',
  labelNames: ['reason'] as const,
  registers: worker,
});

const emails = new Counter({
  name: 'hookferry_notification_emails_total',
  help: 'Webhook-disabled emails to teams, by result (sent; logged: no SMTP configured; failed: the SMTP server refused or could not be reached)',
  labelNames: ['result'] as const,
  registers: worker,
});

const firstAttemptBatch = new Histogram({
  name: 'hookferry_first_attempt_batch_deliveries',
  help: 'Deliveries per first-attempt batch of a dispatch workflow (one attemptFirstDeliveries activity)',
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
  registers: worker,
});

const firstAttemptsInFlight = new Gauge({
  name: 'hookferry_first_attempts_in_flight',
  help: 'First attempts in flight in this worker (each dispatch activity allows HOOKFERRY_FIRST_ATTEMPT_CONCURRENCY)',
  registers: worker,
});

const successGroup = new Histogram({
  name: 'hookferry_success_group_size',
  help: 'Successful attempts written per group-commit statement',
  buckets: [1, 2, 5, 10, 25, 50, 100, 200],
  registers: worker,
});

export const backlogGauges = {
  deliveries: new Gauge({
    name: 'hookferry_backlog_deliveries',
    help: 'Unfinished deliveries by status (pending, retrying, held), sampled from PostgreSQL; every worker reports the same totals: use max()',
    labelNames: ['status'] as const,
    registers: worker,
  }),
  oldestOverdue: new Gauge({
    name: 'hookferry_backlog_oldest_overdue_seconds',
    help: 'How long the most overdue unfinished delivery has been due (0 when none is overdue), sampled from PostgreSQL',
    registers: worker,
  }),
  sampledAt: new Gauge({
    name: 'hookferry_backlog_sampled_timestamp_seconds',
    help: 'When the backlog gauges were last sampled (Unix time)',
    registers: worker,
  }),
};

// Both roles finish deliveries (a manual disable in the API cancels the queued ones).
const finished = new Counter({
  name: 'hookferry_deliveries_finished_total',
  help: 'Deliveries that reached a final status (succeeded, failed, cancelled)',
  labelNames: ['status'] as const,
  registers: [registries.process],
});

for (const outcome of ATTEMPT_OUTCOMES) if (outcome !== 'internal_error') attempts.labels(outcome).inc(0);
for (const status of ['succeeded', 'failed', 'cancelled']) finished.labels(status).inc(0);
for (const result of ['success', 'failure']) attemptDuration.zero({ result });

/** One HTTP attempt: its outcome and duration, and for a delivery's very first attempt the latency since ingestion. */
export function observeAttempt(result: SendResult, startedAt: Date, firstOf?: { eventCreatedAt: Date }): void {
  const ok = result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300;
  const outcome = attemptOutcome({
    statusCode: result.kind === 'response' ? result.statusCode : null,
    errorClass: result.kind === 'error' ? result.errorClass : null,
    succeeded: ok,
  });
  attempts.labels(outcome).inc();
  attemptDuration.labels(ok ? 'success' : 'failure').observe(result.durationMs / 1000);
  if (firstOf) firstAttemptLatency.observe(Math.max(0, startedAt.getTime() - firstOf.eventCreatedAt.getTime()) / 1000);
}

export function countFinished(status: 'succeeded' | 'failed' | 'cancelled', n = 1): void {
  if (n > 0) finished.labels(status).inc(n);
}

export function countCharged(credits: number): void {
  if (credits > 0) creditsCharged.inc(credits);
}

export function countAutoDisabled(reason: 'consecutive_failures' | 'endpoint_gone'): void {
  autoDisabled.labels(reason).inc();
}

export function countEmail(result: 'sent' | 'logged' | 'failed'): void {
  emails.labels(result).inc();
}

export function observeSuccessGroup(size: number): void {
  successGroup.observe(size);
}

export function observeFirstAttemptBatch(size: number): void {
  firstAttemptBatch.observe(size);
}

/** Runs one first attempt, counted in hookferry_first_attempts_in_flight while it runs. */
export async function trackFirstAttempt<T>(attempt: () => Promise<T>): Promise<T> {
  firstAttemptsInFlight.inc();
  try {
    return await attempt();
  } finally {
    firstAttemptsInFlight.dec();
  }
}
