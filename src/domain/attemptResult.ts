// What an attempt of a delivery came to: one type from the attempter (src/delivery/attempt.ts)
// through the activities (src/activities/) to the delivery workflow and its result, which the API
// and the Temporal UI show as the delivery's status. Plain data; workflow histories hold the
// serialized shapes of the activity's results and the workflow's result: keep them.

export type AttemptResult =
  | { status: 'succeeded'; resetsHealth: boolean }
  | { status: 'cancelled' }
  | { status: 'held'; recheckAfterMs: number }
  /** Failed; the schedule allows another attempt after delayMs. */
  | { status: 'retrying'; delayMs: number; error: string; attempts: number }
  /** Failed, and the schedule has no attempt left. */
  | { status: 'exhausted'; error: string; attempts: number }
  /** The endpoint answered 410 Gone: no more attempts. */
  | { status: 'gone' }
  /**
   * The result could not be recorded for a reason retrying cannot fix (the database refused the
   * row): the attempt is logged as failed and the delivery marked failed, instead of POSTing again.
   */
  | { status: 'unrecordable'; error: string }
  /**
   * Not attempted now, and not counted as an attempt: the webhook's rate limit gives it a slot
   * in `waitMs` (reserved for it), or its endpoint is slow or has all its slots in use here.
   */
  | { status: 'deferred'; why: 'rate_limited' | 'endpoint_slow' | 'endpoint_busy'; waitMs: number; reserved: boolean };

/**
 * The results the attemptDelivery activity returns to its workflow; the others it throws as
 * ApplicationFailures, so that Temporal retries on the webhook's schedule or the series ends.
 */
export type ReturnedAttemptResult = Extract<AttemptResult, { status: 'succeeded' | 'cancelled' | 'held' | 'deferred' }>;

/**
 * How a delivery's own workflow ends (also its DeliveryStatus search attribute): a success or a
 * cancellation as the attempt reported it; `failed` for every result that ended the series
 * without one (exhausted, gone, unrecordable).
 */
export type DeliveryEnd = { status: Extract<AttemptResult['status'], 'succeeded' | 'cancelled'> | 'failed' };

/** A failed delivery as its webhook's health workflow remembers it (and the disable email lists it). */
export interface FailureNote {
  deliveryId: string;
  at: string;
  statusCode: number | null;
  error: string | null;
}
