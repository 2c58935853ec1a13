import { readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { healthWorkflowId, TeamIdKey, WebhookIdKey } from '../../src/temporal/names';
import { endpointHealth } from '../../src/workflows/endpointHealth';
import { deliveryOutcomeSignal, healthStateQuery, webhookDeletedSignal } from '../../src/workflows/signals';
import { createWebhook, postEvent, waitForDelivery } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

test('the health workflow continues-as-new when its history grows, and the count survives it', async () => {
  const team = await stack.createTeam();
  const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/can` });
  const workflowId = `${healthWorkflowId(wh.id)}-can-test`;
  const handle = await stack.client.workflow.start(endpointHealth, {
    workflowId,
    taskQueue: stack.config.taskQueue,
    args: [{ webhookId: wh.id, teamId: team.id, threshold: 1_000, maxHistoryEvents: 60 }],
    typedSearchAttributes: [{ key: TeamIdKey, value: team.id }, { key: WebhookIdKey, value: wh.id }],
  });
  const firstRunId = handle.firstExecutionRunId;

  // 40 failures, each a signal plus a recordHealth activity: well past 60 history events.
  for (let i = 0; i < 40; i++) {
    await handle.signal(deliveryOutcomeSignal, {
      kind: 'failed',
      deliveryId: `msg_fake_${i}`,
      series: 1,
      gone: false,
      failure: { deliveryId: `msg_fake_${i}`, at: new Date().toISOString(), statusCode: 500, error: 'HTTP 500' },
    });
  }
  // A duplicate of an already counted outcome is not counted again.
  await handle.signal(deliveryOutcomeSignal, {
    kind: 'failed', deliveryId: 'msg_fake_39', series: 1, gone: false,
    failure: { deliveryId: 'msg_fake_39', at: new Date().toISOString(), statusCode: 500, error: 'HTTP 500' },
  });

  const state = await waitFor(async () => {
    const s = await stack.client.workflow.getHandle(workflowId).query(healthStateQuery);
    return s.consecutiveFailures === 40 ? s : undefined;
  }, { what: '40 failures counted' });
  expect(state.recentFailures).toHaveLength(5);
  const current = await waitFor(async () => {
    const d = await stack.client.workflow.getHandle(workflowId).describe();
    return d.runId !== firstRunId ? d : undefined;
  }, { what: 'a new run after continue-as-new' });
  expect(current.status.name).toBe('RUNNING');
  const carried = await stack.client.workflow.getHandle(workflowId).query(healthStateQuery);
  expect(carried.consecutiveFailures).toBe(40);

  // The run history: at least one run ended in continue-as-new.
  const runs: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(w.status.name);
  expect(runs).toContain('CONTINUED_AS_NEW');

  // Deleting the webhook ends the workflow.
  await stack.client.workflow.getHandle(workflowId).signal(webhookDeletedSignal);
  const final = await stack.client.workflow.getHandle(workflowId).result();
  expect(final.consecutiveFailures).toBe(40);

  // Replay: the recorded histories run through the current workflow code without nondeterminism.
  const histories = stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }).intoHistories();
  const results = Worker.runReplayHistories({ workflowBundle: { code: readFileSync(process.env.HOOKFERRY_TEST_WORKFLOW_BUNDLE!, 'utf8') } }, histories);
  let replayed = 0;
  for await (const r of results) {
    expect(r.error).toBeUndefined();
    replayed++;
  }
  expect(replayed).toBeGreaterThanOrEqual(2);
});

test('dispatch and delivery histories replay against the current workflow code', async () => {
  const team = await stack.createTeam();
  let n = 0;
  stack.receiver.respond = (_req, res) => void res.writeHead(++n === 1 ? 500 : 200).end();
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/replay` });
  const e = await postEvent(stack, team.apiKey, 'message.sent');
  const d = await waitForDelivery(stack, team.apiKey, e.id, ['succeeded']);
  // The first attempt failed, so the delivery has its own workflow, a child of the dispatch.
  const claim = await stack.db.selectFrom('events').select('dispatch_workflow_id').where('id', '=', e.id).executeTakeFirstOrThrow();
  expect(d.deliveryWorkflowId).toBe(`deliver-${d.id}-1`);
  const ids = [claim.dispatch_workflow_id!, d.deliveryWorkflowId];
  await Promise.all(ids.map((id) => stack.client.workflow.getHandle(id).result()));
  const histories = await Promise.all(ids.map(async (id) => ({ workflowId: id, history: await stack.client.workflow.getHandle(id).fetchHistory() })));
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code: readFileSync(process.env.HOOKFERRY_TEST_WORKFLOW_BUNDLE!, 'utf8') } }, histories)) {
    expect(r.error).toBeUndefined();
    replayed++;
  }
  expect(replayed).toBe(2);
});
