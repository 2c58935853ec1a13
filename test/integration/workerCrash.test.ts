import { dispatchEvents } from '../../src/workflows/dispatchEvents';
import { createWebhook, postEvent, waitForDelivery } from '../helpers/fixtures';
import { storeEvent } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';

// Workers here are real processes, really killed with SIGKILL. A killed worker's activity is
// retried once its heartbeat times out (10 s), so each scenario takes a little over that.
jest.setTimeout(180_000);

let stack: Stack;
let worker: WorkerProcess | undefined;
beforeAll(async () => {
  stack = await startStack({ noWorker: true });
});
afterEach(async () => {
  await worker?.kill();
  worker = undefined;
});
afterAll(async () => stack?.stop());

async function ledgerFor(teamId: string) {
  return stack.db.selectFrom('credit_ledger').selectAll().where('team_id', '=', teamId).where('reason', '=', 'delivery').execute();
}

describe.each(['as-needed', 'every'] as const)('HOOKFERRY_DELIVERY_WORKFLOWS=%s', (setting) => {
  const mode = { HOOKFERRY_DELIVERY_WORKFLOWS: setting };

  test('worker killed right after the receiver answered 200: delivered, same webhook-id, charged exactly once', async () => {
    worker = await spawnWorker(stack.config, mode);
    const team = await stack.createTeam({ credits: 10 });
    const victim = worker;
    stack.receiver.respond = (req, res) => {
      res.writeHead(200).end('ok');
      // Kill the worker the moment the first POST is answered: before it records the result.
      if (stack.receiver.at(`/crash-after-${setting}`).length === 1) res.on('finish', () => void victim.kill('SIGKILL'));
    };
    await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/crash-after-${setting}` });
    const e = await postEvent(stack, team.apiKey, 'prospect.qualified');
    await waitFor(() => victim.process.exitCode !== null || victim.process.signalCode !== null, { what: 'worker killed' });

    worker = await spawnWorker(stack.config, mode);
    const d = await waitForDelivery(stack, team.apiKey, e.id, ['succeeded'], { timeoutMs: 60_000 });
    const requests = stack.receiver.at(`/crash-after-${setting}`);
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([d.id]));
    expect(await ledgerFor(team.id)).toHaveLength(1);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(8);
  });

  test('worker killed in the middle of a burst: every delivery completes, none lost, each charged once', async () => {
    worker = await spawnWorker(stack.config, mode);
    const team = await stack.createTeam({ credits: 1_000 });
    const victim = worker;
    killAfterEightAnswers(victim);
    await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/burst-${setting}` });
    const events = [];
    for (let i = 0; i < 30; i++) events.push(await postEvent(stack, team.apiKey, 'message.sent', { i }));
    await waitFor(() => victim.process.signalCode !== null || victim.process.exitCode !== null, { what: 'worker killed', timeoutMs: 60_000 });

    worker = await spawnWorker(stack.config, mode);
    const deliveries = [];
    for (const e of events) deliveries.push(await waitForDelivery(stack, team.apiKey, e.id, ['succeeded'], { timeoutMs: 90_000 }));
    const received = new Set(stack.receiver.at(`/burst-${setting}`).map((r) => r.headers['webhook-id']));
    for (const d of deliveries) expect(received.has(d.id)).toBe(true);
    const ledger = await ledgerFor(team.id);
    expect(ledger).toHaveLength(30);
    expect(new Set(ledger.map((l) => l.delivery_id)).size).toBe(30);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(1_000 - 60);
  });

  test('worker killed mid-batch of one dispatch workflow: every delivery completes, each charged once, only in-flight ones re-sent', async () => {
    // Four POSTs in flight at a time, so at most four can be answered but not yet recorded.
    worker = await spawnWorker(stack.config, { ...mode, HOOKFERRY_FIRST_ATTEMPT_CONCURRENCY: '4' });
    const team = await stack.createTeam({ credits: 1_000 });
    const victim = worker;
    const kill = killAfterEightAnswers(victim);
    const hook = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/batch-crash-${setting}` });
    // Thirty stored events in one dispatch workflow: the kill lands with some recorded, some in
    // flight and some not yet sent.
    const events = [];
    for (let i = 0; i < 30; i++) events.push(await storeEvent(stack, team.id, 'message.sent', { i }));
    await stack.client.workflow.start(dispatchEvents, {
      workflowId: `dispatch-crash-${events[0]}`,
      taskQueue: stack.config.taskQueue,
      args: [{ eventIds: events }],
    });
    await waitFor(() => kill.at !== undefined, { what: 'worker killed', timeoutMs: 60_000 });

    worker = await spawnWorker(stack.config, { ...mode, HOOKFERRY_FIRST_ATTEMPT_CONCURRENCY: '4' });
    for (const id of events) await waitForDelivery(stack, team.apiKey, id, ['succeeded'], { timeoutMs: 90_000, webhookId: hook.id });
    const requests = stack.receiver.at(`/batch-crash-${setting}`);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(30);
    // Only POSTs in flight at the kill can have been sent twice: a delivery sent again was first
    // sent before the kill, and was not yet answered then. Recorded ones are not re-sent.
    const firstSent = new Map<string, number>();
    const again = new Set<string>();
    for (const r of requests) {
      const id = r.headers['webhook-id']!;
      if (firstSent.has(id)) again.add(id);
      else firstSent.set(id, r.at);
    }
    for (const id of again) expect(firstSent.get(id)!).toBeLessThanOrEqual(kill.at!);
    // In the dispatch's batch at most four are between sent and recorded at a time.
    if (setting === 'as-needed') expect(again.size).toBeLessThanOrEqual(4);
    const ledger = await ledgerFor(team.id);
    expect(new Set(ledger.map((l) => l.delivery_id)).size).toBe(30);
    expect(ledger).toHaveLength(30);
  });
});

/**
 * A slow receiver (50 ms per answer) that SIGKILLs the worker at its eighth answer: the kill
 * lands while some POSTs are in flight and others not yet sent. Tells when the worker was gone.
 */
function killAfterEightAnswers(victim: WorkerProcess): { at?: number } {
  const kill: { at?: number } = {};
  let answered = 0;
  stack.receiver.respond = (_req, res) => {
    setTimeout(() => {
      res.writeHead(200).end();
      if (++answered === 8) {
        // The time the worker is gone: nothing it sent can arrive after it.
        void victim.kill('SIGKILL').then(() => (kill.at = Date.now()));
      }
    }, 50);
  };
  return kill;
}
