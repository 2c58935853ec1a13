import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql } from 'kysely';
import { ApiError } from '../api/errors';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { EventRow } from '../db/schema';
import { buildEnvelope, serializeEnvelope } from '../domain/envelope';
import { newId } from '../ids';
import { fanOutWorkflowId, EventTypeKey, TeamIdKey } from '../temporal/names';
import { fanOutEvent } from '../workflows/fanOutEvent';
import type { Catalog } from './catalog';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
/** How long ingestion waits for Temporal to start an event's fan-out before answering anyway. */
export const DISPATCH_DEADLINE_MS = 5_000;

export interface EventServiceDeps {
  db: Db;
  config: Config;
  temporal: Client;
  catalog: Catalog;
}

export interface IngestInput {
  event: string;
  data: Record<string, unknown>;
  idempotencyKey?: string;
  test?: boolean;
  targetWebhookId?: string;
}

export function presentEvent(e: EventRow) {
  return {
    id: e.id,
    event: e.type,
    test: e.test,
    createdAt: e.created_at.toISOString(),
    dispatched: e.dispatched_at !== null,
    payload: JSON.parse(e.payload) as unknown,
  };
}

export function createEventService({ db, config, temporal, catalog }: EventServiceDeps) {
  /** Starts the event's fan-out; safe to call again (the workflow id is derived from the event id). */
  async function dispatch(e: Pick<EventRow, 'id' | 'team_id' | 'type'>): Promise<void> {
    try {
      await temporal.workflow.start(fanOutEvent, {
        workflowId: fanOutWorkflowId(e.id),
        taskQueue: config.taskQueue,
        args: [{ eventId: e.id, teamId: e.team_id, eventType: e.type }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A fan-out that already completed must not run again (its deliveries would be
        // re-started and finished ones re-sent): only a failed or terminated one may.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: [
          { key: TeamIdKey, value: e.team_id },
          { key: EventTypeKey, value: e.type },
        ],
      });
    } catch (err) {
      // Already dispatched and completed (its "dispatched" mark was lost, e.g. the database went away).
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    await db.updateTable('events').set({ dispatched_at: new Date() }).where('id', '=', e.id).where('dispatched_at', 'is', null).execute();
  }

  async function dispatchBestEffort(e: EventRow): Promise<EventRow> {
    try {
      // Bounded: while Temporal is unreachable the client would retry for ~20 s, holding the
      // request open. The event is already stored; past the deadline the sweeper starts it.
      await temporal.withDeadline(Date.now() + DISPATCH_DEADLINE_MS, () => dispatch(e));
      return { ...e, dispatched_at: new Date() };
    } catch {
      // Stored, not yet dispatched: the worker's sweeper (or a retry of this request) starts it.
      return e;
    }
  }

  /**
   * Stores an event (before answering) and starts its fan-out. The same idempotency key
   * within 24 h returns the original event and starts nothing new, even under concurrency.
   */
  async function ingest(teamId: string, input: IngestInput): Promise<{ event: EventRow; replayed: boolean }> {
    const type = await catalog.get(input.event);
    if (!type) {
      throw new ApiError(400, 'unknown_event_type', `unknown event type "${input.event}"`, { hint: 'GET /v1/webhooks/test/events lists the valid ids' });
    }
    const id = newId('evt');
    const createdAt = new Date();
    const payload = serializeEnvelope(buildEnvelope({ id, event: input.event, teamId, createdAt, data: input.data, test: input.test }));
    if (Buffer.byteLength(payload) > config.maxPayloadBytes) {
      throw new ApiError(413, 'payload_too_large', `the event payload is larger than ${config.maxPayloadBytes} bytes`);
    }
    const requestHash = createHash('sha256').update(JSON.stringify([input.event, input.data])).digest('hex');
    const row = {
      id,
      team_id: teamId,
      type: input.event,
      payload,
      test: input.test ?? false,
      target_webhook_id: input.targetWebhookId ?? null,
      idempotency_key: input.idempotencyKey ?? null,
      request_hash: input.idempotencyKey ? requestHash : null,
      created_at: createdAt,
    };

    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await db
        .insertInto('events')
        .values(row)
        .onConflict((oc) => oc.columns(['team_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { event: await dispatchBestEffort(inserted), replayed: false };

      const existing = await db
        .selectFrom('events')
        .selectAll()
        .where('team_id', '=', teamId)
        .where('idempotency_key', '=', input.idempotencyKey!)
        .executeTakeFirst();
      if (!existing) continue; // released concurrently; insert again
      if (Date.now() - existing.created_at.getTime() > IDEMPOTENCY_WINDOW_MS) {
        // The key has expired: free it for this new event.
        await db.updateTable('events').set({ idempotency_key: null }).where('id', '=', existing.id).where('idempotency_key', '=', input.idempotencyKey!).execute();
        continue;
      }
      if (existing.request_hash !== requestHash) {
        throw new ApiError(422, 'idempotency_key_reused', 'this idempotency key was already used with a different request body', { eventId: existing.id });
      }
      return { event: existing.dispatched_at ? existing : await dispatchBestEffort(existing), replayed: true };
    }
    throw new ApiError(409, 'idempotency_conflict', 'concurrent requests with this idempotency key; retry');
  }

  /** Events stored but never dispatched (Temporal was unreachable when they arrived). */
  async function dispatchStranded(olderThanMs: number, limit = 500): Promise<number> {
    const stranded = await db
      .selectFrom('events')
      .selectAll()
      .where('dispatched_at', 'is', null)
      .where('created_at', '<', sql<Date>`now() - ${`${olderThanMs} milliseconds`}::interval`)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    for (const e of stranded) await dispatch(e);
    return stranded.length;
  }

  return { ingest, dispatch, dispatchStranded };
}
export type EventService = ReturnType<typeof createEventService>;
