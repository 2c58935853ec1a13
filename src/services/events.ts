import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Database, EventRow } from '../db/schema';
import type { Logger } from '../logger';
import { buildEnvelope, serializeEnvelope } from '../domain/envelope';
import { AppError, notFound } from '../domain/errors';
import { newId } from '../ids';
import type { Catalog } from './catalog';
import { createGroupCommit } from '../db/groupCommit';
import { createDispatchBatcher, DISPATCH_DEADLINE_MS, startDispatch } from './dispatchBatcher';
import { planEventDeliveries } from './deliveryPlanning';
import { dispatchWorkflowId } from '../temporal/names';
import type { DeliveryRef } from '../workflows/types';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
/** Events one POST /v1/events/batch may carry. */
export const MAX_BATCH_EVENTS = 100;
/** Deliveries a test send plans before answering (a team with more subscribed webhooks gets the rest planned by its dispatch). */
export const TEST_SEND_LIMIT = 1_000;

export interface EventServiceDeps {
  db: Db;
  config: Config;
  temporal: Client;
  catalog: Catalog;
  log: Logger;
}

export interface IngestResult {
  event: EventRow;
  /** True when an earlier request with the same idempotency key stored the event. */
  replayed: boolean;
}

export interface IngestInput {
  event: string;
  data: Record<string, unknown>;
  idempotencyKey?: string;
  test?: boolean;
  targetWebhookId?: string;
}

/** One item of a batch: stored (or replayed), or refused with the error a single request would get. */
export type BatchItemResult = { index: number; event: EventRow; replayed: boolean } | { index: number; error: AppError };

type NewEventRow = Awaited<ReturnType<ReturnType<typeof createEventService>['newEventRow']>>;

/** Events inserted per statement at most. */
const MAX_INSERT_GROUP = 200;

