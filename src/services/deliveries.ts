import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Delivery, DeliveryAttempt, DeliveryStatus } from '../db/schema';
import { AppError, notFound } from '../domain/errors';
import { deliveryWorkflowId } from '../temporal/names';
import type { Logger } from '../logger';
import { deliveryRef, startDeliveryWorkflow } from './deliveryWorkflows';
import { cursorTimestamp, decodeCursor, encodeCursor } from './pagination';

export interface DeliveryServiceDeps {
  db: Db;
  config: Config;
  temporal: Client;
  log: Logger;
}

export interface DeliveryListQuery {
  limit: number;
  cursor?: string;
  webhookId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  since?: Date;
  until?: Date;
}

const TERMINAL: DeliveryStatus[] = ['succeeded', 'failed', 'cancelled'];

export function createDeliveryService({ db, config, temporal, log }: DeliveryServiceDeps) {
  async function find(teamId: string, id: string): Promise<Delivery> {
    const d = await db.selectFrom('deliveries').selectAll().where('id', '=', id).where('team_id', '=', teamId).executeTakeFirst();
    if (!d) throw notFound('delivery');
    return d;
  }

  /**
   * Starts a new attempt series for a finished delivery, in a workflow of its own: same delivery
   * id, so the same `webhook-id`. Stored first: if Temporal cannot be reached, the reconciler
   * starts the workflow later.
   */
  async function replay(d: Delivery): Promise<{ deliveryId: string; deliveryWorkflowId: string; series: number }> {
    const series = d.series + 1;
    const workflowId = deliveryWorkflowId(d.id, series);
    const updated = await db
      .updateTable('deliveries')
      .set({ status: 'pending', series, series_attempts: 0, delivery_workflow_id: workflowId, next_attempt_at: new Date(), completed_at: null, updated_at: new Date() })
      .where('id', '=', d.id)
      .where('series', '=', d.series)
      .where('status', 'in', TERMINAL)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw new AppError('conflict', 'delivery_in_progress', 'the delivery is being retried already');
    await startDeliveryWorkflow(temporal, config.taskQueue, deliveryRef(d, series), {}, 'pending').catch((err) => {
      log.warn({ err: String(err), deliveryId: d.id }, 're-send stored; its workflow will be started by the reconciler');
    });
    return { deliveryId: d.id, deliveryWorkflowId: workflowId, series };
  }

  async function assertWebhookEnabled(teamId: string, webhookId: string) {
    const w = await db.selectFrom('webhooks').select(['enabled', 'deleted_at']).where('id', '=', webhookId).where('team_id', '=', teamId).executeTakeFirst();
    if (!w || w.deleted_at) throw notFound('webhook');
    if (!w.enabled) throw new AppError('conflict', 'webhook_disabled', 'the webhook is disabled; enable it before re-sending deliveries');
  }

  /**
   * Runs `work` once per (team, scope, Idempotency-Key). A repeated key returns the first
   * answer; a concurrent one (a double click) waits for it.
   */
  async function idempotent<T>(teamId: string, scope: string, key: string | undefined, work: () => Promise<T>): Promise<T> {
    if (!key) return work();
    const claimed = await db
      .insertInto('request_idempotency')
      .values({ team_id: teamId, scope, key, response: null })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    const mine = { team_id: teamId, scope, key };
    if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 1) {
      try {
        const result = await work();
        await db.updateTable('request_idempotency').set({ response: JSON.stringify(result) }).where('team_id', '=', mine.team_id).where('scope', '=', scope).where('key', '=', key).execute();
        return result;
      } catch (err) {
        // Failed requests are not remembered: the same key may try again.
        await db.deleteFrom('request_idempotency').where('team_id', '=', mine.team_id).where('scope', '=', scope).where('key', '=', key).execute();
        throw err;
      }
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const row = await db.selectFrom('request_idempotency').select('response').where('team_id', '=', teamId).where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
      if (!row) return idempotent(teamId, scope, key, work); // the first attempt failed and released the key
      if (row.response !== null) return row.response as T;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new AppError('conflict', 'idempotency_in_progress', 'a request with this Idempotency-Key is still being handled');
  }

  return {
    /** A delivery with every attempt and the exact body it sends. */
    async get(teamId: string, id: string): Promise<{ delivery: Delivery; requestBody: string; attempts: DeliveryAttempt[] }> {
      const d = await find(teamId, id);
      const [attempts, event] = await Promise.all([
        db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', id).orderBy('id').execute(),
        db.selectFrom('events').select('payload').where('id', '=', d.event_id).executeTakeFirstOrThrow(),
      ]);
      return { delivery: d, requestBody: event.payload, attempts };
    },

    /**
     * The team's deliveries, newest first, one keyset page at a time. With `webhookId` only that
     * webhook's: it must be one of the team's live webhooks, else not found (a typo or another team's
     * id is not answered with an empty page). Without it every delivery of the team, including
     * those to webhooks deleted since.
     */
    async list(teamId: string, q: DeliveryListQuery) {
      if (q.webhookId !== undefined) {
        const w = await db.selectFrom('webhooks').select('id').where('id', '=', q.webhookId).where('team_id', '=', teamId).where('deleted_at', 'is', null).executeTakeFirst();
        if (!w) throw notFound('webhook');
      }
      const cursor = decodeCursor(q.cursor);
      // An index scan in the page's order: deliveries_webhook_created for one webhook (checked to
      // be the team's above, and a delivery's team is its webhook's), else deliveries_team_created.
      const base = db.selectFrom('deliveries').selectAll().select(cursorTimestamp('created_at').as('cursor_at'));
      let query = q.webhookId !== undefined ? base.where('webhook_id', '=', q.webhookId) : base.where('team_id', '=', teamId);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.eventType) query = query.where('event_type', '=', q.eventType);
      if (q.since) query = query.where('created_at', '>=', q.since);
      if (q.until) query = query.where('created_at', '<', q.until);
      if (cursor) query = query.where(sql<boolean>`(created_at, id) < (${cursor.at}::timestamptz, ${cursor.id})`);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { data: page, nextCursor: rows.length > q.limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null };
    },

    listForEvent(eventId: string): Promise<Delivery[]> {
      return db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).orderBy('webhook_id').execute();
    },

    async retry(teamId: string, id: string, idempotencyKey?: string) {
      return idempotent(teamId, `retry:${id}`, idempotencyKey, async () => {
        const d = await find(teamId, id);
        if (!TERMINAL.includes(d.status)) throw new AppError('conflict', 'delivery_in_progress', `the delivery is ${d.status}; only finished deliveries can be re-sent`);
        await assertWebhookEnabled(teamId, d.webhook_id);
        return replay(d);
      });
    },

    /** Re-sends every failed delivery of a webhook created in [since, until). */
    async recover(teamId: string, webhookId: string, window: { since: Date; until?: Date }, idempotencyKey?: string) {
      return idempotent(teamId, `recover:${webhookId}`, idempotencyKey, async () => {
        await assertWebhookEnabled(teamId, webhookId);
        let query = db.selectFrom('deliveries').selectAll().where('webhook_id', '=', webhookId).where('status', '=', 'failed').where('created_at', '>=', window.since);
        if (window.until) query = query.where('created_at', '<', window.until);
        const failed = await query.orderBy('created_at').execute();
        let started = 0;
        for (const d of failed) {
          try {
            await replay(d);
            started++;
          } catch (err) {
            if (!(err instanceof AppError && err.code === 'delivery_in_progress')) throw err;
          }
        }
        return { started, deliveryIds: failed.map((d) => d.id) };
      });
    },
  };
}
export type DeliveryService = ReturnType<typeof createDeliveryService>;
