import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

test('an event posted through the API arrives signed at a loopback receiver, through Temporal, and is recorded', async () => {
  const team = await stack.createTeam({ credits: 10 });
  const created = await stack.call('POST', '/v1/webhooks', {
    key: team.apiKey,
    body: { name: 'CRM Sync', url: `${stack.receiver.url}/hooks/crm`, events: ['linkedin.message.received'] },
  });
  expect(created.status).toBe(201);
  const secret: string = created.body.secret;
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

  const ingested = await stack.call('POST', '/v1/events', {
    key: team.apiKey,
    body: { event: 'linkedin.message.received', data: { prospectId: 'p_1', message: 'Hi — ünïcode ✓' } },
  });
  expect(ingested.status).toBe(202);
  const eventId: string = ingested.body.id;

  const [request] = await waitFor(() => (stack.receiver.at('/hooks/crm').length ? stack.receiver.at('/hooks/crm') : undefined), { what: 'delivery' });
  expect(request!.method).toBe('POST');
  expect(request!.headers['content-type']).toBe('application/json');

  // Standard Webhooks, verified by the official package over the exact bytes received.
  const verified = new Webhook(secret).verify(request!.body, request!.headers) as Record<string, unknown>;
  expect(verified).toMatchObject({ id: eventId, event: 'linkedin.message.received', teamId: team.id, data: { prospectId: 'p_1', message: 'Hi — ünïcode ✓' } });
  expect(new Date(verified.timestamp as string).toISOString()).toBe(verified.timestamp);
  // Seed styles, keyed with the secret string as the user holds it.
  const hex = createHmac('sha256', secret).update(request!.body).digest('hex');
  expect(request!.headers['x-webhook-signature']).toBe(`sha256=${hex}`);
  expect(request!.headers['x-kakiyo-signature']).toBe(hex);

  // Recorded: the delivery succeeded with one attempt, and cost 2 credits.
  const event = await waitFor(async () => {
    const res = await stack.call('GET', `/v1/events/${eventId}`, { key: team.apiKey });
    return res.body.deliveries?.[0]?.status === 'succeeded' ? res.body : undefined;
  }, { what: 'delivery recorded' });
  const delivery = await stack.call('GET', `/v1/deliveries/${event.deliveries[0].id}`, { key: team.apiKey });
  expect(delivery.body.attempts).toHaveLength(1);
  expect(delivery.body.attempts[0]).toMatchObject({ statusCode: 200, succeeded: true, attemptNumber: 1 });
  expect(request!.headers['webhook-id']).toBe(event.deliveries[0].id);
  const credits = await stack.call('GET', '/v1/credits', { key: team.apiKey });
  expect(credits.body.balance).toBe(8);

  // Visible in Temporal: the dispatch workflow of the batch that claimed the event made the
  // attempt; a delivery that succeeds at once needs no workflow of its own.
  const claimed = await stack.db.selectFrom('events').select('dispatch_workflow_id').where('id', '=', eventId).executeTakeFirstOrThrow();
  expect(claimed.dispatch_workflow_id).toMatch(/^dispatch-dsp_/);
  expect(delivery.body).toMatchObject({ dispatchWorkflowId: claimed.dispatch_workflow_id, deliveryWorkflowId: null, deliveryWorkflowUrl: null });
  const dispatch = stack.client.workflow.getHandle(claimed.dispatch_workflow_id!);
  expect((await dispatch.describe()).type).toBe('dispatchEvents');
  expect(await dispatch.result()).toEqual({ deliveries: 1 });
});
