import type { Config } from '../config';
import type { Db } from '../db/database';
import { isTransientDatabaseError } from '../db/errors';
import type { AttemptResult } from '../domain/attemptResult';
import { maxAttempts, nextRetryDelayMs, parseRetryAfter, retryDelaysMs, type RetryScheduleSetting } from '../domain/retrySchedule';
import type { KeyRing } from '../domain/secretBox';
import { countFinished, observeAttempt } from '../metrics/worker';
import { canPay } from '../services/credits';
import { createEndpointGate } from './endpointGate';
import { reserveEndpointSlot } from './endpointRateLimit';
import { sendWebhook, type SendOptions, type SendResult } from './sendWebhook';
import { signedHeaders } from './signing';
import { createSuccessRecorder } from './successRecorder';

/** How long an endpoint stays marked slow unless a quick attempt clears it sooner. */
const SLOW_MARK_MS = 30_000;

// One HTTP attempt of a delivery and the bookkeeping around it, shared by the dispatch
// workflow's first attempts (attemptFirstDeliveries) and the delivery workflow's retries
// (attemptDelivery). Plain results; the activities turn them into Temporal's terms.

/** What the attempter needs from the outside world; built once per worker process. */
export interface DeliveryDeps {
  db: Db;
  config: Config;
  send: SendOptions;
  /** Opens the stored signing secrets (src/services/webhookSecrets.ts). */
  secretKeys: KeyRing;
}

/** How an attempt is made: in a dispatch's batch (waits for the endpoint's slot, gives way if it is slow) or in the delivery's own workflow. */
export interface AttemptOptions {
  lane: 'batch' | 'own';
  /** A slot of the webhook's rate limit was reserved for this attempt already. */
  reserved?: boolean;
}

export type LoadedDelivery = NonNullable<Awaited<ReturnType<ReturnType<typeof createAttempter>['loadDeliveries']>>[number]>;

