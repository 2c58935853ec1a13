import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Config } from '../config';
import type { Db } from '../db/database';
import { newId } from '../ids';
import type { Logger } from '../logger';
import { observeDispatchBatch } from '../metrics/api';
import { DISPATCH_WORKFLOW_TYPE, dispatchWorkflowId } from '../temporal/names';
import type { DispatchInput } from '../workflows/types';

/** How long a dispatch waits for Temporal to start its workflow before giving up (the reconciler starts it later). */
export const DISPATCH_DEADLINE_MS = 5_000;

/**
 * Starts the dispatch workflow of stored events (a new one unless `workflowId` names one to run
 * again) and names it on them, so the reconciler can check on it while they stay unplanned; an
 * event another dispatch claimed first keeps that claim. A second start of a running workflow is
 * a no-op.
 */
export async function startDispatch(
  { db, temporal, taskQueue }: { db: Db; temporal: Client; taskQueue: string },
  eventIds: string[],
  workflowId = dispatchWorkflowId(newId('dsp')),
): Promise<string> {
  try {
    await temporal.workflow.start(DISPATCH_WORKFLOW_TYPE, { workflowId, taskQueue, args: [{ eventIds }] satisfies [DispatchInput] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  await db
    .updateTable('events')
    .set({ dispatched_at: sql`coalesce(dispatched_at, now())`, dispatch_workflow_id: sql`coalesce(dispatch_workflow_id, ${workflowId})` })
    .where('id', 'in', eventIds)
    .execute();
  return workflowId;
}

/**
 * Gathers stored events into batches and starts one `dispatchEvents` workflow per batch.
 * Temporal's cost is per workflow, so under load a batch of events shares one; an event that
 * arrives when nothing was dispatched for a window goes out at once, so a quiet system adds no
 * delay. The API does not wait for it: an event is answered once it is stored, and if its batch
 * cannot be started (Temporal unreachable, or this process dies first), the worker's reconciler
 * dispatches it later.
 */
export function createDispatchBatcher({ db, config, temporal, log }: { db: Db; config: Config; temporal: Client; log: Logger }) {
  const waiting: Array<{ eventId: string; resolve: (workflowId: string) => void; reject: (err: unknown) => void }> = [];
  const starting = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let lastFlushAt = 0;

  /** Starts one dispatch workflow for these events, giving Temporal DISPATCH_DEADLINE_MS to answer. */
  function startBatch(eventIds: string[]): Promise<string> {
    return temporal.withDeadline(Date.now() + DISPATCH_DEADLINE_MS, () => startDispatch({ db, temporal, taskQueue: config.taskQueue }, eventIds));
  }

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    lastFlushAt = Date.now();
    const batch = waiting.splice(0, config.dispatchMaxEvents);
    if (waiting.length > 0) schedule();
    if (batch.length === 0) return;
    observeDispatchBatch(batch.length);
    const started = startBatch(batch.map((w) => w.eventId)).then(
      (workflowId) => batch.forEach((w) => w.resolve(workflowId)),
      (err) => {
        log.warn({ err: String(err), events: batch.length }, 'dispatch not started; the reconciler will dispatch these events');
        batch.forEach((w) => w.reject(err));
      },
    );
    starting.add(started);
    void started.finally(() => starting.delete(started));
  }

  function schedule(): void {
    if (waiting.length >= config.dispatchMaxEvents) return flush();
    if (timer) return;
    timer = setTimeout(flush, Math.max(0, lastFlushAt + config.dispatchWindowMs - Date.now()));
  }

  return {
    /**
     * Queues one stored event for the next batch; resolves with its dispatch workflow's id once
     * started (callers need not wait: a failure is logged here and left to the reconciler).
     */
    dispatch(eventId: string): Promise<string> {
      return new Promise((resolve, reject) => {
        waiting.push({ eventId, resolve, reject });
        schedule();
      });
    },
    /** Starts what is queued now and waits for every start in flight (a graceful shutdown). */
    async close(): Promise<void> {
      while (waiting.length > 0) flush();
      await Promise.allSettled([...starting]);
    },
  };
}

export type DispatchBatcher = ReturnType<typeof createDispatchBatcher>;
