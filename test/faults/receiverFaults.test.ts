import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { createWebhook, postEvent, waitForDelivery } from '../helpers/fixtures';
import { freePort } from '../helpers/globalSetup';
import type { ReceivedRequest } from '../helpers/receiver';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';

// Scenario 4: receivers that misbehave at the socket level. Every case ends as the webhook's
// retry schedule says (here: first attempt + retries after 1 s and 2 s, scaled × 0.05, each
// attempt bounded at 1 s), and the worker — a real process, so its memory can be read from
// /proc — stays bounded while receivers answer 64 MB.
jest.setTimeout(120_000);

const ATTEMPT_TIMEOUT_MS = 1_000;
const SCHEDULE = { delays: ['1s', '2s'] }; // 3 attempts
const BIG = 64 * 1024 * 1024;
const BIG_CONCURRENT = 8;
const MAX_RESPONSE_BYTES = 64 * 1024;

let stack: Stack;
let worker: WorkerProcess;
const bigBody = Buffer.alloc(BIG, 'x');
const trickles = new Set<NodeJS.Timeout>();

function respond(req: ReceivedRequest, res: http.ServerResponse): void {
  const count = (p: string) => stack.receiver.at(p).filter((r) => r.headers['webhook-id'] === req.headers['webhook-id']).length;
  if (req.path.startsWith('/reset')) {
    // Headers and part of the body, then a TCP RST.
    res.writeHead(200, { 'content-length': '100000' });
    res.write('x'.repeat(1_000));
    setTimeout(() => res.socket?.resetAndDestroy(), 20);
  } else if (req.path.startsWith('/silent')) {
    // Reads the request, never answers (the socket stays open until the worker gives up).
  } else if (req.path.startsWith('/trickle')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || ++sent > 300) {
        clearInterval(timer);
        trickles.delete(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write('.');
    }, 100);
    trickles.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      trickles.delete(timer);
    });
  } else if (req.path.startsWith('/big')) {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG) });
    res.end(bigBody);
  } else if (req.path.startsWith('/flaky')) {
    res.writeHead(count('/flaky') <= 2 ? 500 : 200).end(count('/flaky') <= 2 ? 'down' : 'ok');
  } else {
    res.writeHead(200).end('ok');
  }
}

function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
}

beforeAll(async () => {
  stack = await startStack({ noWorker: true, respond, env: { HOOKFERRY_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS), HOOKFERRY_MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES) } });
  worker = await spawnWorker(stack.config, { HOOKFERRY_MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES) });
});
afterAll(async () => {
  for (const t of trickles) clearInterval(t);
  await worker?.kill();
  await stack?.stop();
});

type Attempt = { statusCode: number | null; errorClass: string | null; succeeded: boolean; durationMs: number; responseTruncated: boolean; responseBody: string | null };

async function deliverOnce(url: string, expected: 'succeeded' | 'failed') {
  const team = await stack.createTeam({ credits: 100 });
  await createWebhook(stack, team.apiKey, { url, retrySchedule: SCHEDULE });
  const e = await postEvent(stack, team.apiKey, 'message.sent');
  const d = await waitForDelivery(stack, team.apiKey, e.id, [expected, expected === 'failed' ? 'succeeded' : 'failed'], { timeoutMs: 60_000 });
  const ledger = (await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.ledger.filter((l: { reason: string }) => l.reason === 'delivery');
  return { delivery: d, attempts: d.attempts as Attempt[], charges: ledger.length as number, posts: stack.receiver.requests.filter((r) => r.headers['webhook-id'] === d.id).length };
}

const summary: string[] = [];
const classes = (attempts: Attempt[]) => attempts.map((a) => a.errorClass ?? String(a.statusCode));
afterAll(() => console.log(`receiver faults (schedule 3 attempts, ${ATTEMPT_TIMEOUT_MS} ms per attempt):\n${summary.join('\n')}`));

test('connection refused: 3 attempts, all connection_refused, then failed; nothing charged', async () => {
  const port = await freePort(); // nothing listens there
  const r = await deliverOnce(`http://127.0.0.1:${port}/refused`, 'failed');
  expect(r.delivery.status).toBe('failed');
  expect(classes(r.attempts)).toEqual(['connection_refused', 'connection_refused', 'connection_refused']);
  expect(r.charges).toBe(0);
  summary.push(`  refused:  ${r.delivery.status} after ${r.attempts.length} attempts [${classes(r.attempts)}]`);
});

test('reset mid-response: connection_reset on every attempt, then failed', async () => {
  const r = await deliverOnce(`${stack.receiver.url}/reset`, 'failed');
  expect(r.delivery.status).toBe('failed');
  expect(classes(r.attempts)).toEqual(['connection_reset', 'connection_reset', 'connection_reset']);
  expect(r.posts).toBe(3);
  expect(r.charges).toBe(0);
  summary.push(`  reset:    ${r.delivery.status} after ${r.attempts.length} attempts [${classes(r.attempts)}], receiver saw ${r.posts} POSTs`);
});

test('never sends headers: each attempt times out at the bound, then failed', async () => {
  const r = await deliverOnce(`${stack.receiver.url}/silent`, 'failed');
  expect(r.delivery.status).toBe('failed');
  expect(classes(r.attempts)).toEqual(['timeout', 'timeout', 'timeout']);
  for (const a of r.attempts) {
    expect(a.durationMs).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 50);
    expect(a.durationMs).toBeLessThan(ATTEMPT_TIMEOUT_MS + 1_000);
  }
  expect(r.posts).toBe(3);
  summary.push(`  silent:   ${r.delivery.status} after ${r.attempts.length} attempts [${classes(r.attempts)}], durations ${r.attempts.map((a) => a.durationMs).join('/')} ms`);
});

