import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { EventRow } from '../db/schema';
import { subscriptionPatternsFor } from '../domain/eventMatching';
import { newId } from '../ids';
import { deliveryWorkflowId } from '../temporal/names';
import type { DeliveryPlanPage, DispatchCursor, DispatchPage } from '../workflows/types';

type PlannableEvent = Pick<EventRow, 'id' | 'team_id' | 'type' | 'test' | 'target_webhook_id'>;

interface PlannedRow {
  deliveryId: string;
  webhookId: string;
  workflowId: string;
  test: boolean;
  teamId: string;
  eventType: string;
}

/**
 * Creates (idempotently) the delivery rows of one page of matching, enabled webhooks of a
 * list of events, in (event order, webhook id) order, and returns them with a cursor when
 * more may follow. Three statements however many events: match, insert, and nothing else.
 *
 * `workflowId` names the workflow that will make each delivery's first attempt; a row that
 * already exists unattempted (planned earlier, e.g. by the test-send API) is re-stamped with it.
 */
async function planPage(
  db: Db,
  input: { events: PlannableEvent[]; cursor?: DispatchCursor; limit: number; workflowId: (eventId: string, webhookId: string) => string },
): Promise<{ rows: PlannedRow[]; nextCursor?: DispatchCursor }> {
  const start = input.cursor?.eventIndex ?? 0;
  const events = input.events.slice(start);
  if (events.length === 0) return { rows: [] };

  // One row per event with its position and the subscription patterns it matches.
  const wanted = sql.join(
    events.map((e, i) => sql`(${start + i}::int, ${e.id}::text, ${e.team_id}::text, ${sql.val(subscriptionPatternsFor(e.type))}::text[], ${e.target_webhook_id}::text)`),
  );
  const after = input.cursor ? sql`and (ev.ord, w.id) > (${input.cursor.eventIndex}::int, ${input.cursor.afterWebhookId}::text)` : sql``;
  const { rows: matches } = await sql<{ ord: number; event_id: string; webhook_id: string }>`
    select ev.ord, ev.event_id, w.id as webhook_id
    from (values ${wanted}) as ev (ord, event_id, team_id, patterns, target_webhook_id)
    join webhooks w on w.team_id = ev.team_id
      and w.enabled and w.deleted_at is null
      and w.events && ev.patterns
      and (ev.target_webhook_id is null or w.id = ev.target_webhook_id)
    where true ${after}
    order by ev.ord, w.id
    limit ${input.limit}
  `.execute(db);
  if (matches.length === 0) return { rows: [] };

  const byId = new Map(events.map((e) => [e.id, e]));
  const inserted = await db
    .insertInto('deliveries')
    .values(
      matches.map((m) => {
        const e = byId.get(m.event_id)!;
        return {
          id: newId('msg'),
          team_id: e.team_id,
          event_id: e.id,
          webhook_id: m.webhook_id,
          event_type: e.type,
          test: e.test,
          workflow_id: input.workflowId(e.id, m.webhook_id),
        };
      }),
    )
    // DO UPDATE (not DO NOTHING) so existing rows come back too.
    .onConflict((oc) =>
      oc.columns(['event_id', 'webhook_id']).doUpdateSet({
        workflow_id: sql`case when deliveries.attempt_count = 0 and deliveries.series = 1 then excluded.workflow_id else deliveries.workflow_id end`,
      }),
    )
    .returning(['id', 'event_id', 'webhook_id', 'workflow_id', 'test', 'team_id', 'event_type'])
    .execute();
  const order = new Map(matches.map((m, i) => [`${m.event_id} ${m.webhook_id}`, i]));
  inserted.sort((a, b) => order.get(`${a.event_id} ${a.webhook_id}`)! - order.get(`${b.event_id} ${b.webhook_id}`)!);

  const last = matches[matches.length - 1];
  return {
    rows: inserted.map((r) => ({ deliveryId: r.id, webhookId: r.webhook_id, workflowId: r.workflow_id, test: r.test, teamId: r.team_id, eventType: r.event_type })),
    nextCursor: matches.length === input.limit ? { eventIndex: last.ord, afterWebhookId: last.webhook_id } : undefined,
  };
}

/**
 * One page of a dispatch workflow's plan. The workflow first claims its events (an event
 * handed to two batches is planned by the one that claims it first; the same workflow may
 * claim again, so a re-run of this call is idempotent), then plans their deliveries.
 */
export async function planDispatchPage(
  db: Db,
  input: { workflowId: string; eventIds: string[]; cursor?: DispatchCursor; limit: number; batchFirstAttempts?: boolean },
): Promise<DispatchPage> {
  const claimed = await db
    .updateTable('events')
    .set({ dispatch_workflow_id: input.workflowId, dispatched_at: sql`coalesce(dispatched_at, now())` })
    .where('id', 'in', input.eventIds)
    .where((eb) => eb.or([eb('dispatch_workflow_id', 'is', null), eb('dispatch_workflow_id', '=', input.workflowId)]))
    .returning(['id', 'team_id', 'type', 'test', 'target_webhook_id'])
    .execute();
  const byId = new Map(claimed.map((e) => [e.id, e]));
  // Events another batch claimed stay in the list as empty slots, so cursors keep their meaning.
  const events = input.eventIds.map((id) => byId.get(id) ?? { id, team_id: '', type: '', test: false, target_webhook_id: null });
  const page = await planPage(db, {
    events,
    cursor: input.cursor,
    limit: input.limit,
    // Who makes the first attempt: this dispatch workflow, or the delivery's own workflow.
    workflowId: input.batchFirstAttempts ? () => input.workflowId : deliveryWorkflowId,
  });
  return { deliveries: page.rows, nextCursor: page.nextCursor };
}

/**
 * One page of the deliveries of a single event, each with its own delivery workflow id.
 * Used by the fan-out workflow of earlier versions and by the test-send API (which answers
 * with the deliveries; the dispatch workflow then finds and re-stamps the same rows).
 */
export async function planDeliveries(db: Db, input: { eventId: string; afterWebhookId?: string; limit: number; workflowId?: string }): Promise<DeliveryPlanPage> {
  const event = await db.selectFrom('events').select(['id', 'team_id', 'type', 'test', 'target_webhook_id']).where('id', '=', input.eventId).executeTakeFirst();
  if (!event) return { deliveries: [] };
  const page = await planPage(db, {
    events: [event],
    cursor: input.afterWebhookId ? { eventIndex: 0, afterWebhookId: input.afterWebhookId } : undefined,
    limit: input.limit,
    workflowId: (eventId, webhookId) => input.workflowId ?? deliveryWorkflowId(eventId, webhookId),
  });
  return {
    deliveries: page.rows.map(({ deliveryId, webhookId, workflowId, test }) => ({ deliveryId, webhookId, workflowId, test })),
    nextCursor: page.nextCursor?.afterWebhookId,
  };
}
