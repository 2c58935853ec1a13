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
