import { nextRetryDelayMs, parseRetryAfter, retryDelaysMs, type RetryScheduleSetting } from '../domain/retrySchedule';
import { signatureHeaders } from '../domain/signatures';
import { sendWebhook, type SendResult } from '../http/sendWebhook';
import { signalHealth } from '../services/healthSignals';
import { signingSecrets } from '../services/webhookSecrets';
import type { FailureNote } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { createSuccessRecorder } from './successRecorder';

// One HTTP attempt of a delivery and the bookkeeping around it, shared by the dispatch
// workflow's first attempts (attemptFirstDeliveries) and the delivery workflow's retries
// (attemptDelivery). Plain results; the activities turn them into Temporal's terms.

export const USER_AGENT = 'Hookferry/0.1 (+https://github.com/hookferry/hookferry)';

export type AttemptResult =
  | { status: 'succeeded'; resetsHealth: boolean }
  | { status: 'cancelled' }
  | { status: 'held'; recheckAfterMs: number }
  /** Failed; the schedule allows another attempt after delayMs. */
  | { status: 'retrying'; delayMs: number; error: string; attempts: number }
  /** Failed, and the schedule has no attempt left. */
  | { status: 'exhausted'; error: string; attempts: number }
  /** The endpoint answered 410 Gone: no more attempts. */
  | { status: 'gone' };

export type LoadedDelivery = NonNullable<Awaited<ReturnType<ReturnType<typeof createAttempter>['loadDeliveries']>>[number]>;

