import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Webhook } from '../db/schema';
import { AppError, notFound } from '../domain/errors';
import type { RetryScheduleSetting } from '../domain/retrySchedule';
import { openSecret, sealSecret, SecretUnavailableError, type KeyRing } from '../domain/secretBox';
import { generateSecret, secretProblem } from '../domain/secrets';
import type { AddressPolicy } from '../domain/addressPolicy';
import { newId } from '../ids';
import type { Catalog } from './catalog';
import { signalHealth, signalHealthDeleted } from './healthSignals';
import { cursorTimestamp, decodeCursor, encodeCursor } from './pagination';
import { webhookUrlProblem } from './webhookUrl';
import { cancelDeliveryWorkflows, cancelQueuedDeliveries } from './queuedDeliveries';

export interface WebhookServiceDeps {
  db: Db;
  config: Config;
  temporal: Client;
  catalog: Catalog;
  policy: AddressPolicy;
  /** Secrets are stored sealed under these keys (src/domain/secretBox.ts). */
  secretKeys: KeyRing;
}

export interface WebhookInput {
  name: string;
  url: string;
  events: string[];
  secret?: string;
  retrySchedule?: RetryScheduleSetting;
  /** Requests per second at most, or null for none. */
  rateLimit?: number | null;
  enabled?: boolean;
}

