import { Context } from '@temporalio/activity';
import { forEachConcurrently } from '../concurrency';
import { planDispatchPage } from '../services/deliveryPlanning';
import { assignDeliveryWorkflows } from '../services/deliveryWorkflows';
import type { HandOver } from '../workflows/types';
import { failedForGood, scheduleUsedUp, type Attempter, type LoadedDelivery } from '../delivery/attempt';
import type { AttemptResult } from '../domain/attemptResult';
import { observeFirstAttemptBatch, trackFirstAttempt } from '../metrics/worker';
import type { ActivityDeps } from './deps';

/** The activities of the dispatch workflow: plan a page of deliveries, make their first attempts. */
export function createDispatchActivities(
  { db, config, log }: ActivityDeps,
  attempter: Attempter,
  reportDeliverySuccess: (input: { deliveryId: string }) => Promise<void>,
) {
  /**
   * Where a delivery stands when this activity meets it: a pending one is attempted now; one an
   * earlier run of this activity already attempted (the worker died before reporting) is taken
   * as it was left, so nobody gets a second first attempt; one that has its own workflow already
   * (the reconciler's, or a re-send's) is left to it.
   */
  async function firstAttempt(d: LoadedDelivery): Promise<AttemptResult | undefined> {
    if (d.delivery_workflow_id !== null) return undefined;
    if (d.status === 'pending' && d.series_attempts === 0) return attempter.attempt(d, d.series, { lane: 'batch' });
    switch (d.status) {
      case 'held':
        return { status: 'held', recheckAfterMs: config.heldRecheckMs };
      case 'retrying':
        if (scheduleUsedUp(d, config.retryDelayScale)) return failedForGood(d); // not yet marked failed
        return { status: 'retrying', delayMs: Math.max(0, (d.next_attempt_at?.getTime() ?? 0) - Date.now()), error: '', attempts: d.series_attempts };
      case 'failed':
        return failedForGood(d); // re-reported: the failure is recorded idempotently
      default:
        return undefined; // succeeded or cancelled: nothing more to do
    }
  }

  /** What the delivery's own workflow must do after this first attempt, if anything. */
  function handOver(d: LoadedDelivery, result: AttemptResult): HandOver | undefined {
    switch (result.status) {
      case 'retrying':
        return { deliveryId: d.id, reason: 'retry', retryAt: Date.now() + result.delayMs };
      case 'held':
        return { deliveryId: d.id, reason: 'held' };
      case 'gone':
      case 'exhausted':
        return { deliveryId: d.id, reason: 'failed', gone: result.status === 'gone' };
      case 'deferred':
        return { deliveryId: d.id, reason: 'deferred', notBefore: Date.now() + result.waitMs, reserved: result.reserved };
      default:
        return undefined; // succeeded, cancelled, or unrecordable (already marked failed)
    }
  }

  /**
   * First attempts of a page of deliveries, many in flight at once, each endpoint within its share
   * of this worker. Successes are finished here; the others are returned for their own delivery
   * workflow to take over: a retry on the webhook's schedule, a hold, recording a failure (every
   * failed delivery has a workflow), or the attempt itself when the endpoint is slow or its rate
   * limit says later — so a hanging endpoint never holds the batch's lanes.
   */
  async function attemptFirstDeliveries({ deliveryIds }: { deliveryIds: string[] }): Promise<HandOver[]> {
    const ctx = Context.current();
    const heartbeat = setInterval(() => ctx.heartbeat(), 1_000);
    try {
      const deliveries = await attempter.loadDeliveries(deliveryIds);
      observeFirstAttemptBatch(deliveries.length);
      const handOvers: HandOver[] = [];
      const series = new Map(deliveries.map((d) => [d.id, d.series]));
      await forEachConcurrently(deliveries, config.firstAttemptConcurrency, async (d) => {
        let result: AttemptResult | undefined;
        try {
          result = await trackFirstAttempt(() => firstAttempt(d));
        } catch (err) {
          // Our own error (a transient database error while recording, a missing secrets key):
          // the delivery's own workflow tries again (same webhook-id) rather than failing the batch.
          log.warn({ err: String(err), deliveryId: d.id }, 'first attempt stopped by an error of our own (not the endpoint); its own workflow will retry it');
          handOvers.push({ deliveryId: d.id, reason: 'retry', retryAt: Date.now() });
          return;
        }
        if (!result) return;
        if (result.status === 'succeeded' && result.resetsHealth) await reportDeliverySuccess({ deliveryId: d.id });
        const next = handOver(d, result);
        if (next) handOvers.push(next);
      });
      // From here on the delivery's own workflow handles it: point the delivery at it.
      await assignDeliveryWorkflows(db, handOvers.map((h) => ({ deliveryId: h.deliveryId, series: series.get(h.deliveryId)! })));
      return handOvers;
    } finally {
      clearInterval(heartbeat);
    }
  }

  return {
    planDispatchPage: (input: Omit<Parameters<typeof planDispatchPage>[1], 'deliveryWorkflows'>) =>
      planDispatchPage(db, { ...input, deliveryWorkflows: config.deliveryWorkflows }),
    attemptFirstDeliveries,
  };
}
