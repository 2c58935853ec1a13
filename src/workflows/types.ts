// Inputs, outputs and signal payloads of Hookferry's workflows. Plain data, no I/O.

export interface FanOutInput {
  eventId: string;
  teamId: string;
  eventType: string;
  /** Continue-as-new cursor: the last webhook id already handled. */
  afterWebhookId?: string;
  startedSoFar?: number;
  /** Children per run (default FAN_OUT_PAGE_SIZE); tests use small pages. */
  pageSize?: number;
}

export interface DispatchInput {
  /** The batch of events this workflow claims, plans and makes the first attempts for. */
  eventIds: string[];
  /** Make the first attempts here (HOOKFERRY_BATCH_FIRST_ATTEMPTS) instead of one workflow per delivery. */
  batchFirstAttempts?: boolean;
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

export interface DispatchPage {
  deliveries: Array<PlannedDelivery & { teamId: string; eventType: string }>;
  nextCursor?: DispatchCursor;
}

/** A first attempt that did not settle its delivery: the delivery's own workflow takes over. */
export interface FollowUp {
  deliveryId: string;
  /** The delivery's own workflow, which takes over from here. */
  workflowId: string;
  /** Epoch ms of the next attempt after a failed one; absent when the delivery is held for credits. */
  retryAt?: number;
}

export interface PlannedDelivery {
  deliveryId: string;
  webhookId: string;
  workflowId: string;
  test: boolean;
}

export interface DeliveryPlanPage {
  deliveries: PlannedDelivery[];
  nextCursor?: string;
}

export interface DeliverInput {
  deliveryId: string;
  webhookId: string;
  teamId: string;
  eventType: string;
  test: boolean;
  /** Set when the dispatch workflow already made the first attempt: wait until then, then retry. */
  firstRetryAt?: number;
}

export type AttemptOutcome =
  | { status: 'succeeded'; resetsHealth: boolean }
  | { status: 'cancelled' }
  | { status: 'held'; recheckAfterMs: number };

export type DeliveryResult = { status: 'succeeded' | 'failed' | 'cancelled' };

/** Error types the delivery activity throws to end a series early. */
export const RETRIES_EXHAUSTED = 'RetriesExhausted';
export const ENDPOINT_GONE = 'EndpointGone';
export const ATTEMPT_FAILED = 'DeliveryAttemptFailed';

export interface FailureNote {
  deliveryId: string;
  at: string;
  statusCode: number | null;
  error: string | null;
}

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
