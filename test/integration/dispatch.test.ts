import { newId } from '../../src/ids';
import { storedWebhookSecrets } from '../../src/services/webhookSecrets';
import { dispatchEvents } from '../../src/workflows/dispatchEvents';
import { startStack, TEST_ADMIN_KEY, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

// How events reach their endpoints: the API gathers ingested events into batches and one
// dispatchEvents workflow per batch plans the deliveries. By default each delivery then runs in
// its own workflow (slice.test.ts); here, with HOOKFERRY_BATCH_FIRST_ATTEMPTS, the dispatch
// workflow makes every first attempt and a delivery gets a workflow of its own only when it
// needs a retry or a hold.

let stack: Stack;
beforeAll(async () => {
  // A wide batching window, so the concurrent requests below are sure to share a batch.
  stack = await startStack({ env: { HOOKFERRY_DISPATCH_WINDOW_MS: '300', HOOKFERRY_BATCH_FIRST_ATTEMPTS: 'true' } });
});
afterAll(async () => stack?.stop());

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

async function addWebhooks(teamId: string, count: number, path: string): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: newId('wh'), team_id: teamId, name: `${path}-${i}`, url: `${stack.receiver.url}/${path}/${i}`,
    secret: SECRET, events: ['*'], retry_schedule: JSON.stringify('exponential'),
  }));
  await stack.db.insertInto('webhooks').values(rows.map((r) => storedWebhookSecrets(stack.secretKeys, r))).execute();
  return rows.map((r) => r.id);
}

async function storeEvent(teamId: string): Promise<string> {
  const id = newId('evt');
  const payload = JSON.stringify({ id, event: 'campaign.completed', teamId, timestamp: new Date().toISOString(), data: {} });
  await stack.db.insertInto('events').values({ id, team_id: teamId, type: 'campaign.completed', payload }).execute();
  return id;
}

async function succeeded(eventIds: string[]): Promise<number> {
  const row = await stack.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('event_id', 'in', eventIds).where('status', '=', 'succeeded').executeTakeFirstOrThrow();
  return Number(row.n);
}

test('events ingested together share one dispatch workflow, and each is delivered once', async () => {
  const team = await stack.createTeam({ credits: 1_000 });
  await addWebhooks(team.id, 1, 'batched');
  // One request first: after a quiet spell an event is dispatched at once, alone.
  const first = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'campaign.completed', data: { n: 0 } } });
  expect(first.status).toBe(202);
  const rest = await Promise.all(
    Array.from({ length: 20 }, (_, i) => stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'campaign.completed', data: { n: i + 1 } } })),
  );
  const ids = [first, ...rest].map((r) => {
    expect(r.status).toBe(202);
    expect(r.body.dispatched).toBe(true);
    return r.body.id as string;
  });
  await waitFor(async () => (await succeeded(ids)) === ids.length, { timeoutMs: 30_000, what: 'all delivered' });
  expect(stack.receiver.at('/batched/')).toHaveLength(ids.length);

  const claims = await stack.db.selectFrom('events').select(['id', 'dispatch_workflow_id']).where('id', 'in', ids).execute();
  const workflows = new Set(claims.map((c) => c.dispatch_workflow_id));
  expect(workflows.has(null)).toBe(false);
  // The 20 concurrent requests arrived within the window: far fewer workflows than events.
  expect(workflows.size).toBeLessThanOrEqual(4);
  const firstClaim = claims.find((c) => c.id === ids[0])!.dispatch_workflow_id!;
  expect(claims.filter((c) => c.dispatch_workflow_id === firstClaim)).toHaveLength(1);
  // Succeeded at the first attempt: no delivery workflow of their own.
  const rows = await stack.db.selectFrom('deliveries').select('workflow_id').where('event_id', 'in', ids).execute();
  expect(rows.every((r) => workflows.has(r.workflow_id))).toBe(true);
});

