import { newId } from '../../src/ids';
import { storedWebhookSecrets } from '../../src/services/webhookSecrets';
import { fanOutEvent } from '../../src/workflows/fanOutEvent';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

// Fan-outs are now planned by dispatchEvents (test/integration/dispatch.test.ts pages it); the
// per-event fanOutEvent of earlier versions stays registered so fan-outs already running when
// Hookferry is upgraded finish. A small page size exercises its paging and continue-as-new quickly.
test('an earlier version\'s fan-out larger than a page still pages with continue-as-new, every endpoint delivered once', async () => {
  const team = await stack.createTeam({ credits: 10_000 });
  const pageSize = 40;
  const count = 2 * pageSize + 10;
  // Webhooks are inserted directly: the API path is covered elsewhere and would only slow this down.
  await stack.db
    .insertInto('webhooks')
    .values(Array.from({ length: count }, (_, i) => storedWebhookSecrets(stack.secretKeys, {
      id: newId('wh'), team_id: team.id, name: `endpoint-${i}`, url: `${stack.receiver.url}/fan/${i}`,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['*'], retry_schedule: JSON.stringify('exponential'),
    })))
    .execute();
  // Store the event directly and run its fan-out with small pages.
  const e = { id: newId('evt') };
  await stack.db.insertInto('events').values({ id: e.id, team_id: team.id, type: 'campaign.completed', payload: JSON.stringify({ id: e.id, event: 'campaign.completed', teamId: team.id, timestamp: new Date().toISOString(), data: {} }) }).execute();
  await stack.client.workflow.start(fanOutEvent, {
    workflowId: `fanout-${e.id}`,
    taskQueue: stack.config.taskQueue,
    args: [{ eventId: e.id, teamId: team.id, eventType: 'campaign.completed', pageSize }],
  });
  await waitFor(async () => {
    const row = await stack.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('event_id', '=', e.id).where('status', '=', 'succeeded').executeTakeFirstOrThrow();
    return Number(row.n) === count;
  }, { timeoutMs: 60_000, intervalMs: 200, what: `${count} deliveries` });
  const paths = stack.receiver.at('/fan/').map((r) => r.path);
  expect(paths).toHaveLength(count);
  expect(new Set(paths).size).toBe(count);

  const runs: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `WorkflowId = 'fanout-${e.id}'` })) runs.push(w.status.name);
  expect(runs.sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW']);
  const result = await stack.client.workflow.getHandle(`fanout-${e.id}`).result();
  expect(result.deliveriesStarted).toBe(count);
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(10_000 - 2 * count);
});
