// Inputs, outputs and signal payloads of Hookferry's workflows. Plain data, no I/O. What an
// attempt came to, and how a delivery's workflow ends, is src/domain/attemptResult.ts.
import type { FailureNote } from '../domain/attemptResult';

export interface DispatchInput {
  /** The batch of events this workflow claims, plans and makes the first attempts for. */
  eventIds: string[];
  /** Continue-as-new cursor: where the next page of deliveries starts. */
  cursor?: DispatchCursor;
  deliveriesSoFar?: number;
  /** Deliveries per page (default DISPATCH_PAGE_SIZE); tests use small pages. */
  pageSize?: number;
}

export interface DispatchCursor {
  /** Index into eventIds of the event being planned. */
  eventIndex: number;
  /** The last webhook id of that event already planned. */
  afterWebhookId: string;
}

/**
 * Which deliveries get a deliverToEndpoint workflow of their own (HOOKFERRY_DELIVERY_WORKFLOWS,
 * read by the worker only): `as-needed` — those that must wait (a retry, a hold for credits, a
 * re-send) or that failed; `every` — every delivery, from its first attempt.
 */
export type DeliveryWorkflows = 'as-needed' | 'every';

/** What a delivery's own workflow needs to know about it (also its search attributes). */
export interface DeliveryRef {
  deliveryId: string;
  /** The attempt series this workflow runs (1, then one more per re-send). */
  series: number;
  webhookId: string;
  teamId: string;
  eventType: string;
  test: boolean;
}

export interface DispatchPage {
  deliveries: DeliveryRef[];
  nextCursor?: DispatchCursor;
  /** Decided by the worker that planned the page, recorded in history with the plan. */
  deliveryWorkflows: DeliveryWorkflows;
}

/** A first attempt that did not settle its delivery: the delivery's own workflow takes over. */
export type HandOver =
  /** Failed, and the schedule allows another attempt at `retryAt` (epoch ms). */
  | { deliveryId: string; reason: 'retry'; retryAt: number }
  /** Not enough credits: wait for a grant. */
  | { deliveryId: string; reason: 'held' }
  /** Failed for good (schedule used up, or 410 Gone): the workflow records it, so every failed delivery has one. */
  | { deliveryId: string; reason: 'failed'; gone: boolean }
  /**
   * Not attempted here: its endpoint is slow (its own workflow waits its turn, away from the
   * batch) or its webhook's rate limit gives it a slot at `notBefore` (`reserved` for it).
   */
  | { deliveryId: string; reason: 'deferred'; notBefore: number; reserved: boolean };

export interface DeliverInput extends DeliveryRef {
  /** No attempt before this time (epoch ms): the next attempt after one made elsewhere. */
  notBefore?: number;
  /** The attempt made elsewhere ended the delivery for good: only record the failure. */
  endedFailed?: { gone: boolean };
  /** A slot of the webhook's rate limit is reserved for the attempt at `notBefore`. */
  reservedSlot?: boolean;
}

/** Error types the delivery activity throws to end a series early. */
export const RETRIES_EXHAUSTED = 'RetriesExhausted';
export const ENDPOINT_GONE = 'EndpointGone';
export const ATTEMPT_FAILED = 'DeliveryAttemptFailed';
/** The attempt's result could not be recorded (a database error that retrying cannot fix). */
export const RESULT_UNRECORDABLE = 'ResultUnrecordable';

export type DeliveryOutcomeSignal =
  | { kind: 'succeeded'; deliveryId: string; series: number }
  | { kind: 'failed'; deliveryId: string; series: number; gone: boolean; failure: FailureNote };

export interface HealthInput {
  webhookId: string;
  teamId: string;
  threshold: number;
  /** Continue-as-new once history passes this many events (Temporal may suggest it earlier). */
  maxHistoryEvents?: number;
  state?: HealthState;
}

export interface HealthState {
  consecutiveFailures: number;
  recentFailures: FailureNote[];
  disabled: boolean;
  disabledReason: 'manual' | 'consecutive_failures' | 'endpoint_gone' | null;
  disableCount: number;
  /** Outcomes already counted (deliveryId:series), so a re-sent signal is not counted twice. */
  seenOutcomes: string[];
}
