import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Smoke test of the benchmark (`npm run bench -- --quick`): it starts its own stack, runs every
// section briefly and writes well-formed JSON. The figures themselves are not checked — this
// machine is shared — only that every section is there and its numbers are finite and positive.
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
    child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;

test('npm run bench -- --quick writes a complete, well-formed result', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookferry-bench-'));
  const file = path.join(dir, 'result.json');
  try {
    const { code, output } = await runQuickBench(file);
    if (code !== 0) throw new Error(`bench exited with ${code}:\n${output}`);
    expect(output).toContain('## Hookferry benchmark (quick, HOOKFERRY_DELIVERY_WORKFLOWS=as-needed)');
    const r = JSON.parse(readFileSync(file, 'utf8'));

    expect(r.meta.mode).toBe('quick');
    expect(positive(r.meta.machine.cores)).toBe(true);

    // (4) baseline
    expect(positive(r.baseline.requestsPerSecond)).toBe(true);
    expect(r.baseline.errors).toBe(0);

    // (1) throughput: a ramp, a hold, deliveries counted
    expect(r.throughput.ramp.length).toBeGreaterThan(0);
    for (const step of [...r.throughput.ramp, r.throughput.hold]) {
      expect(positive(step.targetRate)).toBe(true);
      expect(positive(step.seconds)).toBe(true);
      expect(finite(step.deliveredPerSecond)).toBe(true);
      expect(finite(step.backlogEnd)).toBe(true);
      expect(Number.isFinite(step.backlogSlopePerSecond)).toBe(true);
      for (const k of ['worker', 'api', 'temporal', 'postgres', 'machine']) expect(finite(step.cores[k])).toBe(true);
    }
    expect(positive(r.throughput.hold.deliveredPerSecond)).toBe(true);
    expect(finite(r.throughput.sustainedDeliveriesPerSecond)).toBe(true);
    expect(positive(r.throughput.totalDelivered)).toBe(true);
    expect(finite(r.ratioToBaseline)).toBe(true);

    // (2) latency at 25/50/90%
    expect(r.latency.map((l: { fraction: number }) => l.fraction)).toEqual([0.25, 0.5, 0.9]);
    for (const l of r.latency) {
      for (const k of ['rate', 'p50Ms', 'p95Ms', 'p99Ms']) expect(positive(l[k])).toBe(true);
      expect(l.p50Ms).toBeLessThanOrEqual(l.p99Ms);
    }
    expect(Object.keys(r.latencyBreakdownMs).length).toBeGreaterThan(5);

    // (3) fan-out
    expect(r.fanOut.map((f: { endpoints: number }) => f.endpoints)).toEqual([1, 10, 100]);
    for (const f of r.fanOut) {
      expect(positive(f.delivered)).toBe(true);
      expect(positive(f.timeToAllMs)).toBe(true);
      expect(positive(f.deliveriesPerSecond)).toBe(true);
      for (const k of ['worker', 'api', 'temporal', 'postgres', 'total']) expect(finite(f.cpuMsPerDelivery[k])).toBe(true);
      expect(finite(f.limitErrors)).toBe(true);
    }
    expect(positive(r.workflowShape.dispatchHistoryEvents)).toBe(true);
    expect(positive(r.workflowShape.dispatchWorkflows)).toBe(true);
    expect(positive(r.workflowShape.eventsPerDispatch)).toBe(true);

    // (5) resources of the worker, API and Temporal server
    for (const k of ['worker', 'api', 'temporal']) {
      expect(positive(r.resources[k].peakRssMB)).toBe(true);
      expect(positive(r.resources[k].cpuSeconds)).toBe(true);
    }

    // Every request the receiver got carried a valid Standard Webhooks signature.
    expect(positive(r.receiver.verified)).toBe(true);
    expect(r.receiver.badSignatures).toBe(0);
    expect(r.receiver.referenceFailed).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
