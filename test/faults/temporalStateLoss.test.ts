import { createWebhook, postEvent } from '../helpers/fixtures';
import { startPrivateTemporal, type PrivateTemporal } from '../helpers/privateTemporal';
import { startStack, TEST_ADMIN_KEY, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';

// Temporal loses its state (an in-memory dev server, killed and started again empty) while a
// delivery waits for a retry and another is held for credits: their workflows are gone. The
// worker's reconciler finds them overdue with no workflow and starts them again, with their
// schedule intact. In both HOOKFERRY_DELIVERY_WORKFLOWS settings.
jest.setTimeout(180_000);

describe.each(['as-needed', 'every'] as const)('HOOKFERRY_DELIVERY_WORKFLOWS=%s', (setting) => {
  let temporal: PrivateTemporal;
  let stack: Stack;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    temporal = await startPrivateTemporal({ inMemory: true });
    stack = await startStack({ env: { TEMPORAL_ADDRESS: temporal.address }, noWorker: true });
    // Held deliveries re-check every 2 s; the reconciler looks every second at work 2 s overdue.
    worker = await spawnWorker(stack.config, { HOOKFERRY_DELIVERY_WORKFLOWS: setting, HOOKFERRY_HELD_RECHECK_MS: '2000' });
  });
  afterAll(async () => {
    await worker?.kill();
    await stack?.stop();
    await temporal?.destroy();
  });

  const row = (id: string) => stack.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  test('a retry and a hold whose workflows were lost with Temporal\'s state are picked up again and finish', async () => {
    const paying = await stack.createTeam({ credits: 100 });
    const broke = await stack.createTeam({ credits: 0 });
    let failFirst = true;
    stack.receiver.respond = (req, res) => {
      if (req.path === '/lost-retry' && failFirst) {
        failFirst = false;
        return void res.writeHead(500).end();
      }
      res.writeHead(200).end();
    };
    // One retry, 2 min × 0.05 = 6 s after the failed first attempt: long enough to lose it.
    await createWebhook(stack, paying.apiKey, { url: `${stack.receiver.url}/lost-retry`, retrySchedule: { delays: ['2m'] } });
    await createWebhook(stack, broke.apiKey, { url: `${stack.receiver.url}/lost-hold` });
    const retried = await postEvent(stack, paying.apiKey, 'message.sent');
    const held = await postEvent(stack, broke.apiKey, 'message.sent');

    // Both wait in their own workflows.
    const waiting = async (eventId: string, status: string) =>
      waitFor(async () => {
        const d = await stack.db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).executeTakeFirst();
        if (d?.status !== status || !d.delivery_workflow_id) return undefined;
        const running = await stack.client.workflow.getHandle(d.delivery_workflow_id).describe().then((w) => w.status.name === 'RUNNING', () => false);
        return running ? d : undefined;
      }, { what: `${eventId} ${status} in its own workflow` });
    const r = await waiting(retried.id, 'retrying');
    const h = await waiting(held.id, 'held');
    const retryDueAt = r.next_attempt_at!;

    // Temporal loses everything.
    await temporal.kill('SIGKILL');
    await temporal.start();
    await waitFor(async () => stack.client.workflow.getHandle(r.delivery_workflow_id!).describe().then(() => false, (err: Error) => err.name === 'WorkflowNotFoundError'), {
      what: 'the restarted server to answer, without the workflow',
    });
    // Credits arrive while the held delivery's workflow is gone: the grant's signal finds nothing.
    const grant = await stack.call('POST', `/admin/v1/teams/${broke.id}/credits`, { key: TEST_ADMIN_KEY, body: { amount: 10 } });
    expect(grant.status).toBe(200);

    const done = async (id: string) => waitFor(async () => {
      const d = await row(id);
      return d.status === 'succeeded' ? d : undefined;
    }, { timeoutMs: 60_000, what: `${id} to succeed after the state loss` });
    const [retriedDone, heldDone] = await Promise.all([done(r.id), done(h.id)]);

    // The retry kept its schedule: attempt 2 of series 1, not before it was due.
    const attempts = await stack.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', r.id).orderBy('id').execute();
    expect(attempts.map((a) => [a.series, a.attempt_number, a.status_code])).toEqual([[1, 1, 500], [1, 2, 200]]);
    expect(attempts[1]!.started_at.getTime()).toBeGreaterThanOrEqual(retryDueAt.getTime());
    expect(stack.receiver.at('/lost-retry')).toHaveLength(2);
    expect(stack.receiver.at('/lost-hold')).toHaveLength(1);
    // Finished by workflows of the restarted server, under the same idempotent ids.
    for (const d of [retriedDone, heldDone]) {
      expect(d.delivery_workflow_id).toBe(`deliver-${d.id}-1`);
      expect(await stack.client.workflow.getHandle(d.delivery_workflow_id!).result()).toEqual({ status: 'succeeded' });
    }
    expect((await stack.call('GET', '/v1/credits', { key: paying.apiKey })).body.balance).toBe(98);
    expect((await stack.call('GET', '/v1/credits', { key: broke.apiKey })).body.balance).toBe(8);
  });

  test("an event left unplanned by a dispatch workflow lost with Temporal's state is dispatched again", async () => {
    const team = await stack.createTeam({ credits: 100 });
    await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/lost-dispatch` });
    // What Temporal's state loss leaves when it comes between the dispatch's start and its
    // planning: the event names a dispatch workflow that no longer exists and is not planned.
    const e = await postEvent(stack, team.apiKey, 'message.sent');
    await waitFor(() => stack.receiver.at('/lost-dispatch').length === 1, { what: 'the first delivery' });
    await temporal.kill('SIGKILL');
    await temporal.start();
    const [{ id: deliveryId }] = await stack.db.selectFrom('deliveries').select('id').where('event_id', '=', e.id).execute();
    await stack.db.deleteFrom('deliveries').where('id', '=', deliveryId!).execute();
    await stack.db.updateTable('events').set({ planned_at: null }).where('id', '=', e.id).execute();

    const d = await waitFor(async () => {
      const found = await stack.db.selectFrom('deliveries').selectAll().where('event_id', '=', e.id).executeTakeFirst();
      return found?.status === 'succeeded' ? found : undefined;
    }, { timeoutMs: 60_000, what: 'the event re-dispatched and delivered' });
    const event = await stack.db.selectFrom('events').select(['planned_at', 'dispatch_workflow_id']).where('id', '=', e.id).executeTakeFirstOrThrow();
    expect(event.planned_at).not.toBeNull();
    expect(d.dispatch_workflow_id).toBe(event.dispatch_workflow_id);
    expect(stack.receiver.at('/lost-dispatch')).toHaveLength(2);
  });
});
