import { sql } from 'kysely';
import { disabledNoticeEmail } from '../domain/emails';
import type { FailureNote } from '../domain/attemptResult';
import { countAutoDisabled, countEmail } from '../metrics/worker';
import type { ActivityDeps } from './deps';
import { cancelDeliveryWorkflows, cancelQueuedDeliveries } from '../services/queuedDeliveries';

export function createHealthActivities({ db, config, mailer, temporal }: ActivityDeps) {
  /** Mirrors the health workflow's counters into the webhook row, for the API and dashboard. */
  async function recordHealth(input: { webhookId: string; consecutiveFailures: number; recentFailures: FailureNote[] }): Promise<void> {
    const last = input.recentFailures[input.recentFailures.length - 1];
    await db
      .updateTable('webhooks')
      .set({
        consecutive_failures: input.consecutiveFailures,
        last_failure: JSON.stringify(input.recentFailures),
        ...(last ? { last_failure_at: last.at } : {}),
      })
      .where('id', '=', input.webhookId)
      .execute();
  }

  /** Disables the webhook (if still enabled) and cancels what it still had queued. */
  async function disableWebhookForFailures(input: { webhookId: string; reason: 'consecutive_failures' | 'endpoint_gone' }): Promise<{ disabledAt: string }> {
    const { disabledAt, queued } = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('webhooks')
        .set({ enabled: false, disabled_reason: input.reason, disabled_at: new Date(), updated_at: new Date() })
        .where('id', '=', input.webhookId)
        .where('enabled', '=', true)
        .returning('disabled_at')
        .executeTakeFirst();
      const queued = await cancelQueuedDeliveries(trx, input.webhookId);
      if (updated?.disabled_at) countAutoDisabled(input.reason);
      if (updated?.disabled_at) return { disabledAt: updated.disabled_at.toISOString(), queued };
      const current = await trx.selectFrom('webhooks').select('disabled_at').where('id', '=', input.webhookId).executeTakeFirst();
      return { disabledAt: (current?.disabled_at ?? new Date()).toISOString(), queued };
    });
    await cancelDeliveryWorkflows(temporal, queued);
    return { disabledAt };
  }

  /**
   * Emails the team that a webhook was disabled. The message goes to the outbox first (one
   * per disable, so a retried activity never sends twice once it has been sent).
   */
  async function notifyWebhookDisabled(input: {
    webhookId: string;
    reason: 'consecutive_failures' | 'endpoint_gone';
    disabledAt: string;
    failures: FailureNote[];
    consecutiveFailures: number;
  }): Promise<'sent' | 'logged' | 'already_sent'> {
    const row = await db
      .selectFrom('webhooks as w')
      .innerJoin('teams as t', 't.id', 'w.team_id')
      .select(['w.name', 'w.url', 'w.team_id', 't.name as team_name', 't.notification_email'])
      .where('w.id', '=', input.webhookId)
      .executeTakeFirstOrThrow();
    const dedupeKey = `disabled:${input.webhookId}:${input.disabledAt}`;
    const email = disabledNoticeEmail({
      teamName: row.team_name,
      webhookName: row.name,
      webhookId: input.webhookId,
      url: row.url,
      reason: input.reason,
      consecutiveFailures: input.consecutiveFailures,
      disabledAt: input.disabledAt,
      failures: input.failures,
      dashboardUrl: `${config.publicUrl}/#/webhooks/${input.webhookId}`,
      apiUrl: config.publicUrl,
    });
    await db
      .insertInto('email_outbox')
      .values({ team_id: row.team_id, dedupe_key: dedupeKey, to_address: row.notification_email, subject: email.subject, body: email.text })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .execute();
    const outbox = await db.selectFrom('email_outbox').select(['id', 'status']).where('dedupe_key', '=', dedupeKey).executeTakeFirstOrThrow();
    if (outbox.status === 'sent' || outbox.status === 'logged') return 'already_sent';
    try {
      const how = await mailer.send({ to: row.notification_email, subject: email.subject, text: email.text });
      await db.updateTable('email_outbox').set({ status: how, sent_at: new Date(), error: null }).where('id', '=', outbox.id).execute();
      countEmail(how);
      return how;
    } catch (err) {
      countEmail('failed');
      await db.updateTable('email_outbox').set({ status: 'failed', error: sql`${String(err)}` }).where('id', '=', outbox.id).execute();
      throw err;
    }
  }

  return { recordHealth, disableWebhookForFailures, notifyWebhookDisabled };
}
