import pino from 'pino';
import { createDispatchBatcher } from '../../src/services/dispatchBatcher';
import { newId } from '../../src/ids';
import { dispatchEvents } from '../../src/workflows/dispatchEvents';
import { insertWebhooks, storeEvent } from '../helpers/rows';
import { startStack, TEST_ADMIN_KEY, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

// How events reach their endpoints: the API gathers ingested events into batches; one
// dispatchEvents workflow per batch plans the deliveries and makes the first attempts, and a
// delivery gets a workflow of its own when it must wait or has failed. With
// HOOKFERRY_DELIVERY_WORKFLOWS=every (decided by the worker) every delivery gets its own
// workflow from the first attempt. Each behaviour below holds in both settings.

describe.each(['as-needed', 'every'] as const)('HOOKFERRY_DELIVERY_WORKFLOWS=%s', (setting) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { HOOKFERRY_DELIVERY_WORKFLOWS: setting } });
  });
  afterAll(async () => stack?.stop());

  async function succeeded(eventIds: string[]): Promise<number> {
    const row = await stack.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('event_id', 'in', eventIds).where('status', '=', 'succeeded').executeTakeFirstOrThrow();
    return Number(row.n);
  }

  test('events posted together are each claimed by one dispatch workflow and delivered once, the delivery naming its dispatch', async () => {
    const team = await stack.createTeam({ credits: 1_000 });
    await insertWebhooks(stack, team.id, 1, 'together');
    const posted = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'campaign.completed', data: { n: i } } })),
    );
    const ids = posted.map((r) => {
      expect(r.status).toBe(202);
      return r.body.id as string;
    });
    await waitFor(async () => (await succeeded(ids)) === ids.length, { timeoutMs: 60_000, what: 'all delivered' });
    expect(stack.receiver.at('/together/')).toHaveLength(ids.length);

    const claims = new Map((await stack.db.selectFrom('events').select(['id', 'dispatch_workflow_id']).where('id', 'in', ids).execute()).map((e) => [e.id, e.dispatch_workflow_id]));
    const deliveries = await stack.db.selectFrom('deliveries').select(['event_id', 'dispatch_workflow_id', 'delivery_workflow_id']).where('event_id', 'in', ids).execute();
    for (const d of deliveries) {
      expect(d.dispatch_workflow_id).toMatch(/^dispatch-dsp_/);
      expect(d.dispatch_workflow_id).toBe(claims.get(d.event_id));
      // Succeeded at the first attempt: a workflow of its own only when every delivery gets one.
      if (setting === 'every') expect(d.delivery_workflow_id).toMatch(/^deliver-msg_.*-1$/);
      else expect(d.delivery_workflow_id).toBeNull();
    }
  });

  test('a batch larger than a page is planned page by page with continue-as-new, every delivery once', async () => {
    const team = await stack.createTeam({ credits: 10_000 });
    await insertWebhooks(stack, team.id, 45, `paged-${setting}`);
    const events = [await storeEvent(stack, team.id), await storeEvent(stack, team.id)];
    const workflowId = `dispatch-test-${newId('dsp')}`;
    const handle = await stack.client.workflow.start(dispatchEvents, { workflowId, taskQueue: stack.config.taskQueue, args: [{ eventIds: events, pageSize: 40 }] });
    expect(await handle.result()).toEqual({ deliveries: 90 });
    await waitFor(async () => (await succeeded(events)) === 90, { timeoutMs: 60_000, what: '90 deliveries' });

    const paths = stack.receiver.requests.filter((r) => r.path.startsWith(`/paged-${setting}/`)).map((r) => `${r.path} ${JSON.parse(r.body).id}`);
    expect(paths).toHaveLength(90);
    expect(new Set(paths).size).toBe(90);
    // Visibility catches up with the last run's close a moment after its result.
    const runs = await waitFor(async () => {
      const found: string[] = [];
      for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(w.status.name);
      return found.includes('RUNNING') || found.length < 3 ? undefined : found.sort();
    }, { what: 'the runs closed in visibility' });
    expect(runs).toEqual(['COMPLETED', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW']);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(10_000 - 2 * 90);
    const planned = await stack.db.selectFrom('events').select('planned_at').where('id', 'in', events).execute();
    expect(planned.every((e) => e.planned_at !== null)).toBe(true);
  });

  test('an event handed to two dispatch workflows is claimed, planned and sent by one of them only', async () => {
    const team = await stack.createTeam({ credits: 100 });
    const path = `claimed-${setting}`;
    await insertWebhooks(stack, team.id, 3, path);
    const eventId = await storeEvent(stack, team.id);
    const results = await Promise.all(
      ['a', 'b'].map((n) => stack.client.workflow.execute(dispatchEvents, { workflowId: `dispatch-test-${n}-${eventId}`, taskQueue: stack.config.taskQueue, args: [{ eventIds: [eventId] }] })),
    );
    expect(results.map((r) => r.deliveries).sort()).toEqual([0, 3]);
    await waitFor(async () => (await succeeded([eventId])) === 3, { what: '3 deliveries' });
    expect(stack.receiver.at(`/${path}/`)).toHaveLength(3);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(100 - 2 * 3);
  });

  test('a failed first attempt is retried on the schedule by the delivery\'s own workflow, a child of the dispatch', async () => {
    const team = await stack.createTeam({ credits: 100 });
    const path = `handover-${setting}`;
    await insertWebhooks(stack, team.id, 1, path);
    let calls = 0;
    stack.receiver.respond = (req, res) => {
      if (req.path.startsWith(`/${path}/`) && ++calls === 1) return void res.writeHead(500).end('not yet');
      res.writeHead(200).end();
    };
    try {
      const eventId = await storeEvent(stack, team.id);
      const dispatchId = `dispatch-test-${newId('dsp')}`;
      await stack.client.workflow.start(dispatchEvents, { workflowId: dispatchId, taskQueue: stack.config.taskQueue, args: [{ eventIds: [eventId] }] });
      const delivery = await waitFor(async () => {
        const d = await stack.db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).executeTakeFirst();
        return d?.status === 'succeeded' ? d : undefined;
      }, { what: 'delivery succeeded' });
      const [first, second] = stack.receiver.at(`/${path}/`);
      // The exponential schedule's first delay (1 s) scaled by the test config, with its jitter.
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000 * stack.config.retryDelayScale * 0.8);
      expect(delivery.attempt_count).toBe(2);
      expect(delivery.dispatch_workflow_id).toBe(dispatchId);
      expect(delivery.delivery_workflow_id).toBe(`deliver-${delivery.id}-1`);
      const own = await stack.client.workflow.getHandle(delivery.delivery_workflow_id!).describe();
      expect(own.type).toBe('deliverToEndpoint');
      expect(own.parentExecution?.workflowId).toBe(dispatchId);
      expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(98);
    } finally {
      stack.receiver.respond = (_req, res) => void res.writeHead(200).end();
    }
  });

  test('a delivery that fails for good at its first attempt has its own workflow, found by one Temporal UI query', async () => {
    const team = await stack.createTeam({ credits: 100 });
    const path = `failed-first-${setting}`;
    // No retries: the first attempt is the only one.
    const [webhookId] = await insertWebhooks(stack, team.id, 1, path, { retrySchedule: { delays: [] } });
    stack.receiver.respond = (req, res) => void res.writeHead(req.path.startsWith(`/${path}/`) ? 500 : 200).end();
    try {
      const eventId = await storeEvent(stack, team.id);
      await stack.client.workflow.execute(dispatchEvents, { workflowId: `dispatch-test-${newId('dsp')}`, taskQueue: stack.config.taskQueue, args: [{ eventIds: [eventId] }] });
      const d = await waitFor(async () => {
        const row = await stack.db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).executeTakeFirst();
        return row?.status === 'failed' ? row : undefined;
      }, { what: 'delivery failed' });
      expect(stack.receiver.at(`/${path}/`)).toHaveLength(1);
      expect(await stack.client.workflow.getHandle(d.delivery_workflow_id!).result()).toEqual({ status: 'failed' });
      const query = `WorkflowType = 'deliverToEndpoint' AND WebhookId = '${webhookId}' AND DeliveryStatus = 'failed'`;
      const found = await waitFor(async () => {
        const ids: string[] = [];
        for await (const w of stack.client.workflow.list({ query })) ids.push(w.workflowId);
        return ids.length > 0 ? ids : undefined;
      }, { what: 'the failed delivery in visibility' });
      expect(found).toEqual([d.delivery_workflow_id]);
      const failures = () => stack.db.selectFrom('webhooks').select('consecutive_failures').where('id', '=', webhookId).executeTakeFirstOrThrow();
      await waitFor(async () => (await failures()).consecutive_failures === 1, { what: "the failure counted by the webhook's health" });
    } finally {
      stack.receiver.respond = (_req, res) => void res.writeHead(200).end();
    }
  });

  test('a delivery held for credits waits in its own workflow, and a grant releases it', async () => {
    const team = await stack.createTeam({ credits: 0 });
    const path = `held-${setting}`;
    await insertWebhooks(stack, team.id, 1, path);
    const eventId = await storeEvent(stack, team.id);
    await stack.client.workflow.start(dispatchEvents, { workflowId: `dispatch-test-${newId('dsp')}`, taskQueue: stack.config.taskQueue, args: [{ eventIds: [eventId] }] });
    // Held, and waiting in its own workflow (the one a grant signals). "Not there yet" — no row,
    // not held, no workflow id, or a workflow not started yet — is not yet.
    const workflowId = await waitFor(async () => {
      const d = await stack.db.selectFrom('deliveries').select(['status', 'delivery_workflow_id']).where('event_id', '=', eventId).executeTakeFirst();
      if (d?.status !== 'held' || !d.delivery_workflow_id) return undefined;
      const running = await stack.client.workflow
        .getHandle(d.delivery_workflow_id)
        .describe()
        .then((w) => w.status.name === 'RUNNING', () => false);
      return running ? d.delivery_workflow_id : undefined;
    }, { what: 'held in its own workflow' });
    expect(stack.receiver.at(`/${path}/`)).toHaveLength(0);

    const grant = await stack.call('POST', `/admin/v1/teams/${team.id}/credits`, { key: TEST_ADMIN_KEY, body: { amount: 5 } });
    expect(grant.body).toEqual({ balance: 5, releasedDeliveries: 1 });
    expect(await stack.client.workflow.getHandle(workflowId).result()).toEqual({ status: 'succeeded' });
    expect(stack.receiver.at(`/${path}/`)).toHaveLength(1);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(3);
  });
});

