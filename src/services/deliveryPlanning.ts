import { sql, type Kysely } from 'kysely';
import type { Db } from '../db/database';
import type { Database, EventRow } from '../db/schema';
import { subscriptionPatternsFor } from '../domain/eventMatching';
import { newId } from '../ids';
import { deliveryWorkflowId } from '../temporal/names';
import type { DeliveryRef, DeliveryWorkflows, DispatchCursor, DispatchPage } from '../workflows/types';
import { assignDeliveryWorkflows, deliveryRef } from './deliveryWorkflows';

type PlannableEvent = Pick<EventRow, 'id' | 'team_id' | 'type' | 'test' | 'target_webhook_id'>;

/**
 * Creates (idempotently) the delivery rows of one page of matching, enabled webhooks of a list
 * of events, in (event order, webhook id) order, and returns them with a cursor when more may
 * follow; events whose deliveries are all planned are marked so. A few statements per page
 * however many events: match, insert, mark.
 *
 * Rows are stamped with the dispatch workflow that plans them; with `every`, each also gets its
 * own delivery workflow from the start. A row that already exists unattempted (planned earlier
 * by the test-send API) is re-stamped.
 */
async function planPage(
  db: Kysely<Database>,
  input: { events: PlannableEvent[]; cursor?: DispatchCursor; limit: number; dispatchWorkflowId: string; deliveryWorkflows: DeliveryWorkflows },
): Promise<{ rows: DeliveryRef[]; nextCursor?: DispatchCursor }> {
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

  const last = matches[matches.length - 1];
  const nextCursor = last && matches.length === input.limit ? { eventIndex: last.ord, afterWebhookId: last.webhook_id } : undefined;
  // Every event before the cursor's is fully planned (all of them when this is the last page).
  const planned = events.filter((e, i) => e.id !== '' && (!nextCursor || start + i < nextCursor.eventIndex)).map((e) => e.id);
  if (planned.length > 0) await db.updateTable('events').set({ planned_at: new Date() }).where('id', 'in', planned).where('planned_at', 'is', null).execute();
  if (matches.length === 0) return { rows: [] };

  const byId = new Map(events.map((e) => [e.id, e]));
  const now = new Date();
  const every = input.deliveryWorkflows === 'every';
  const inserted = await db
    .insertInto('deliveries')
    .values(
      matches.map((m) => {
        const e = byId.get(m.event_id)!;
        const id = newId('msg');
        return {
          id,
          team_id: e.team_id,
          event_id: e.id,
          webhook_id: m.webhook_id,
          event_type: e.type,
          test: e.test,
          dispatch_workflow_id: input.dispatchWorkflowId,
          delivery_workflow_id: every ? deliveryWorkflowId(id, 1) : null,
          next_attempt_at: now,
        };
      }),
    )
    // DO UPDATE (not DO NOTHING) so existing rows come back too.
    .onConflict((oc) =>
      oc.columns(['event_id', 'webhook_id']).doUpdateSet({
        dispatch_workflow_id: sql`case when deliveries.attempt_count = 0 and deliveries.series = 1 then excluded.dispatch_workflow_id else deliveries.dispatch_workflow_id end`,
      }),
    )
    .returning(['id', 'event_id', 'webhook_id', 'test', 'team_id', 'event_type', 'series', 'attempt_count', 'delivery_workflow_id'])
    .execute();
  if (every) {
    // Rows planned before (by the test-send API) get their own workflow too.
    const unowned = inserted.filter((r) => r.delivery_workflow_id === null && r.attempt_count === 0 && r.series === 1);
    await assignDeliveryWorkflows(db, unowned.map((r) => ({ deliveryId: r.id, series: 1 })));
  }
  const order = new Map(matches.map((m, i) => [`${m.event_id} ${m.webhook_id}`, i]));
  inserted.sort((a, b) => order.get(`${a.event_id} ${a.webhook_id}`)! - order.get(`${b.event_id} ${b.webhook_id}`)!);
  return {
    rows: inserted.map((r) => deliveryRef(r)),
    nextCursor,
  };
}

/**
 * One page of a dispatch workflow's plan. The workflow first claims its events (an event handed
 * to two batches is planned by the one that claims it first; the same workflow may claim again,
 * so a re-run of this call is idempotent), then plans their deliveries.
 */
export async function planDispatchPage(
  db: Db,
  input: { workflowId: string; eventIds: string[]; cursor?: DispatchCursor; limit: number; deliveryWorkflows: DeliveryWorkflows },
): Promise<DispatchPage> {
  const claimed = await db
    .updateTable('events')
    .set({ dispatch_workflow_id: input.workflowId, dispatched_at: sql`coalesce(dispatched_at, now())` })
    .where('id', 'in', input.eventIds)
    .where((eb) => eb.or([eb('dispatch_workflow_id', 'is', null), eb('dispatch_workflow_id', '=', input.workflowId)]))
    .returning(['id', 'team_id', 'type', 'test', 'target_webhook_id'])
    .execute();
  const byId = new Map(claimed.map((e) => [e.id, e]));
  // Events another batch claimed stay in the list as empty slots, so cursors keep their meaning;
  // they match no webhook and are not marked planned here.
  const events = input.eventIds.map((id) => byId.get(id) ?? { id: '', team_id: '', type: '', test: false, target_webhook_id: null });
  const page = await planPage(db, { events, cursor: input.cursor, limit: input.limit, dispatchWorkflowId: input.workflowId, deliveryWorkflows: input.deliveryWorkflows });
  return { deliveries: page.rows, nextCursor: page.nextCursor, deliveryWorkflows: input.deliveryWorkflows };
}

/**
 * Plans every delivery of one stored event for the dispatch workflow named on it (the test-send
 * API, which answers with the deliveries; the dispatch workflow then finds the same rows).
 */
export async function planEventDeliveries(db: Kysely<Database>, event: PlannableEvent & { dispatch_workflow_id: string }, limit: number): Promise<DeliveryRef[]> {
  const page = await planPage(db, { events: [event], limit, dispatchWorkflowId: event.dispatch_workflow_id, deliveryWorkflows: 'as-needed' });
  return page.rows;
}
