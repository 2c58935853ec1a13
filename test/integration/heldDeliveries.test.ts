import type { temporal } from '@temporalio/proto';
import { sql } from 'kysely';
import { WAITING_MAX_HISTORY_EVENTS } from '../../src/workflows/deliverToEndpoint';
import { creditsGrantedSignal } from '../../src/workflows/signals';
import { createWebhook, postEvent } from '../helpers/fixtures';
import { startStack, TEST_ADMIN_KEY, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

// A team out of credits: its deliveries wait, held, in their own workflows until a grant. The
// wait must lose no grant and keep Temporal's history bounded however long it lasts. In both
// HOOKFERRY_DELIVERY_WORKFLOWS settings.
jest.setTimeout(300_000);

describe.each(['as-needed', 'every'] as const)('HOOKFERRY_DELIVERY_WORKFLOWS=%s', (setting) => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  /** Posts an event for a team without credits; resolves once it is held in its own running workflow. */
  async function heldDelivery(path: string) {
    const team = await stack.createTeam({ credits: 0 });
    await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/${path}` });
    const e = await postEvent(stack, team.apiKey, 'message.sent');
    const d = await waitFor(async () => {
      const row = await stack.db.selectFrom('deliveries').selectAll().where('event_id', '=', e.id).executeTakeFirst();
      if (row?.status !== 'held' || !row.delivery_workflow_id) return undefined;
      const running = await stack.client.workflow.getHandle(row.delivery_workflow_id).describe().then((w) => w.status.name === 'RUNNING', () => false);
      return running ? row : undefined;
    }, { what: 'the delivery held in its own workflow' });
    return { team, delivery: d, workflowId: d.delivery_workflow_id! };
  }

  test('history stays bounded over hundreds of credit re-checks: the workflow continues as new', async () => {
    stack = await startStack({ env: { HOOKFERRY_DELIVERY_WORKFLOWS: setting, HOOKFERRY_HELD_RECHECK_MS: '5' } });
    const { team, workflowId } = await heldDelivery(`held-long-${setting}`);

    // Each re-check is a timer and one local activity (a marker in history): a run holds about
    // WAITING_MAX_HISTORY_EVENTS / 6 of them. Wait for four runs (three full), then count them all.
    const runCount = async () => {
      let n = 0;
      for await (const _ of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
      return n;
    };
    await waitFor(async () => (await runCount()) >= 4, { timeoutMs: 240_000, intervalMs: 1_000, what: 'four runs of re-checks' });
    const histories: temporal.api.history.v1.IHistoryEvent[][] = [];
    for await (const h of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }).intoHistories()) histories.push((h.history as temporal.api.history.v1.IHistory).events ?? []);
    const rechecks = histories.flat().filter((e) => e.markerRecordedEventAttributes).length;
    expect(rechecks).toBeGreaterThanOrEqual(200);
    // Flat, not growing: no run's history passes the bound (plus the events of its last re-check).
    for (const events of histories) expect(events.length).toBeLessThanOrEqual(WAITING_MAX_HISTORY_EVENTS + 20);
    // One search-attribute update per run, not one per re-check.
    for (const events of histories) expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length).toBeLessThanOrEqual(1);

    // And it still delivers once credits arrive.
    await stack.call('POST', `/admin/v1/teams/${team.id}/credits`, { key: TEST_ADMIN_KEY, body: { amount: 2 } });
    expect(await stack.client.workflow.getHandle(workflowId).result()).toEqual({ status: 'succeeded' });
    expect(stack.receiver.at(`/held-long-${setting}`)).toHaveLength(1);
  });

  test('a grant that arrives while a held attempt is still running is not lost', async () => {
    // A re-check only every 10 minutes: if the grant were lost, the delivery would wait that long.
    stack = await startStack({ env: { HOOKFERRY_DELIVERY_WORKFLOWS: setting, HOOKFERRY_HELD_RECHECK_MS: '600000' } });
    const { team, delivery, workflowId } = await heldDelivery(`held-grant-${setting}`);

    // Hold the delivery's row, wake the workflow (a grant signal with no credits behind it), and
    // its attempt blocks marking the delivery held again: an attempt is now running.
    await stack.db.transaction().execute(async (trx) => {
      await trx.selectFrom('deliveries').select('id').where('id', '=', delivery.id).forUpdate().execute();
      await stack.client.workflow.getHandle(workflowId).signal(creditsGrantedSignal);
      await waitFor(async () => {
        const { rows } = await sql<{ n: string }>`
          select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'update "deliveries"%'
        `.execute(stack.db);
        return Number(rows[0]!.n) > 0;
      }, { what: 'the attempt waiting on the row' });
      // The real grant, with its signal, lands while that attempt runs.
      const grant = await stack.call('POST', `/admin/v1/teams/${team.id}/credits`, { key: TEST_ADMIN_KEY, body: { amount: 2 } });
      expect(grant.body).toEqual({ balance: 2, releasedDeliveries: 1 });
    });
    // The attempt ends "held" (it read the balance before the grant); the grant wakes it again.
    expect(await stack.client.workflow.getHandle(workflowId).result()).toEqual({ status: 'succeeded' });
    expect(stack.receiver.at(`/held-grant-${setting}`)).toHaveLength(1);
  });
});
