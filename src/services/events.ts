import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ApiError } from '../api/errors';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { EventRow } from '../db/schema';
import { buildEnvelope, serializeEnvelope } from '../domain/envelope';
import { newId } from '../ids';
import type { Catalog } from './catalog';
import { createDispatchBatcher, DISPATCH_DEADLINE_MS, startDispatch } from './dispatchBatcher';
import { planEventDeliveries } from './deliveryPlanning';
import { dispatchWorkflowId } from '../temporal/names';
import type { DeliveryRef } from '../workflows/types';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
/** Deliveries a test send plans before answering (a team with more subscribed webhooks gets the rest planned by its dispatch). */
export const TEST_SEND_LIMIT = 1_000;

export interface EventServiceDeps {
  db: Db;
  config: Config;
  temporal: Client;
  catalog: Catalog;
}

export interface IngestResult {
  event: EventRow;
  /** True when an earlier request with the same idempotency key stored the event. */
  replayed: boolean;
  /** The dispatch workflow that delivers it, when it was dispatched by this request. */
  dispatchWorkflowId?: string;
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
  const batcher = createDispatchBatcher({ db, config, temporal });

  /** Hands a stored event to the next dispatch batch; answers without waiting past the deadline. */
  async function dispatchBestEffort(e: EventRow): Promise<IngestResult> {
    try {
      const dispatchWorkflowId = await batcher.dispatch(e.id);
      return { event: { ...e, dispatched_at: new Date() }, replayed: false, dispatchWorkflowId };
    } catch {
      // Stored, not yet dispatched: the worker's reconciler (or a retry of this request) starts it.
      return { event: e, replayed: false };
    }
  }

  /** The stored form of an event: its exact envelope bytes, checked against the size limit. */
  async function newEventRow(teamId: string, input: IngestInput) {
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
    return {
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
  }

  /**
   * Stores an event (before answering) and starts its dispatch. The same idempotency key
   * within 24 h returns the original event and starts nothing new, even under concurrency.
   */
  async function ingest(teamId: string, input: IngestInput): Promise<IngestResult> {
    const row = await newEventRow(teamId, input);
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await db
        .insertInto('events')
        .values(row)
        .onConflict((oc) => oc.columns(['team_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return dispatchBestEffort(inserted);

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
      if (existing.request_hash !== row.request_hash) {
        throw new ApiError(422, 'idempotency_key_reused', 'this idempotency key was already used with a different request body', { eventId: existing.id });
      }
      if (existing.dispatched_at) return { event: existing, replayed: true };
      return { ...(await dispatchBestEffort(existing)), replayed: true };
    }
    throw new ApiError(409, 'idempotency_conflict', 'concurrent requests with this idempotency key; retry');
  }

  /**
   * A test send: stores the event and plans its deliveries together (so the answer can list
   * them), then starts its own dispatch workflow. If Temporal cannot be reached, the reconciler
   * picks the planned deliveries up.
   */
  async function sendTest(teamId: string, input: Omit<IngestInput, 'test' | 'idempotencyKey'>): Promise<{ event: EventRow; deliveries: DeliveryRef[] }> {
    const row = { ...(await newEventRow(teamId, { ...input, test: true })), dispatch_workflow_id: dispatchWorkflowId(newId('dsp')) };
    const { event, deliveries } = await db.transaction().execute(async (trx) => {
      const event = await trx.insertInto('events').values(row).returningAll().executeTakeFirstOrThrow();
      return { event, deliveries: await planEventDeliveries(trx, row, TEST_SEND_LIMIT) };
    });
    try {
      await temporal.withDeadline(Date.now() + DISPATCH_DEADLINE_MS, () => startDispatch({ db, temporal, taskQueue: config.taskQueue }, [event.id], row.dispatch_workflow_id));
    } catch {
      // Stored and planned: the reconciler starts the deliveries' workflows.
    }
    return { event, deliveries };
  }

  return { ingest, sendTest };
}
export type EventService = ReturnType<typeof createEventService>;
