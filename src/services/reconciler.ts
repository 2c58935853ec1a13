import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sql } from 'kysely';
import { forEachConcurrently } from '../concurrency';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { DeliveryStatus } from '../db/schema';
import type { Logger } from '../logger';
import type { StartingStatus } from '../workflows/deliveryWorkflowStart';
import { startDispatch } from './dispatchBatcher';
import { deliveryRef, startDeliveryWorkflow } from './deliveryWorkflows';

/** Rows looked at per pass, at most; the next pass goes on where this one stopped. */
const PAGE = 200;

export interface ReconcileResult {
  /** Events whose dispatch was started (again). */
  events: number;
  /** Deliveries whose own workflow was started (again). */
  deliveries: number;
}

/**
 * Finds work whose workflow is missing or closed — an event accepted while Temporal was
 * unreachable, a dispatch or a retry lost with Temporal's state — and starts it again with the
 * same idempotent workflow ids, so nothing is ever stranded and a race with a live workflow is
 * harmless. Only work overdue by `config.reconcileMarginMs` is looked at, and a workflow that is
 * still running is left alone. Every worker runs it; two running it at once do no harm.
 */
export function createReconciler({ db, config, temporal, log }: { db: Db; config: Config; temporal: Client; log: Logger }) {
  let deliveryCursor: { due: Date; id: string } | undefined;

  function overdueBefore(): Date {
    return new Date(Date.now() - config.reconcileMarginMs);
  }

  /** Whether each workflow runs, asked once per pass. */
  function runningCheck() {
    const seen = new Map<string, Promise<boolean>>();
    return (workflowId: string) => {
      let running = seen.get(workflowId);
      if (!running) {
        running = temporal.workflow
          .getHandle(workflowId)
          .describe()
          .then(
            (d) => d.status.name === 'RUNNING',
            (err) => {
              if (err instanceof WorkflowNotFoundError) return false;
              throw err;
            },
          );
        seen.set(workflowId, running);
      }
      return running;
    };
  }

  /** Events stored but not (fully) planned: never dispatched, or their dispatch was lost. */
  async function reconcileEvents(): Promise<number> {
    const unplanned = await db
      .selectFrom('events')
      .select(['id', 'dispatch_workflow_id'])
      .where('planned_at', 'is', null)
      .where('created_at', '<', overdueBefore())
      .orderBy('created_at')
      .limit(PAGE)
      .execute();
    const byDispatch = new Map<string | null, string[]>();
    for (const e of unplanned) byDispatch.set(e.dispatch_workflow_id, [...(byDispatch.get(e.dispatch_workflow_id) ?? []), e.id]);
    const isRunning = runningCheck();
    let started = 0;
    for (const [workflowId, eventIds] of byDispatch) {
      if (workflowId !== null && (await isRunning(workflowId))) continue;
      // Never dispatched: a new dispatch workflow. Dispatched and lost: the same one, run again.
      for (let i = 0; i < eventIds.length; i += config.dispatchMaxEvents) {
        await startDispatch({ db, temporal, taskQueue: config.taskQueue }, eventIds.slice(i, i + config.dispatchMaxEvents), workflowId ?? undefined);
      }
      started += eventIds.length;
    }
    return started;
  }

  /**
   * Unfinished deliveries overdue by the margin whose workflow (their own, else the dispatch's)
   * is missing or closed: their own workflow is started for their current series, with their
   * schedule intact (the row holds the attempts made and when the next one is due).
   */
  async function reconcileDeliveries(): Promise<number> {
    let query = db
      .selectFrom('deliveries')
      .select(['id', 'series', 'status', 'webhook_id', 'team_id', 'event_type', 'test', 'next_attempt_at', 'dispatch_workflow_id', 'delivery_workflow_id'])
      .where('status', 'in', ['pending', 'retrying', 'held'])
      .where('next_attempt_at', '<', overdueBefore());
    if (deliveryCursor) query = query.where(sql<boolean>`(next_attempt_at, id) > (${deliveryCursor.due}::timestamptz, ${deliveryCursor.id})`);
    const rows = await query.orderBy('next_attempt_at').orderBy('id').limit(PAGE).execute();
    // A full page: the next pass goes on after it; otherwise it starts from the oldest again.
    const last = rows[rows.length - 1];
    deliveryCursor = rows.length === PAGE && last?.next_attempt_at ? { due: last.next_attempt_at, id: last.id } : undefined;

    const isRunning = runningCheck();
    let started = 0;
    await forEachConcurrently(rows, 8, async (d) => {
      if (await isRunning(d.delivery_workflow_id ?? d.dispatch_workflow_id)) return;
      const workflowId = await startDeliveryWorkflow(temporal, config.taskQueue, deliveryRef(d), {}, startingStatus(d.status));
      await db.updateTable('deliveries').set({ delivery_workflow_id: workflowId }).where('id', '=', d.id).where('series', '=', d.series).execute();
      started++;
    });
    return started;
  }

  return {
    /** One pass over events and deliveries. */
    async reconcile(): Promise<ReconcileResult> {
      const events = await reconcileEvents();
      const deliveries = await reconcileDeliveries();
      if (events > 0 || deliveries > 0) log.info({ events, deliveries }, 'reconciler restarted work whose workflow was missing or closed');
      return { events, deliveries };
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;

function startingStatus(status: DeliveryStatus): StartingStatus {
  return status === 'retrying' || status === 'held' ? status : 'pending';
}
