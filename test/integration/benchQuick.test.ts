import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Smoke test of the benchmark (`npm run bench -- --quick`): it starts its own stack, runs every
// section at small scale and writes well-formed JSON. The figures against the targets are not
// checked — this machine is shared — but every section must be there with real content: events
// delivered, none lost, hanging endpoints that really hung and were cleared, finite figures.
jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');

function runQuickBench(jsonOut: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--json-out', jsonOut], {
      cwd: ROOT,
      // The benchmark starts its own Temporal dev server and database; do not point it at the tests' ones.
      env: { ...process.env, TEMPORAL_ADDRESS: '', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-40_000)));
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-40_000)));
    // Too slow: SIGTERM first, so that the bench stops its worker, API and Temporal and drops its database.
    const term = setTimeout(() => child.kill('SIGTERM'), 250_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.on('exit', (code) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code, output });
    });
  });
}

const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;

test('npm run bench -- --quick writes a complete, well-formed result', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookferry-bench-'));
  const file = path.join(dir, 'result.json');
  let output = '';
  try {
    const run = await runQuickBench(file);
    output = run.output;
    if (run.code !== 0) throw new Error(`bench exited with ${run.code}`);
    expect(output).toContain('## Hookferry benchmark (quick, HOOKFERRY_DELIVERY_WORKFLOWS=as-needed)');
    for (const heading of ['### Single-event ingestion', '### Batch ingestion', '### Latency', '### Slow endpoints', '### Fan-out', '### Targets']) expect(output).toContain(heading);
    const r = JSON.parse(readFileSync(file, 'utf8'));
    // Every event arrives within the section's drain, unless the API could not start its
    // dispatch in time (an overloaded shared machine): then the reconciler sends it a minute later.
    const expectAllArrived = (missing: number) => {
      if (r.eventsLeftToReconciler === 0) expect(missing).toBe(0);
      else expect(missing).toBeLessThanOrEqual(r.eventsLeftToReconciler);
    };

    expect(r.meta.mode).toBe('quick');
    // The default topology: the dev server (no PostgreSQL of its own), one worker, one API.
    expect(r.meta.topology).toEqual({ temporal: 'dev', workers: 1, apis: 1, temporalDatabases: [], temporalDbMaxConns: null });
    expect(positive(r.meta.machine.cores)).toBe(true);
    // The API's per-key limit is on (with a quota far above the load), auto-disable out of the way.
    expect(r.meta.apiRateLimitPerMinute).toBeGreaterThanOrEqual(1_000_000);
    expect(r.meta.failureThreshold).toBeGreaterThanOrEqual(1_000);

    // Baseline
    expect(positive(r.baseline.requestsPerSecond)).toBe(true);
    expect(r.baseline.errors).toBe(0);

    // Single-event and batch ingestion: a ramp and a hold each, CPU per delivery of each process
    for (const [t, route, perRequest] of [[r.singleEvent, 'POST /v1/events', 1], [r.batch, 'POST /v1/events/batch', 100]] as const) {
      expect(t.route).toBe(route);
      expect(t.eventsPerRequest).toBe(perRequest);
      expect(t.ramp.length).toBeGreaterThan(0);
      for (const step of [...t.ramp, t.hold]) {
        expect(positive(step.targetRate)).toBe(true);
        expect(positive(step.seconds)).toBe(true);
        expect(step.sent).toBe(step.requests * perRequest);
        expect(finite(step.deliveredPerSecond)).toBe(true);
        expect(finite(step.backlogEnd)).toBe(true);
        expect(Number.isFinite(step.backlogSlopePerSecond)).toBe(true);
        expect(positive(step.apiP50Ms)).toBe(true);
        expect(step.apiP50Ms).toBeLessThanOrEqual(step.apiP99Ms);
        for (const k of ['worker', 'api', 'temporal', 'postgres', 'machine']) expect(finite(step.cores[k])).toBe(true);
        const cpu = step.cpuMsPerDelivery;
        for (const k of ['worker', 'api', 'temporal', 'postgres', 'receiver', 'loadgen', 'total']) expect(finite(cpu[k])).toBe(true);
        expect(Math.abs(cpu.total - (cpu.worker + cpu.api + cpu.temporal + cpu.postgres))).toBeLessThan(0.05);
      }
      expect(positive(t.hold.deliveredPerSecond)).toBe(true);
      expect(positive(t.hold.cpuMsPerDelivery.total)).toBe(true);
      expect(finite(t.sustainedDeliveriesPerSecond)).toBe(true);
      expect(positive(t.totalDelivered)).toBe(true);
      expect(t.totalDelivered + t.undelivered).toBe(t.totalEvents);
      expectAllArrived(t.undelivered);
    }
    expect(finite(r.ratioToBaseline)).toBe(true);

    // Latency at 25/50/90%, with the API's own answer time
    expect(r.latency.map((l: { fraction: number }) => l.fraction)).toEqual([0.25, 0.5, 0.9]);
    for (const l of r.latency) {
      for (const k of ['rate', 'p50Ms', 'p95Ms', 'p99Ms', 'apiP50Ms', 'apiP99Ms']) expect(positive(l[k])).toBe(true);
      expect(l.p50Ms).toBeLessThanOrEqual(l.p99Ms);
      expect(l.apiP50Ms).toBeLessThanOrEqual(l.apiP99Ms);
      expectAllArrived(l.lost);
    }
    expect(Object.keys(r.latencyBreakdownMs).length).toBeGreaterThan(5);
    expect(positive(r.workflowShape.dispatchHistoryEvents)).toBe(true);
    expect(positive(r.workflowShape.dispatchWorkflows)).toBe(true);
    expect(positive(r.workflowShape.eventsPerDispatch)).toBe(true);

    // Slow endpoints: the same healthy endpoints without and with hanging ones; the hanging ones
    // really held attempts open, and none was left open once their webhooks were disabled.
    const slow = r.slowEndpoints;
    expect(slow.endpoints).toBe(10);
    expect(slow.attemptTimeoutMs).toBe(2_000); // a quick run shortens the attempt timeout
    expect(slow.withoutHanging.hangingAttempts).toBe(0);
    expect(slow.withHanging.hangingEndpoints).toBe(2);
    expect(slow.withHanging.hangingAttempts).toBeGreaterThan(0);
    for (const run of [slow.withoutHanging, slow.withHanging]) {
      expect(run.healthy.endpoints).toBe(8);
      expect(positive(run.healthy.delivered)).toBe(true);
      expect(run.healthy.delivered + run.healthy.lost).toBe(run.healthy.events);
      expectAllArrived(run.healthy.lost);
      for (const k of ['p50Ms', 'p99Ms', 'deliveriesPerSecond']) expect(positive(run.healthy[k])).toBe(true);
    }
    expect(positive(slow.healthyThroughputRatio)).toBe(true);
    expect(slow.hangingCleared).toBe(true);
    expect(r.receiver.hangingOpen).toBe(0);

    // Fan-out
    expect(r.fanOut.map((f: { endpoints: number }) => f.endpoints)).toEqual([1, 10, 100]);
    for (const f of r.fanOut) {
      expect(f.complete).toBe(true);
      expect(f.delivered).toBe(f.endpoints);
      expect(positive(f.timeToAllMs)).toBe(true);
      expect(positive(f.deliveriesPerSecond)).toBe(true);
      for (const k of ['worker', 'api', 'temporal', 'postgres', 'total']) expect(finite(f.cpuMsPerDelivery[k])).toBe(true);
      expect(f.limitErrors).toBe(0);
    }

    // Issue 14's targets, each with what was measured; 10,000 endpoints are not part of a quick run.
    expect(Object.keys(r.targets).sort()).toEqual(['apiP99AtHalf', 'arrivalP99AtHalf', 'batchHeld', 'cpuPerDelivery', 'fanOut10000', 'healthyP99WithHanging', 'singleEventHeld']);
    for (const t of Object.values(r.targets) as Array<{ target: string; measured: string; met: boolean | null }>) {
      expect(t.target.length).toBeGreaterThan(10);
      expect(t.measured.length).toBeGreaterThan(0);
      expect([true, false, null]).toContain(t.met);
    }
    expect(r.targets.fanOut10000.met).toBeNull();
    expect(typeof r.targets.healthyP99WithHanging.met).toBe('boolean');

    // Resources of the worker, API and Temporal server
    for (const k of ['worker', 'api', 'temporal']) {
      expect(positive(r.resources[k].peakRssMB)).toBe(true);
      expect(positive(r.resources[k].cpuSeconds)).toBe(true);
    }

    // Every request the receiver answered carried a valid Standard Webhooks signature.
    expect(positive(r.receiver.verified)).toBe(true);
    expect(r.receiver.badSignatures).toBe(0);
    expect(r.receiver.referenceFailed).toBe(0);
    // Duplicates are allowed (at-least-once, same webhook-id); the table reports them.
    expect(finite(r.receiver.duplicates)).toBe(true);
  } catch (err) {
    // The bench's progress lines and table say why.
    process.stderr.write(`--- npm run bench -- --quick (tail of its output) ---\n${output}\n`);
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
