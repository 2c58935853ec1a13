import { createWebhook } from '../helpers/fixtures';
import { freePort } from '../helpers/globalSetup';
import { spawnUntilLogLine, type SpawnedProcess } from '../../scripts/lib/spawnProcess';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';

// The API answers 202 once an event is committed; its dispatch follows. An API process
// SIGKILLed between the two loses nothing: the event is stored, and the worker's reconciler
// dispatches it. Both processes are real, as in production.
jest.setTimeout(120_000);

let stack: Stack;
let worker: WorkerProcess | undefined;
let api: SpawnedProcess | undefined;
beforeAll(async () => {
  stack = await startStack({ noWorker: true });
  worker = await spawnWorker(stack.config);
});
afterAll(async () => {
  await api?.kill('SIGKILL');
  await worker?.kill();
  await stack?.stop();
});

test('an API process killed after answering 202 and before dispatching: the event is delivered once', async () => {
  const port = await freePort();
  api = await spawnUntilLogLine({
    name: 'api',
    entry: 'src/api/main.ts',
    env: {
      DATABASE_URL: stack.config.databaseUrl,
      TEMPORAL_ADDRESS: stack.config.temporalAddress,
      HOOKFERRY_TASK_QUEUE: stack.config.taskQueue,
      HOOKFERRY_ADMIN_KEY: stack.adminKey,
      HOOKFERRY_ALLOWED_CIDRS: stack.config.allowedCidrs,
      HOST: '127.0.0.1',
      PORT: String(port),
      // After the first event's batch, the next waits ten minutes to be dispatched: long after the kill.
      HOOKFERRY_DISPATCH_WINDOW_MS: '600000',
      LOG_LEVEL: 'info',
    },
    line: '"msg":"API listening"',
  });
  const team = await stack.createTeam({ credits: 100 });
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/crash-ingest` });
  const post = async (n: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${team.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'message.sent', data: { n } }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const first = await post(1);
  const second = await post(2);
  await api.kill('SIGKILL');

  // The second event was answered, stored, and not handed to Temporal by the dead process.
  const stored = await stack.db.selectFrom('events').select(['id', 'dispatch_workflow_id']).where('id', '=', second).executeTakeFirstOrThrow();
  expect(stored.dispatch_workflow_id).toBeNull();
  const delivered = await waitFor(async () => {
    const rows = await stack.db.selectFrom('deliveries').select(['event_id', 'status']).where('team_id', '=', team.id).where('status', '=', 'succeeded').execute();
    return rows.length === 2 ? rows : undefined;
  }, { timeoutMs: 60_000, what: 'both events delivered' });
  expect(delivered.map((d) => d.event_id).sort()).toEqual([first, second].sort());
  const ids = stack.receiver.at('/crash-ingest').map((r) => JSON.parse(r.body).id as string);
  expect(ids.sort()).toEqual([first, second].sort());
  expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(96);
});