export function createAttempter({ db, config, send: sendOptions, secretKeys }: DeliveryDeps) {
  // One per worker process: concurrent attempts' successes share statements (group commit).
  const successes = createSuccessRecorder(db, config.deliveryCost);
  // One per worker process: each endpoint's share of this worker, and which endpoints are slow.
  const gate = createEndpointGate({
    concurrency: config.endpointConcurrency,
    slowConcurrency: config.slowEndpointConcurrency,
    slowTotal: config.slowEndpointsTotal,
    slowAfterMs: config.slowEndpointMs,
    slowForMs: SLOW_MARK_MS,
  });

  function loadDeliveries(deliveryIds: string[]) {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .innerJoin('teams as t', 't.id', 'd.team_id')
      .select([
        'd.id', 'd.event_id', 'd.status', 'd.test', 'd.series', 'd.series_attempts', 'd.team_id', 'd.webhook_id', 'd.next_attempt_at', 'd.last_status_code', 'd.last_error', 'd.delivery_workflow_id',
        'w.url', 'w.secret', 'w.previous_secret', 'w.previous_secret_expires_at', 'w.retry_schedule', 'w.rate_limit',
        'w.enabled', 'w.deleted_at', 'w.consecutive_failures',
        'e.payload', 'e.created_at as event_created_at', 't.credit_balance',
      ])
      .where('d.id', 'in', deliveryIds)
      .execute();
  }

  async function setStatus(deliveryId: string, status: 'cancelled' | 'held') {
    const now = new Date();
    const [updated] = await db
      .updateTable('deliveries')
      .set(
        status === 'cancelled'
          ? { status, updated_at: now, completed_at: now, next_attempt_at: null }
          : // Held: due again at the next credit check (the reconciler watches for that).
            { status, updated_at: now, next_attempt_at: new Date(now.getTime() + config.heldRecheckMs) },
      )
      .where('id', '=', deliveryId)
      .where('status', 'not in', ['succeeded', 'failed', 'cancelled'])
      .execute();
    if (status === 'cancelled') countFinished('cancelled', Number(updated?.numUpdatedRows ?? 0));
  }

  /**
   * One HTTP attempt of a loaded delivery, recorded: the attempt log, the delivery's status and,
   * on success, the charge. The webhook's schedule decides whether and when to try again.
   * `series`, when given, is the attempt series the caller runs: a delivery re-sent since then
   * (a newer series) is left to the newer series' workflow.
   */
  async function attempt(d: LoadedDelivery | undefined, series: number | undefined, opts: AttemptOptions): Promise<AttemptResult> {
    if (!d || d.status === 'cancelled' || (series !== undefined && d.series !== series)) return { status: 'cancelled' };
    const deliveryId = d.id;
    // Already recorded by an earlier run of this activity whose completion never reached
    // Temporal (worker died): do not send or charge again.
    if (d.status === 'succeeded') return { status: 'succeeded', resetsHealth: false };
    if (d.status === 'failed' || (d.status === 'retrying' && scheduleUsedUp(d, config.retryDelayScale))) return failedForGood(d);
    if (!d.enabled || d.deleted_at) {
      await setStatus(deliveryId, 'cancelled');
      return { status: 'cancelled' };
    }
    if (!canPay(d, config.deliveryCost)) {
      await setStatus(deliveryId, 'held');
      return { status: 'held', recheckAfterMs: config.heldRecheckMs };
    }

    // A slot of this endpoint's share of the worker: a batch waits for one unless the endpoint is
    // slow; a delivery's own workflow takes one if free, else comes back later.
    const slot = opts.lane === 'batch' ? await gate.acquire(d.webhook_id) : gate.tryEnter(d.webhook_id);
    if (slot === undefined || slot === 'slow') {
      const slow = slot === 'slow' || gate.isSlow(d.webhook_id);
      return { status: 'deferred', why: slow ? 'endpoint_slow' : 'endpoint_busy', waitMs: gate.nextTurnInMs(d.webhook_id), reserved: opts.reserved ?? false };
    }
    let sent: { headers: Record<string, string>; result: SendResult };
    let startedAt: Date;
    try {
      if (d.rate_limit !== null && !opts.reserved) {
        const waitMs = await reserveEndpointSlot(db, d.webhook_id, d.rate_limit);
        if (waitMs > 0) {
          slot.leave();
          return { status: 'deferred', why: 'rate_limited', waitMs, reserved: true };
        }
      }
      startedAt = new Date();
      sent = await send(d, startedAt);
    } catch (err) {
      slot.leave();
      throw err;
    }
    const { headers, result } = sent;
    slot.leave({ timedOut: result.kind === 'error' && result.errorClass === 'timeout', durationMs: result.durationMs });
    observeAttempt(result, startedAt, d.series === 1 && d.series_attempts === 0 ? { eventCreatedAt: d.event_created_at } : undefined);
    return record(d, startedAt, headers, result);
  }

  /** The signed POST of a delivery: what was sent, and how it went. */
  async function send(d: LoadedDelivery, startedAt: Date): Promise<{ headers: Record<string, string>; result: SendResult }> {
    const headers = signedHeaders(d, startedAt, secretKeys, config); // throws if a key is missing: never sent unsigned
    const result = await sendWebhook({ url: d.url, headers, body: d.payload, timeoutMs: config.attemptTimeoutMs, maxResponseBytes: config.maxResponseBytes }, sendOptions);
    return { headers, result };
  }

  /** Records an attempt's result: the attempt log (with the headers sent), the delivery's status and, on success, the charge. */
  async function record(d: LoadedDelivery, startedAt: Date, headers: Record<string, string>, result: SendResult): Promise<AttemptResult> {
    const deliveryId = d.id;
    const ok = result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300;
    const attemptNumber = d.series_attempts + 1;

    if (ok) {
      const row = attemptRow(deliveryId, d.series, attemptNumber, startedAt, headers, result, true);
      try {
        await successes.record({ webhookId: d.webhook_id, teamId: d.team_id, charge: !d.test, attempt: row });
      } catch (err) {
        return unrecordable(d, row, err);
      }
      return { status: 'succeeded', resetsHealth: d.consecutive_failures > 0 };
    }

    // A failed attempt: log it, then decide whether and when to try again.
    const statusCode = result.kind === 'response' ? result.statusCode : null;
    const gone = statusCode === 410;
    const retryAfterMs =
      result.kind === 'response' && (statusCode === 429 || statusCode === 503) ? parseRetryAfter(result.headers['retry-after'], new Date()) : undefined;
    const delay = gone
      ? undefined
      : nextRetryDelayMs({
          delaysMs: retryDelaysMs(d.retry_schedule as RetryScheduleSetting, config.retryDelayScale),
          attemptsMade: attemptNumber,
          retryAfterMs,
          maxRetryAfterMs: config.maxRetryAfterMs,
          random: Math.random(),
        });
    const error = describeFailure(result);
    const row = attemptRow(deliveryId, d.series, attemptNumber, startedAt, headers, result, false);
    try {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('delivery_attempts').values(row).execute();
        await trx
          .updateTable('deliveries')
          .set((eb) => ({
            status: 'retrying',
            attempt_count: eb('attempt_count', '+', 1),
            series_attempts: attemptNumber,
            last_status_code: statusCode,
            last_error: error,
            // With no attempt left the delivery is due at once: to be marked failed.
            next_attempt_at: new Date(Date.now() + (delay ?? 0)),
            updated_at: new Date(),
          }))
          .where('id', '=', deliveryId)
          .where('status', 'not in', ['succeeded', 'cancelled'])
          .execute();
      });
    } catch (err) {
      return unrecordable(d, row, err);
    }

    if (gone) return { status: 'gone' };
    if (delay === undefined) return { status: 'exhausted', error, attempts: attemptNumber };
    return { status: 'retrying', delayMs: delay, error, attempts: attemptNumber };
  }

  /**
   * Recording an attempt failed. A transient database error is thrown: the activity is retried
   * (and the POST with it, same webhook-id). Any other error would fail the same way on every
   * retry, so it ends here: the attempt is logged as failed with the reason, the delivery marked
   * failed — visible, and never an endless series of POSTs.
   */
  async function unrecordable(d: LoadedDelivery, row: AttemptRow, err: unknown): Promise<AttemptResult> {
    if (isTransientDatabaseError(err)) throw err;
    const error = `Hookferry could not record this attempt (${row.status_code === null ? row.error_class : `HTTP ${row.status_code}`}): ${String((err as Error)?.message ?? err)}`.slice(0, 1000);
    try {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('delivery_attempts').values({ ...row, succeeded: false, error_class: 'internal_error', error_message: error }).execute();
        await trx
          .updateTable('deliveries')
          .set((eb) => ({
            status: 'failed', attempt_count: eb('attempt_count', '+', 1), series_attempts: row.attempt_number, last_status_code: row.status_code,
            last_error: error, next_attempt_at: null, updated_at: new Date(), completed_at: new Date(),
          }))
          .where('id', '=', d.id)
          .where('status', 'not in', ['succeeded', 'cancelled'])
          .execute();
      });
    } catch (second) {
      if (isTransientDatabaseError(second)) throw second;
      // Not even the failure can be written: end the series anyway; the reconciler sees the row.
    }
    countFinished('failed');
    return { status: 'unrecordable', error };
  }

  return { loadDeliveries, attempt };
}

