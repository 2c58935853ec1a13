import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { quietRuntime } from '../helpers/stack';

// Histories recorded from real runs of this version (test/fixtures/histories/record.ts): every
// workflow and its paths — a dispatch with a retry and a hold handed over, one continuing as new,
// one with every delivery in its own workflow; deliveries retried, held and granted, re-sent,
// failed at once, cancelled; a webhook's health disabling it. Workflows like these may be running
// when Hookferry is upgraded: the current code must replay them unchanged.
const DIR = path.join(__dirname, '../fixtures/histories');
// The incompatible replays below fail by design: keep the SDK's warnings about them quiet.
quietRuntime();
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

function load(file: string) {
  const { workflowId, history } = JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as { workflowId: string; history: object };
  // Stored with History.toObject (longs, enums and bytes as strings); fromObject restores it.
  return { workflowId, history: temporal.api.history.v1.History.fromObject(history) };
}

test('every workflow has recorded histories', () => {
  const types = new Set(fixtures.map((f) => load(f).history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
  expect([...types].sort()).toEqual(['deliverToEndpoint', 'dispatchEvents', 'endpointHealth']);
});

test.each(fixtures)('%s replays against the current workflow code', async (file) => {
  const { workflowId, history } = load(file);
  // Throws DeterminismViolationError if the current code would issue different commands.
  await Worker.runReplayHistory({ workflowBundle: { code: readFileSync(process.env.HOOKFERRY_TEST_WORKFLOW_BUNDLE!, 'utf8') } }, history, workflowId);
});

test('a deliberately incompatible change fails every recorded history', async () => {
  const incompatible: WorkflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../fixtures/incompatibleWorkflows'),
    logger: new DefaultLogger('WARN'),
  });
  const results: Array<{ file: string; error?: string }> = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: incompatible }, fixtures.map(load))) {
    results.push({ file: r.workflowId, error: r.error?.name });
  }
  expect(results).toHaveLength(fixtures.length);
  expect(results.filter((r) => r.error !== 'DeterminismViolationError')).toEqual([]);
});
