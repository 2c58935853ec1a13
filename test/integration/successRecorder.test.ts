import { sql } from 'kysely';
import { createSuccessRecorder, type SuccessfulAttempt } from '../../src/delivery/successRecorder';
import { isTransientDatabaseError } from '../../src/db/errors';
import { newId } from '../../src/ids';
import { createWebhook, postEvent, waitForDelivery } from '../helpers/fixtures';
import { insertWebhooks, storeEvent } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

// Successes are written in groups (one statement for all that arrive while a write is in
// flight). A re-send of a charged delivery must not be charged again, and one bad row must not
// fail the others of its group.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

async function deliveriesFor(teamId: string, webhookId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const eventId = await storeEvent(stack, teamId, 'message.sent', { i });
    const id = newId('msg');
    await stack.db
      .insertInto('deliveries')
      .values({ id, team_id: teamId, event_id: eventId, webhook_id: webhookId, event_type: 'message.sent', dispatch_workflow_id: 'dispatch-test', next_attempt_at: new Date() })
      .execute();
    ids.push(id);
  }
  return ids;
}

function success(teamId: string, webhookId: string, deliveryId: string, series = 1, attemptNumber = 1): SuccessfulAttempt {
  return {
    webhookId,
    teamId,
    charge: true,
    attempt: { delivery_id: deliveryId, series, attempt_number: attemptNumber, started_at: new Date(), duration_ms: 3, status_code: 200, response_body: 'ok', response_truncated: false, error_class: null, error_message: null, succeeded: true },
  };
}

test('a re-send of a charged delivery shares a statement with five first deliveries: it is recorded and free, they are charged once', async () => {
  const team = await stack.createTeam({ credits: 100 });
  const [webhookId] = await insertWebhooks(stack, team.id, 1, 'recorder');
  const [resent, blocker, ...others] = await deliveriesFor(team.id, webhookId!, 7);
  const recorder = createSuccessRecorder(stack.db, 2);

  // Delivered and charged once, then re-sent: series 2, pending again.
  await recorder.record(success(team.id, webhookId!, resent!));
  await stack.db.updateTable('deliveries').set({ status: 'pending', series: 2, series_attempts: 0 }).where('id', '=', resent!).execute();

  // While one write is in flight, the re-send's success and five others arrive: one group.
  const first = recorder.record(success(team.id, webhookId!, blocker!));
  const group = [success(team.id, webhookId!, resent!, 2, 1), ...others.map((id) => success(team.id, webhookId!, id))].map((s) => recorder.record(s));
  await first;
  const recorded = await Promise.all(group);
  expect(recorded.map((r) => r.groupSize)).toEqual([6, 6, 6, 6, 6, 6]);

  const rows = await stack.db.selectFrom('deliveries').select(['id', 'status', 'series', 'charged_at']).where('webhook_id', '=', webhookId!).execute();
  expect(rows.every((r) => r.status === 'succeeded' && r.charged_at !== null)).toBe(true);
  expect(rows.find((r) => r.id === resent)!.series).toBe(2);
  const ledger = await stack.db.selectFrom('credit_ledger').select(['delivery_id', 'balance_after']).where('team_id', '=', team.id).where('reason', '=', 'delivery').orderBy('id').execute();
  // Seven deliveries, seven charges: the re-send added none.
  expect(ledger.map((l) => l.delivery_id).sort()).toEqual([resent, blocker, ...others].sort());
  expect(ledger.map((l) => Number(l.balance_after))).toEqual([98, 96, 94, 92, 90, 88, 86]);
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(86);
  const attempts = await stack.db.selectFrom('delivery_attempts').select(['series']).where('delivery_id', '=', resent!).orderBy('id').execute();
  expect(attempts.map((a) => a.series)).toEqual([1, 2]);
});

test('one row the database refuses fails only itself: the rest of its group is written', async () => {
  const team = await stack.createTeam({ credits: 100 });
  const [webhookId] = await insertWebhooks(stack, team.id, 1, 'bad-row');
  const [blocker, ...good] = await deliveriesFor(team.id, webhookId!, 4);
  const recorder = createSuccessRecorder(stack.db, 2);

  const first = recorder.record(success(team.id, webhookId!, blocker!));
  // An attempt of a delivery that does not exist: its row violates a foreign key.
  const bad = recorder.record(success(team.id, webhookId!, 'msg_does_not_exist'));
  const rest = good.map((id) => recorder.record(success(team.id, webhookId!, id)));
  await first;
  const err = await bad.then(() => undefined, (e: unknown) => e);
  expect((err as { code?: string }).code).toBe('23503');
  expect(isTransientDatabaseError(err)).toBe(false);
  expect((await Promise.all(rest)).map((r) => r.groupSize)).toEqual([4, 4, 4]);
  const done = await stack.db.selectFrom('deliveries').select('id').where('webhook_id', '=', webhookId!).where('status', '=', 'succeeded').execute();
  expect(done).toHaveLength(4);
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(92);
});

test('an attempt whose success the database refuses ends as a visible failed attempt, POSTed once, not in a loop', async () => {
  const team = await stack.createTeam({ credits: 100 });
  const hook = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/refused` });
  // The database refuses to log a successful attempt of this webhook (a stand-in for any
  // constraint or data error that retrying cannot fix).
  await sql`
    create or replace function refuse_test_success() returns trigger language plpgsql as $$
    begin
      if new.succeeded and exists (select 1 from deliveries d where d.id = new.delivery_id and d.webhook_id = ${sql.lit(hook.id)}) then
        raise exception 'refused by the test';
      end if;
      return new;
    end $$
  `.execute(stack.db);
  await sql`create trigger refuse_test_success before insert on delivery_attempts for each row execute function refuse_test_success()`.execute(stack.db);
  try {
    const e = await postEvent(stack, team.apiKey, 'message.sent');
    const d = await waitForDelivery(stack, team.apiKey, e.id, ['failed']);
    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({ succeeded: false, statusCode: 200, errorClass: 'internal_error' });
    expect(d.attempts[0].errorMessage).toContain('refused by the test');
    // The dispatch that made the attempt has finished: nothing will POST it again.
    expect(await stack.client.workflow.getHandle(d.dispatchWorkflowId).result()).toEqual({ deliveries: 1 });
    expect(stack.receiver.at('/refused')).toHaveLength(1);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(100);
    // Not the endpoint's fault: no failure is reported to its health.
    expect((await stack.call('GET', `/v1/webhooks/${hook.id}`, { key: team.apiKey })).body.consecutiveFailures).toBe(0);
  } finally {
    await sql`drop trigger if exists refuse_test_success on delivery_attempts`.execute(stack.db);
  }
});
