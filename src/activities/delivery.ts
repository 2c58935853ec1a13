import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { Attempter } from '../delivery/attempt';
import { countFinished } from '../metrics/worker';
import { heldDeliveryCanPay } from '../services/credits';
import { signalHealth } from '../services/healthSignals';
import type { FailureNote, ReturnedAttemptResult } from '../domain/attemptResult';
import { ATTEMPT_FAILED, ENDPOINT_GONE, RESULT_UNRECORDABLE, RETRIES_EXHAUSTED } from '../workflows/types';
import type { ActivityDeps } from './deps';

/** The activities of a delivery's own workflow (retries after the first attempt, holds, replays). */
export function createDeliveryActivities({ db, config, temporal }: ActivityDeps, attempter: Attempter) {
  /**
   * One HTTP attempt of a delivery. Temporal retries this activity; the webhook's schedule
   * decides each delay (nextRetryDelay) and when to stop (non-retryable failure).
   */
  async function attemptDelivery({ deliveryId, series, reservedSlot }: { deliveryId: string; series: number; reservedSlot?: boolean }): Promise<ReturnedAttemptResult> {
    const ctx = Context.current();
    // Heartbeat only while an attempt is slow: the server's heartbeat timeout runs from the
    // activity's start anyway, and a heartbeat on every attempt would cost a server round trip
    // (and a history-store write) per delivery.
    const heartbeat = setInterval(() => ctx.heartbeat(), 1_000);
    try {
      const [d] = await attempter.loadDeliveries([deliveryId]);
      // A slot reserved for this activity's first run; a retry after a failed attempt takes its own.
      const reserved = reservedSlot === true && ctx.info.attempt === 1;
      const result = await attempter.attempt(d, series, { lane: 'own', reserved });
      switch (result.status) {
        case 'succeeded':
        case 'cancelled':
        case 'held':
        case 'deferred':
          return result;
        case 'gone':
          throw ApplicationFailure.create({ type: ENDPOINT_GONE, message: 'endpoint answered 410 Gone', nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
        case 'exhausted':
          throw ApplicationFailure.create({
            type: RETRIES_EXHAUSTED,
            message: `gave up after ${result.attempts} attempts: ${result.error}`,
            nonRetryable: true,
            category: ApplicationFailureCategory.BENIGN,
          });
        case 'unrecordable':
          throw ApplicationFailure.create({ type: RESULT_UNRECORDABLE, message: result.error, nonRetryable: true });
        case 'retrying':
          throw ApplicationFailure.create({ type: ATTEMPT_FAILED, message: result.error, nextRetryDelay: result.delayMs, category: ApplicationFailureCategory.BENIGN });
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** A held delivery's re-check, cheaper than an attempt: can its team pay now? */
  function creditsAvailable({ deliveryId }: { deliveryId: string }): Promise<boolean> {
    return heldDeliveryCanPay(db, deliveryId, config.deliveryCost, config.heldRecheckMs);
  }

  /** Marks a delivery cancelled when its workflow is cancelled (webhook disabled or deleted, or from the Temporal UI). */
  async function markDeliveryCancelled({ deliveryId, series }: { deliveryId: string; series: number }): Promise<void> {
    const [updated] = await db
      .updateTable('deliveries')
      .set({ status: 'cancelled', next_attempt_at: null, updated_at: new Date(), completed_at: new Date() })
      .where('id', '=', deliveryId)
      .where('series', '=', series)
      .where('status', 'in', ['pending', 'retrying', 'held'])
      .execute();
    countFinished('cancelled', Number(updated?.numUpdatedRows ?? 0));
  }

  /** Marks a delivery failed for good and tells the webhook's health workflow. */
  async function recordDeliveryFailure({ deliveryId, gone }: { deliveryId: string; gone: boolean }): Promise<void> {
    const d = await db
      .updateTable('deliveries')
      .set({ status: 'failed', next_attempt_at: null, updated_at: new Date(), completed_at: new Date() })
      .where('id', '=', deliveryId)
      .where('status', 'not in', ['succeeded', 'failed', 'cancelled']) // a re-report keeps the first failure's row
      .returning(['id', 'team_id', 'webhook_id', 'series', 'last_status_code', 'last_error', 'updated_at'])
      .executeTakeFirst();
    if (d) countFinished('failed');
    const row = d ?? (await db.selectFrom('deliveries').select(['id', 'team_id', 'webhook_id', 'series', 'last_status_code', 'last_error', 'updated_at', 'status']).where('id', '=', deliveryId).executeTakeFirst());
    if (!row) return;
    const failure: FailureNote = { deliveryId, at: row.updated_at.toISOString(), statusCode: row.last_status_code, error: row.last_error };
    await signalHealth(temporal, config, { id: row.webhook_id, teamId: row.team_id }, { signal: 'outcome', outcome: { kind: 'failed', deliveryId, series: row.series, gone, failure } });
  }

  /** A success after failures resets the webhook's consecutive-failure count. */
  async function reportDeliverySuccess({ deliveryId }: { deliveryId: string }): Promise<void> {
    const row = await db.selectFrom('deliveries').select(['team_id', 'webhook_id', 'series']).where('id', '=', deliveryId).executeTakeFirst();
    if (!row) return;
    await signalHealth(temporal, config, { id: row.webhook_id, teamId: row.team_id }, { signal: 'outcome', outcome: { kind: 'succeeded', deliveryId, series: row.series } });
  }

  return { attemptDelivery, creditsAvailable, markDeliveryCancelled, recordDeliveryFailure, reportDeliverySuccess };
}
