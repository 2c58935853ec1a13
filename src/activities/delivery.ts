import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { ATTEMPT_FAILED, ENDPOINT_GONE, RESULT_UNRECORDABLE, RETRIES_EXHAUSTED, type AttemptOutcome } from '../workflows/types';
import type { Attempter } from '../delivery/attempt';

/** The activities of a delivery's own workflow (retries after the first attempt, holds, replays). */
export function createDeliveryActivities(attempter: Attempter) {
  /**
   * One HTTP attempt of a delivery. Temporal retries this activity; the webhook's schedule
   * decides each delay (nextRetryDelay) and when to stop (non-retryable failure).
   */
  async function attemptDelivery({ deliveryId, series, reservedSlot }: { deliveryId: string; series: number; reservedSlot?: boolean }): Promise<AttemptOutcome> {
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

  return {
    attemptDelivery,
    /** Marks a delivery failed for good and tells the webhook's health workflow. */
    recordDeliveryFailure: attempter.recordFailure,
    /** A success after failures resets the webhook's consecutive-failure count. */
    reportDeliverySuccess: attempter.reportSuccess,
    /** Marks a delivery cancelled when its workflow is cancelled. */
    markDeliveryCancelled: attempter.markCancelled,
    /** A held delivery's re-check: can its team pay now? */
    creditsAvailable: attempter.creditsAvailable,
  };
}