export function createWebhookService(deps: WebhookServiceDeps) {
  const { db, config, temporal, catalog, policy, secretKeys } = deps;

  async function validate(input: Partial<WebhookInput>): Promise<void> {
    if (input.url !== undefined) {
      const problem = await webhookUrlProblem(input.url, policy);
      if (problem) throw new AppError('invalid', 'invalid_url', `url ${problem}`, [{ path: 'url', message: problem }]);
    }
    if (input.events !== undefined) {
      const unknown = await catalog.unknownSubscriptions(input.events);
      if (unknown.length) {
        throw new AppError('invalid', 'unknown_event_types', `unknown event types: ${unknown.join(', ')}`, {
          unknown,
          hint: 'GET /v1/webhooks/test/events lists the valid ids; use * for all events or <category>.* for a category',
        });
      }
    }
    if (input.secret !== undefined) {
      const problem = secretProblem(input.secret);
      if (problem) throw new AppError('invalid', 'weak_secret', `secret ${problem}`, [{ path: 'secret', message: problem }]);
    }
  }

  async function find(teamId: string, id: string): Promise<Webhook> {
    const w = await db.selectFrom('webhooks').selectAll().where('id', '=', id).where('team_id', '=', teamId).where('deleted_at', 'is', null).executeTakeFirst();
    if (!w) throw notFound('webhook');
    return w;
  }

  function nameTaken(err: unknown): boolean {
    return (err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'webhooks_team_name_live';
  }

  async function startHealth(w: Webhook): Promise<void> {
    // Best effort: the first delivery outcome signal-with-starts it anyway.
    await signalHealth(temporal, config, { id: w.id, teamId: w.team_id }, { signal: w.enabled ? 'enabled' : 'disabledManually' }).catch(() => undefined);
  }

  return {
    find,

    async create(teamId: string, input: WebhookInput): Promise<{ webhook: Webhook; secret: string }> {
      await validate(input);
      const secret = input.secret ?? generateSecret();
      const enabled = input.enabled ?? true;
      const id = newId('wh');
      try {
        const w = await db
          .insertInto('webhooks')
          .values({
            id,
            team_id: teamId,
            name: input.name,
            url: input.url,
            secret: sealSecret(secretKeys, id, secret),
            events: [...new Set(input.events)],
            retry_schedule: JSON.stringify(input.retrySchedule ?? 'exponential'),
            rate_limit: input.rateLimit ?? null,
            enabled,
            disabled_reason: enabled ? null : 'manual',
            disabled_at: enabled ? null : new Date(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await startHealth(w);
        return { webhook: w, secret };
      } catch (err) {
        if (nameTaken(err)) throw new AppError('conflict', 'name_taken', `a webhook named "${input.name}" already exists`);
        throw err;
      }
    },

    async list(teamId: string, q: { limit: number; cursor?: string; enabled?: boolean }) {
      const cursor = decodeCursor(q.cursor);
      let query = db.selectFrom('webhooks').selectAll().select(cursorTimestamp('created_at').as('cursor_at')).where('team_id', '=', teamId).where('deleted_at', 'is', null);
      if (q.enabled !== undefined) query = query.where('enabled', '=', q.enabled);
      if (cursor) query = query.where(sql<boolean>`(created_at, id) > (${cursor.at}::timestamptz, ${cursor.id})`);
      const rows = await query.orderBy('created_at').orderBy('id').limit(q.limit + 1).execute();
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { data: page, nextCursor: rows.length > q.limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null };
    },

    async update(teamId: string, id: string, input: Partial<Omit<WebhookInput, 'enabled'>>): Promise<Webhook> {
      await find(teamId, id);
      await validate(input);
      try {
        const w = await db
          .updateTable('webhooks')
          .set({
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.url !== undefined ? { url: input.url } : {}),
            ...(input.events !== undefined ? { events: [...new Set(input.events)] } : {}),
            ...(input.secret !== undefined ? { secret: sealSecret(secretKeys, id, input.secret), previous_secret: null, previous_secret_expires_at: null } : {}),
            ...(input.retrySchedule !== undefined ? { retry_schedule: JSON.stringify(input.retrySchedule) } : {}),
            ...(input.rateLimit !== undefined ? { rate_limit: input.rateLimit } : {}),
            updated_at: new Date(),
          })
          .where('id', '=', id)
          .where('team_id', '=', teamId)
          .returningAll()
          .executeTakeFirstOrThrow();
        return w;
      } catch (err) {
        if (nameTaken(err)) throw new AppError('conflict', 'name_taken', `a webhook named "${input.name}" already exists`);
        throw err;
      }
    },

    /** Deleted webhooks get no further calls, including retries already scheduled. */
    async remove(teamId: string, id: string): Promise<void> {
      await find(teamId, id);
      const queued = await db.transaction().execute(async (trx) => {
        await trx.updateTable('webhooks').set({ deleted_at: new Date(), enabled: false, updated_at: new Date() }).where('id', '=', id).execute();
        return cancelQueuedDeliveries(trx, id);
      });
      await signalHealthDeleted(temporal, id).catch(() => undefined);
      await cancelDeliveryWorkflows(temporal, queued);
    },

    /** Re-enabling resets failure tracking, in the row and in the health workflow. */
    async enable(teamId: string, id: string): Promise<Webhook> {
      await find(teamId, id);
      const w = await db
        .updateTable('webhooks')
        .set({ enabled: true, disabled_reason: null, disabled_at: null, consecutive_failures: 0, last_failure: null, updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await signalHealth(temporal, config, { id, teamId }, { signal: 'enabled' });
      return w;
    },

    async disable(teamId: string, id: string): Promise<Webhook> {
      const current = await find(teamId, id);
      if (!current.enabled) return current;
      const { row: w, queued } = await db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('webhooks')
          .set({ enabled: false, disabled_reason: 'manual', disabled_at: new Date(), updated_at: new Date() })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { row, queued: await cancelQueuedDeliveries(trx, id) };
      });
      await signalHealth(temporal, config, { id, teamId }, { signal: 'disabledManually' });
      await cancelDeliveryWorkflows(temporal, queued);
      return w;
    },

    /**
     * New secret now; the old one keeps signing (second v1 entry) until the grace period ends.
     * An old secret no configured key opens (its key was lost) cannot sign anything: it is
     * dropped, so rotating is how an owner recovers a webhook after a lost key.
     */
    async rotateSecret(teamId: string, id: string): Promise<{ secret: string; previousSecretExpiresAt: string | null }> {
      const current = await find(teamId, id);
      const secret = generateSecret();
      const expires = new Date(Date.now() + config.secretRotationGraceMs);
      let previous: string | null;
      try {
        previous = sealSecret(secretKeys, id, openSecret(secretKeys, id, current.secret));
      } catch (err) {
        if (!(err instanceof SecretUnavailableError)) throw err;
        previous = null;
      }
      await db
        .updateTable('webhooks')
        .set({ secret: sealSecret(secretKeys, id, secret), previous_secret: previous, previous_secret_expires_at: previous ? expires : null, updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      return { secret, previousSecretExpiresAt: previous ? expires.toISOString() : null };
    },
  };
}
export type WebhookService = ReturnType<typeof createWebhookService>;
