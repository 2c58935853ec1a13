import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import { forEachConcurrently } from '../concurrency';
import { planDispatchPage } from '../services/deliveryPlanning';
import { deliveryWorkflowId } from '../temporal/names';
import type { FollowUp } from '../workflows/types';
import type { Attempter, AttemptResult, LoadedDelivery } from './attempt';
import type { ActivityDeps } from './deps';

/** The activities of the dispatch workflow: plan a page of deliveries, make their first attempts. */
export function createDispatchActivities({ db, config }: ActivityDeps, attempter: Attempter) {
  /**
   * Where a delivery stands when this activity meets it: a pending one is attempted now; one
   * an earlier run of this activity already attempted (the worker died before reporting) is
   * taken as it was left, so nobody gets a second first attempt.
   */
  async function firstAttempt(d: LoadedDelivery): Promise<AttemptResult> {
    if (d.status === 'pending' && d.series_attempts === 0) return attempter.attempt(d);
    switch (d.status) {
      case 'succeeded':
        return { status: 'succeeded', resetsHealth: false };
      case 'held':
        return { status: 'held', recheckAfterMs: config.heldRecheckMs };
      case 'retrying':
        if (d.next_attempt_at) return { status: 'retrying', delayMs: Math.max(0, d.next_attempt_at.getTime() - Date.now()), error: '', attempts: d.series_attempts };
        return failedForGood(d); // no attempt left: it was not yet marked failed
      case 'failed':
        // Re-report the failure: health outcomes are de-duplicated by delivery and series.
        return failedForGood(d);
      default:
        return { status: 'cancelled' };
    }
  }

  function failedForGood(d: LoadedDelivery): AttemptResult {
    return d.last_status_code === 410 ? { status: 'gone' } : { status: 'exhausted', error: '', attempts: d.series_attempts };
  }

  /**
   * First attempts of a page of deliveries, many in flight at once. Settled deliveries are
   * finished here (failures reported to the endpoint's health); the others are returned for
   * their own delivery workflow to take over: retries on the webhook's schedule, or a hold.
   */
  async function attemptFirstDeliveries({ deliveryIds }: { deliveryIds: string[] }): Promise<FollowUp[]> {
    const ctx = Context.current();
    const heartbeat = setInterval(() => ctx.heartbeat(), 1_000);
    try {
      const deliveries = await attempter.loadDeliveries(deliveryIds);
      const followUps: FollowUp[] = [];
      await forEachConcurrently(deliveries, config.firstAttemptConcurrency, async (d) => {
        const result = await firstAttempt(d);
        switch (result.status) {
          case 'succeeded':
            if (result.resetsHealth) await attempter.reportSuccess({ deliveryId: d.id });
            return;
          case 'cancelled':
            return;
          case 'held':
            followUps.push({ deliveryId: d.id, workflowId: deliveryWorkflowId(d.event_id, d.webhook_id) });
            return;
          case 'retrying':
            followUps.push({ deliveryId: d.id, workflowId: deliveryWorkflowId(d.event_id, d.webhook_id), retryAt: Date.now() + result.delayMs });
            return;
          case 'gone':
          case 'exhausted':
            await attempter.recordFailure({ deliveryId: d.id, gone: result.status === 'gone' });
            return;
        }
      });
      if (followUps.length > 0) {
        // From here on the delivery's own workflow handles it: point the delivery at it (the
        // dashboard's Temporal link, and where a credit grant signals a held delivery).
        const ids = sql.join(followUps.map((f) => sql`(${f.deliveryId}::text, ${f.workflowId}::text)`));
        await sql`
          update deliveries d set workflow_id = f.workflow_id
          from (values ${ids}) as f (id, workflow_id)
          where d.id = f.id and d.series = 1
        `.execute(db);
      }
      return followUps;
    } finally {
      clearInterval(heartbeat);
    }
  }

  return {
    planDispatchPage: (input: Parameters<typeof planDispatchPage>[1]) => planDispatchPage(db, input),
    attemptFirstDeliveries,
  };
}