test.each([true, false])('a batch larger than a page is planned page by page with continue-as-new, every delivery once (batchFirstAttempts: %s)', async (batchFirstAttempts) => {
  const team = await stack.createTeam({ credits: 10_000 });
  await addWebhooks(team.id, 45, 'paged');
  const events = [await storeEvent(team.id), await storeEvent(team.id)];
  const workflowId = `dispatch-test-${newId('dsp')}`;
  const handle = await stack.client.workflow.start(dispatchEvents, { workflowId, taskQueue: stack.config.taskQueue, args: [{ eventIds: events, pageSize: 40, batchFirstAttempts }] });
  expect(await handle.result()).toEqual({ deliveries: 90 });
  await waitFor(async () => (await succeeded(events)) === 90, { timeoutMs: 30_000, what: '90 deliveries' });

  const paths = stack.receiver.requests.filter((r) => r.path.startsWith('/paged/') && events.includes(JSON.parse(r.body).id)).map((r) => `${r.path} ${JSON.parse(r.body).id}`);
  expect(paths).toHaveLength(90);
  expect(new Set(paths).size).toBe(90);
  // Visibility catches up with the last run's close a moment after its result.
  const runs = await waitFor(async () => {
    const found: string[] = [];
    for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(w.status.name);
    return found.includes('RUNNING') ? undefined : found.sort();
  }, { what: 'the runs closed in visibility' });
  expect(runs).toEqual(['COMPLETED', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW']);
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(10_000 - 2 * 90);
});

test.each([true, false])('an event handed to two dispatch workflows is claimed, planned and sent by one of them only (batchFirstAttempts: %s)', async (batchFirstAttempts) => {
  const team = await stack.createTeam({ credits: 100 });
  const path = `claimed-${batchFirstAttempts}`;
  await addWebhooks(team.id, 3, path);
  const eventId = await storeEvent(team.id);
  const results = await Promise.all(
    ['a', 'b'].map((n) =>
      stack.client.workflow.execute(dispatchEvents, { workflowId: `dispatch-test-${n}-${eventId}`, taskQueue: stack.config.taskQueue, args: [{ eventIds: [eventId], batchFirstAttempts }] }),
    ),
  );
  expect(results.map((r) => r.deliveries).sort()).toEqual([0, 3]);
  await waitFor(async () => (await succeeded([eventId])) === 3, { what: '3 deliveries' });
  expect(stack.receiver.at(`/${path}/`)).toHaveLength(3);
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(100 - 2 * 3);
});

test('a failed first attempt hands the delivery to its own workflow, which retries on the schedule', async () => {
  const team = await stack.createTeam({ credits: 100 });
  const [webhookId] = await addWebhooks(team.id, 1, 'handover');
  let calls = 0;
  stack.receiver.respond = (req, res) => {
    if (req.path.startsWith('/handover/') && ++calls === 1) return void res.writeHead(500).end('not yet');
    res.writeHead(200).end();
  };
  try {
    const res = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'campaign.completed', data: {} } });
    const eventId = res.body.id as string;
    const [, second] = await waitFor(() => (stack.receiver.at('/handover/').length >= 2 ? stack.receiver.at('/handover/') : undefined), {
      timeoutMs: 30_000,
      what: 'the retry',
    });
    const first = stack.receiver.at('/handover/')[0]!;
    // The exponential schedule's first delay (1 s) scaled by the test config, with its jitter.
    const scaled = 1_000 * stack.config.retryDelayScale;
    expect(second!.at - first.at).toBeGreaterThanOrEqual(scaled * 0.8);

    const delivery = await waitFor(async () => {
      const d = await stack.db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).executeTakeFirst();
      return d?.status === 'succeeded' ? d : undefined;
    }, { what: 'delivery succeeded' });
    expect(delivery.attempt_count).toBe(2);
    expect(delivery.workflow_id).toBe(`deliver-${eventId}-${webhookId}`);
    const child = await stack.client.workflow.getHandle(delivery.workflow_id).describe();
    expect(child.type).toBe('deliverToEndpoint');
    const claim = await stack.db.selectFrom('events').select('dispatch_workflow_id').where('id', '=', eventId).executeTakeFirstOrThrow();
    expect(child.parentExecution?.workflowId).toBe(claim.dispatch_workflow_id);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(98);
  } finally {
    stack.receiver.respond = (_req, res) => void res.writeHead(200).end();
  }
});

test('successes recorded together (group commit) charge each delivery once and keep the ledger a running balance', async () => {
  const team = await stack.createTeam({ credits: 1_000 });
  await addWebhooks(team.id, 60, 'grouped');
  const eventId = await storeEvent(team.id);
  // Sixty attempts in flight at once: their successes reach the recorder together.
  await stack.client.workflow.execute(dispatchEvents, { workflowId: `dispatch-test-group-${eventId}`, taskQueue: stack.config.taskQueue, args: [{ eventIds: [eventId], batchFirstAttempts: true }] });
  expect(await succeeded([eventId])).toBe(60);

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

test('a first attempt held for credits hands over to the delivery\'s own workflow, which a grant releases', async () => {
  const team = await stack.createTeam({ credits: 0 });
  const [webhookId] = await addWebhooks(team.id, 1, 'held');
  const res = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'campaign.completed', data: {} } });
  const eventId = res.body.id as string;
  const workflowId = `deliver-${eventId}-${webhookId}`;
  // Held, and waiting in its own workflow (the one a grant signals), not in the dispatch.
  await waitFor(async () => {
    const d = await stack.db.selectFrom('deliveries').select(['status', 'workflow_id']).where('event_id', '=', eventId).executeTakeFirst();
    if (d?.status !== 'held' || d.workflow_id !== workflowId) return undefined;
    return (await stack.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  }, { what: 'held in its own workflow' });
  expect(stack.receiver.at('/held/')).toHaveLength(0);

  const grant = await stack.call('POST', `/admin/v1/teams/${team.id}/credits`, { key: TEST_ADMIN_KEY, body: { amount: 5 } });
  expect(grant.body).toEqual({ balance: 5, releasedDeliveries: 1 });
  await waitFor(async () => (await succeeded([eventId])) === 1, { what: 'delivered after the grant' });
  expect(stack.receiver.at('/held/')).toHaveLength(1);
  expect(await stack.client.workflow.getHandle(workflowId).result()).toEqual({ status: 'succeeded' });
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(3);
});