export function createAttempter({ db, config, temporal, send, secretKeys }: ActivityDeps) {
  // One per worker process: concurrent attempts' successes share statements (group commit).
  const successes = createSuccessRecorder(db, config.deliveryCost);

  function loadDeliveries(deliveryIds: string[]) {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .innerJoin('teams as t', 't.id', 'd.team_id')
      .select([
        'd.id', 'd.event_id', 'd.status', 'd.test', 'd.series', 'd.series_attempts', 'd.team_id', 'd.webhook_id', 'd.next_attempt_at', 'd.last_status_code',
        'w.url', 'w.secret', 'w.previous_secret', 'w.previous_secret_expires_at', 'w.retry_schedule',
        'w.enabled', 'w.deleted_at', 'w.consecutive_failures',
        'e.payload', 't.credit_balance',
      ])
      .where('d.id', 'in', deliveryIds)
      .execute();
  }

  async function setStatus(deliveryId: string, status: 'cancelled' | 'held') {
    await db
      .updateTable('deliveries')
      .set({ status, updated_at: new Date(), ...(status === 'cancelled' ? { completed_at: new Date(), next_attempt_at: null } : {}) })
      .where('id', '=', deliveryId)
      .where('status', 'not in', ['succeeded', 'failed'])
      .execute();
  }

  /**
   * One HTTP attempt of a loaded delivery, recorded: the attempt log, the delivery's status and,
   * on success, the charge. The webhook's schedule decides whether and when to try again.
   */
  async function attempt(d: LoadedDelivery | undefined): Promise<AttemptResult> {
    if (!d || d.status === 'cancelled') return { status: 'cancelled' };
    const deliveryId = d.id;
    // Already recorded as delivered by an earlier run of this activity whose completion
    // never reached Temporal (worker died): do not send or charge again.
    if (d.status === 'succeeded') return { status: 'succeeded', resetsHealth: false };
    if (!d.enabled || d.deleted_at) {
      await setStatus(deliveryId, 'cancelled');
      return { status: 'cancelled' };
    }
    if (!d.test && Number(d.credit_balance) < config.deliveryCost) {
      await setStatus(deliveryId, 'held');
      return { status: 'held', recheckAfterMs: config.heldRecheckMs };
    }

    const secrets = signingSecrets(secretKeys, d); // throws if a key is missing: never sent unsigned
    const startedAt = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      ...signatureHeaders({
        msgId: d.id,
        timestampSeconds: Math.floor(startedAt.getTime() / 1000),
        body: d.payload,
        secrets,
        sha256Header: config.sha256SignatureHeader,
        hexHeader: config.hexSignatureHeader,
      }),
    };
    const result = await sendWebhook(
      { url: d.url, headers, body: d.payload, timeoutMs: config.attemptTimeoutMs, maxResponseBytes: config.maxResponseBytes },
      send,
    );
    const ok = result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300;
    const attemptNumber = d.series_attempts + 1;

    if (ok) {
      await successes.record({
        webhookId: d.webhook_id,
        teamId: d.team_id,
        charge: !d.test,
        attempt: attemptRow(deliveryId, d.series, attemptNumber, startedAt, result, true),
      });
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
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('delivery_attempts').values(attemptRow(deliveryId, d.series, attemptNumber, startedAt, result, false)).execute();
      await trx
        .updateTable('deliveries')
        .set((eb) => ({
          status: 'retrying',
          attempt_count: eb('attempt_count', '+', 1),
          series_attempts: attemptNumber,
          last_status_code: statusCode,
          last_error: error,
          next_attempt_at: delay === undefined ? null : new Date(Date.now() + delay),
          updated_at: new Date(),
        }))
        .where('id', '=', deliveryId)
        .where('status', 'not in', ['succeeded', 'cancelled'])
        .execute();
    });

    if (gone) return { status: 'gone' };
    if (delay === undefined) return { status: 'exhausted', error, attempts: attemptNumber };
    return { status: 'retrying', delayMs: delay, error, attempts: attemptNumber };
  }

  /** Marks a delivery failed for good and tells the webhook's health workflow. */
  async function recordFailure({ deliveryId, gone }: { deliveryId: string; gone: boolean }): Promise<void> {
    const d = await db
      .updateTable('deliveries')
      .set({ status: 'failed', next_attempt_at: null, updated_at: new Date(), completed_at: new Date() })
      .where('id', '=', deliveryId)
      .where('status', 'not in', ['succeeded', 'cancelled'])
      .returning(['id', 'team_id', 'webhook_id', 'series', 'last_status_code', 'last_error', 'updated_at'])
      .executeTakeFirst();
    const row = d ?? (await db.selectFrom('deliveries').select(['id', 'team_id', 'webhook_id', 'series', 'last_status_code', 'last_error', 'updated_at', 'status']).where('id', '=', deliveryId).executeTakeFirst());
    if (!row) return;
    const failure: FailureNote = { deliveryId, at: row.updated_at.toISOString(), statusCode: row.last_status_code, error: row.last_error };
    await signalHealth(temporal, config, { id: row.webhook_id, teamId: row.team_id }, { signal: 'outcome', outcome: { kind: 'failed', deliveryId, series: row.series, gone, failure } });
  }

  /** A success after failures resets the webhook's consecutive-failure count. */
  async function reportSuccess({ deliveryId }: { deliveryId: string }): Promise<void> {
    const row = await db.selectFrom('deliveries').select(['team_id', 'webhook_id', 'series']).where('id', '=', deliveryId).executeTakeFirst();
    if (!row) return;
    await signalHealth(temporal, config, { id: row.webhook_id, teamId: row.team_id }, { signal: 'outcome', outcome: { kind: 'succeeded', deliveryId, series: row.series } });
  }

  return { loadDeliveries, attempt, recordFailure, reportSuccess };
}

export type Attempter = ReturnType<typeof createAttempter>;

function describeFailure(result: SendResult): string {
  if (result.kind === 'error') return `${result.errorClass}: ${result.message}`.slice(0, 500);
  if (result.statusCode >= 300 && result.statusCode < 400) return `HTTP ${result.statusCode} (redirects are not followed)`;
  return `HTTP ${result.statusCode}`;
}

function attemptRow(deliveryId: string, series: number, attemptNumber: number, startedAt: Date, result: SendResult, succeeded: boolean) {
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
  };
}

/** PostgreSQL text cannot hold NUL bytes; receivers can send anything. */
function stripNul(text: string): string {
  return text.replace(/\u0000/g, '');
}
