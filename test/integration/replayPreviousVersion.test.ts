import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';

// Histories recorded by the version before batched dispatch (commit bea34bd): a per-event
// fan-out and a delivery whose first attempt failed and was retried. Workflows like these may
// be running when Hookferry is upgraded; the current code must replay them unchanged.
const FIXTURES = path.join(__dirname, '../fixtures/histories');

test.each([
  ['0.1-fanOutEvent.json', 'fanOutEvent'],
  ['0.1-deliverToEndpoint-retried.json', 'deliverToEndpoint'],
])('%s replays against the current workflow code', async (file, workflowType) => {
  // Stored with History.toObject (longs, enums and bytes as strings); fromObject restores it.
  const history = temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')));
  const started = history.events[0]?.workflowExecutionStartedEventAttributes;
  expect(started?.workflowType?.name).toBe(workflowType);
  // Throws DeterminismViolationError if the current code would issue different commands.
  await Worker.runReplayHistory({ workflowBundle: { code: readFileSync(process.env.HOOKFERRY_TEST_WORKFLOW_BUNDLE!, 'utf8') } }, history, `replay-${file}`);
});