export type Attempter = ReturnType<typeof createAttempter>;

/** A retrying delivery with no attempt left on its webhook's schedule (or that got 410 Gone). */
export function scheduleUsedUp(d: LoadedDelivery, retryDelayScale: number): boolean {
  return d.last_status_code === 410 || d.series_attempts >= maxAttempts(retryDelaysMs(d.retry_schedule as RetryScheduleSetting, retryDelayScale));
}

/** A delivery that failed for good, seen again (a re-run): reported as it ended. */
export function failedForGood(d: LoadedDelivery): AttemptResult {
  return d.last_status_code === 410 ? { status: 'gone' } : { status: 'exhausted', error: d.last_error ?? '', attempts: d.series_attempts };
}

function describeFailure(result: SendResult): string {
  if (result.kind === 'error') return `${result.errorClass}: ${result.message}`.slice(0, 500);
  if (result.statusCode >= 300 && result.statusCode < 400) return `HTTP ${result.statusCode} (redirects are not followed)`;
  return `HTTP ${result.statusCode}`;
}

type AttemptRow = ReturnType<typeof attemptRow>;

function attemptRow(deliveryId: string, series: number, attemptNumber: number, startedAt: Date, headers: Record<string, string>, result: SendResult, succeeded: boolean) {
  return {
    delivery_id: deliveryId,
    series,
    attempt_number: attemptNumber,
    started_at: startedAt,
    duration_ms: Math.round(result.durationMs),
    status_code: result.kind === 'response' ? result.statusCode : null,
    response_body: result.kind === 'response' ? stripNul(result.body) : null,
    response_truncated: result.kind === 'response' ? result.truncated : false,
    error_class: result.kind === 'error' ? result.errorClass : result.statusCode >= 300 && result.statusCode < 400 ? 'redirect' : succeeded ? null : 'http_status',
    error_message: result.kind === 'error' ? stripNul(result.message).slice(0, 1000) : null,
    succeeded,
    request_headers: JSON.stringify(headers),
  };
}

/** PostgreSQL text cannot hold NUL bytes; receivers can send anything. */
function stripNul(text: string): string {
  return text.replace(/\u0000/g, '');
}