test('trickles one byte every 100 ms: the whole exchange is bounded, each attempt times out, then failed', async () => {
  const r = await deliverOnce(`${stack.receiver.url}/trickle`, 'failed');
  expect(r.delivery.status).toBe('failed');
  expect(classes(r.attempts)).toEqual(['timeout', 'timeout', 'timeout']);
  for (const a of r.attempts) expect(a.durationMs).toBeLessThan(ATTEMPT_TIMEOUT_MS + 1_000);
  summary.push(`  trickle:  ${r.delivery.status} after ${r.attempts.length} attempts [${classes(r.attempts)}], durations ${r.attempts.map((a) => a.durationMs).join('/')} ms`);
});

test('500 twice, then recovers: succeeded on the 3rd attempt, charged once', async () => {
  const r = await deliverOnce(`${stack.receiver.url}/flaky`, 'succeeded');
  expect(r.delivery.status).toBe('succeeded');
  expect(r.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
  expect(classes(r.attempts)).toEqual(['http_status', 'http_status', '200']);
  expect(r.charges).toBe(1);
  summary.push(`  flaky:    ${r.delivery.status} after ${r.attempts.length} attempts [${classes(r.attempts)}], ${r.charges} charge`);
});

test(`${BIG_CONCURRENT} receivers answering 64 MB at once: succeeded, body capped at 64 KB, worker memory stays bounded`, async () => {
  const pid = worker.process.pid!;
  const before = memoryOf(pid);
  const team = await stack.createTeam({ credits: 1_000 });
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/big`, retrySchedule: SCHEDULE });
  const events = [];
  for (let i = 0; i < BIG_CONCURRENT; i++) events.push(await postEvent(stack, team.apiKey, 'message.sent', { i }));
  let peakRss = before.rssMb;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, memoryOf(pid).rssMb);
    } catch {
      // process gone: the assertions below report it
    }
  }, 25);
  let deliveries;
  try {
    deliveries = await Promise.all(events.map((e) => waitForDelivery(stack, team.apiKey, e.id, ['succeeded', 'failed'], { timeoutMs: 60_000 })));
  } finally {
    clearInterval(sampler);
  }
  const after = memoryOf(pid);
  for (const d of deliveries) {
    expect(d.status).toBe('succeeded');
    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0].responseTruncated).toBe(true);
    expect(d.attempts[0].responseBody.length).toBe(MAX_RESPONSE_BYTES);
  }
  await waitFor(() => worker.process.exitCode === null, { what: 'worker alive' });
  // Buffering the bodies would need 8 × 64 MB = 512 MB; reading is capped at 64 KB each.
  // (VmHWM is no use as a baseline: the worker's start-up — bundling workflows — peaks higher.)
  const growth = peakRss - before.rssMb;
  expect(growth).toBeLessThan(150);
  summary.push(
    `  64 MB:    ${BIG_CONCURRENT} deliveries succeeded in 1 attempt each, stored body ${MAX_RESPONSE_BYTES} bytes (truncated); worker RSS ${before.rssMb} MB before, peak ${peakRss} MB while answering (+${growth} MB), ${after.rssMb} MB after`,
  );
});