export function createEventService({ db, config, temporal, catalog, log }: EventServiceDeps) {
  const batcher = createDispatchBatcher({ db, config, temporal, log });
  // Concurrent requests' events share one insert statement (group commit): under load an event
  // costs a share of a round trip to PostgreSQL. Answers, per row, whether it was inserted (a row
  // whose idempotency key is taken is not).
  const inserts = createGroupCommit(async (rows: NewEventRow[]) => {
    const inserted = await db
      .insertInto('events')
      .values(rows)
      .onConflict((oc) => oc.columns(['team_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing())
      .returning('id')
      .execute();
    const ids = new Set(inserted.map((r) => r.id));
    return rows.map((r) => ids.has(r.id));
  }, MAX_INSERT_GROUP);

  /** Hands stored events to the next dispatch batch without waiting for it: stored means delivered. */
  function dispatchLater(eventIds: string[]): void {
    // A failure is logged by the batcher; the reconciler dispatches the events later.
    for (const id of eventIds) batcher.dispatch(id).catch(() => undefined);
  }

  /** The stored form of an event: its exact envelope bytes, checked against the size limit. */
  async function newEventRow(teamId: string, input: IngestInput) {
    const type = await catalog.get(input.event);
    if (!type) {
      throw new AppError('invalid', 'unknown_event_type', `unknown event type "${input.event}"`, { hint: 'GET /v1/webhooks/test/events lists the valid ids' });
    }
    const id = newId('evt');
    const createdAt = new Date();
    const payload = serializeEnvelope(buildEnvelope({ id, event: input.event, teamId, createdAt, data: input.data, test: input.test }));
    if (Buffer.byteLength(payload) > config.maxPayloadBytes) {
      throw new AppError('too_large', 'payload_too_large', `the event payload is larger than ${config.maxPayloadBytes} bytes`);
    }
    return {
      id,
      team_id: teamId,
      type: input.event,
      payload,
      test: input.test ?? false,
      target_webhook_id: input.targetWebhookId ?? null,
      idempotency_key: input.idempotencyKey ?? null,
      // What a repeated key is compared with: the same key with another body is refused.
      request_hash: input.idempotencyKey ? createHash('sha256').update(JSON.stringify([input.event, input.data])).digest('hex') : null,
      created_at: createdAt,
    };
  }

  /**
   * Stores an event and hands it to the dispatch batcher: the caller answers once it is
   * committed. The same idempotency key within 24 h returns the original event and stores
   * nothing new, even under concurrency.
   */
  async function ingest(teamId: string, input: IngestInput): Promise<IngestResult> {
    const row = await newEventRow(teamId, input);
    for (let attempt = 0; attempt < 3; attempt++) {
      const { result: inserted } = await inserts.add(row);
      if (inserted) {
        dispatchLater([row.id]);
        return { event: { ...row, dispatched_at: null, dispatch_workflow_id: null, planned_at: null }, replayed: false };
      }
      const outcome = await replayOf(db, row);
      if (outcome === 'released') continue;
      if (outcome instanceof AppError) throw outcome;
      return { event: outcome, replayed: true };
    }
    throw new AppError('conflict', 'idempotency_conflict', 'concurrent requests with this idempotency key; retry');
  }

  /**
   * The event an earlier request stored under this row's idempotency key, an error if that
   * request had another body, or 'released' when the key is free again (expired, or its event
   * went away): then the caller inserts again.
   */
  async function replayOf(q: Kysely<Database>, row: NewEventRow): Promise<EventRow | AppError | 'released'> {
    const existing = await q.selectFrom('events').selectAll().where('team_id', '=', row.team_id).where('idempotency_key', '=', row.idempotency_key!).executeTakeFirst();
    if (!existing) return 'released';
    if (Date.now() - existing.created_at.getTime() > IDEMPOTENCY_WINDOW_MS) {
      // The key has expired: free it for this new event.
      await q.updateTable('events').set({ idempotency_key: null }).where('id', '=', existing.id).where('idempotency_key', '=', row.idempotency_key!).execute();
      return 'released';
    }
    if (existing.request_hash !== row.request_hash) {
      return new AppError('unprocessable', 'idempotency_key_reused', 'this idempotency key was already used with a different request body', { eventId: existing.id });
    }
    // Its dispatch never started (Temporal was unreachable, or the API died): hand it over again
    // now rather than wait for the reconciler.
    if (!existing.planned_at && existing.dispatch_workflow_id === null && Date.now() - existing.created_at.getTime() > DISPATCH_DEADLINE_MS) {
      dispatchLater([existing.id]);
    }
    return existing;
  }

  /**
   * Up to MAX_BATCH_EVENTS events in one transaction, each validated, keyed and answered on its
   * own: a bad item is refused with the error a single request would get, the others are stored.
   * Items with an idempotency key seen before (or earlier in the same batch) are replays.
   */
  async function ingestBatch(teamId: string, items: Array<IngestInput | AppError>): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = [];
    const rows: Array<{ index: number; row: NewEventRow }> = [];
    const firstWithKey = new Map<string, { index: number; row: NewEventRow }>();
    const sameKeyLater: Array<{ index: number; row: NewEventRow }> = [];
    for (const [index, item] of items.entries()) {
      if (item instanceof AppError) {
        results.push({ index, error: item });
        continue;
      }
      try {
        const row = await newEventRow(teamId, item);
        const key = row.idempotency_key;
        if (key !== null && firstWithKey.has(key)) sameKeyLater.push({ index, row });
        else {
          if (key !== null) firstWithKey.set(key, { index, row });
          rows.push({ index, row });
        }
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        results.push({ index, error: err });
      }
    }

    const stored = await db.transaction().execute(async (trx) => {
      const byIndex = new Map<number, IngestResult | AppError>();
      let pending = rows;
      for (let pass = 0; pass < 3 && pending.length > 0; pass++) {
        const inserted = await trx
          .insertInto('events')
          .values(pending.map((p) => p.row))
          .onConflict((oc) => oc.columns(['team_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing())
          .returningAll()
          .execute();
        const byId = new Map(inserted.map((e) => [e.id, e]));
        const conflicts: typeof pending = [];
        for (const p of pending) {
          if (byId.has(p.row.id)) byIndex.set(p.index, { event: byId.get(p.row.id)!, replayed: false });
          else conflicts.push(p);
        }
        pending = [];
        for (const c of conflicts) {
          const outcome = await replayOf(trx, c.row);
          if (outcome === 'released') pending.push(c);
          else byIndex.set(c.index, outcome instanceof AppError ? outcome : { event: outcome, replayed: true });
        }
      }
      for (const p of pending) byIndex.set(p.index, new AppError('conflict', 'idempotency_conflict', 'concurrent requests with this idempotency key; retry'));
      return byIndex;
    });

    const fresh: string[] = [];
    for (const { index, row } of rows) {
      const outcome = stored.get(index)!;
      if (outcome instanceof AppError) results.push({ index, error: outcome });
      else {
        if (!outcome.replayed) fresh.push(outcome.event.id);
        results.push({ index, ...outcome });
      }
    }
    for (const { index, row } of sameKeyLater) {
      const first = firstWithKey.get(row.idempotency_key!)!;
      const outcome = stored.get(first.index)!;
      if (outcome instanceof AppError) results.push({ index, error: outcome });
      else if (first.row.request_hash !== row.request_hash) {
        results.push({ index, error: new AppError('unprocessable', 'idempotency_key_reused', 'this idempotency key was already used with a different request body', { eventId: outcome.event.id }) });
      } else results.push({ index, event: outcome.event, replayed: true });
    }
    dispatchLater(fresh);
    return results.sort((a, b) => a.index - b.index);
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

  /** One of the team's events. */
  async function get(teamId: string, id: string): Promise<EventRow> {
    const e = await db.selectFrom('events').selectAll().where('id', '=', id).where('team_id', '=', teamId).executeTakeFirst();
    if (!e) throw notFound('event');
    return e;
  }

  return {
    get,
    ingest,
    ingestBatch,
    sendTest,
    newEventRow,
    /** Starts what the batcher holds and waits for it (a graceful shutdown). */
    close: () => batcher.close(),
  };
}
export type EventService = ReturnType<typeof createEventService>;