describe('batching and group commit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  test('events handed to the batcher within one window share one dispatch workflow', async () => {
    const team = await stack.createTeam({ credits: 100 });
    await insertWebhooks(stack, team.id, 1, 'window');
    const events = await Promise.all(Array.from({ length: 5 }, () => storeEvent(stack, team.id)));
    const batcher = createDispatchBatcher({ db: stack.db, config: { ...stack.config, dispatchWindowMs: 60_000 }, temporal: stack.client, log: pino({ level: 'silent' }) });
    // All five are queued before the window's timer can fire: one batch, however busy the machine.
    const workflowIds = await Promise.all(events.map((id) => batcher.dispatch(id)));
    expect(new Set(workflowIds).size).toBe(1);
    await waitFor(async () => {
      const n = await stack.db.selectFrom('deliveries').select('id').where('event_id', 'in', events).where('status', '=', 'succeeded').execute();
      return n.length === 5;
    }, { what: 'the batch delivered' });
    const claims = await stack.db.selectFrom('events').select('dispatch_workflow_id').where('id', 'in', events).execute();
    expect(claims.map((c) => c.dispatch_workflow_id)).toEqual(Array(5).fill(workflowIds[0]));
  });

  test('successes recorded together (group commit) charge each delivery once and keep the ledger a running balance', async () => {
    const team = await stack.createTeam({ credits: 1_000 });
    await insertWebhooks(stack, team.id, 60, 'grouped');
    const eventId = await storeEvent(stack, team.id);
    // Sixty attempts in flight at once: their successes reach the recorder together.
    await stack.client.workflow.execute(dispatchEvents, { workflowId: `dispatch-test-group-${eventId}`, taskQueue: stack.config.taskQueue, args: [{ eventIds: [eventId] }] });
    const done = await stack.db.selectFrom('deliveries').select('id').where('event_id', '=', eventId).where('status', '=', 'succeeded').execute();
    expect(done).toHaveLength(60);

    const ledger = await stack.db.selectFrom('credit_ledger').selectAll().where('team_id', '=', team.id).where('reason', '=', 'delivery').orderBy('id').execute();
    expect(ledger).toHaveLength(60);
    expect(new Set(ledger.map((l) => l.delivery_id)).size).toBe(60);
    // In ledger order each entry is 2 credits below the one before, ending at the balance.
    expect(ledger.map((l) => Number(l.balance_after))).toEqual(Array.from({ length: 60 }, (_, i) => 1_000 - 2 * (i + 1)));
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(1_000 - 120);
    const attempts = await stack.db
      .selectFrom('delivery_attempts as a')
      .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('d.event_id', '=', eventId)
      .where('a.succeeded', '=', true)
      .executeTakeFirstOrThrow();
    expect(Number(attempts.n)).toBe(60);
  });
});
