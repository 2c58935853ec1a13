// `npm run bench -- --compare-topologies`: what the production topology costs and buys on this
// machine. The same short plan (`--plan topologies`: the single-event ramp and hold, latency at 50%
// of the rate held, fan-out to 1,000) runs for each topology below, one after the other, each as a
// benchmark run of its own (`bench/run.ts` in a child process: its own stack, fresh databases,
// everything stopped and dropped before the next one starts); then one table compares them.
// BENCH_PLAN and the other BENCH_* variables apply to every run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeliveryWorkflows } from '../../src/workflows/types';
import { round } from './context';
import { table, topologyLabel } from './report';
import type { BenchResult, Topology } from './types';

type TopologyChoice = Pick<Topology, 'temporal' | 'workers'>;

/** Dev server first: the figures users know, then what the cluster changes, then what a second worker adds. */
export const COMPARED_TOPOLOGIES: readonly TopologyChoice[] = [
  { temporal: 'dev', workers: 1 },
  { temporal: 'cluster', workers: 1 },
  { temporal: 'cluster', workers: 2 },
];

export interface TopologyRun {
  topology: TopologyChoice;
  label: string;
  /** From spawning the run to its exit: the stack's start and stop included. */
  seconds: number;
  /** The run's whole result; null when it failed. */
  result: BenchResult | null;
  error: string | null;
}

/** The JSON of a comparison: every run's full result, in the order they ran. */
export interface TopologyComparison {
  kind: 'topology-comparison';
  startedAt: string;
  durationSeconds: number;
  plan: 'topologies';
  /** BENCH_PLAN of the comparison (applied to every run), if any. */
  planOverrides: unknown;
  deliveryWorkflows: DeliveryWorkflows;
  runs: TopologyRun[];
}

export async function compareTopologies(opts: {
  say: (line: string) => void;
  jsonOut?: string;
  deliveryWorkflows: DeliveryWorkflows;
  resultsDir: string;
}): Promise<void> {
  const started = Date.now();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'hookferry-topologies-'));
  let current: ChildProcess | undefined;
  let interrupted = false;
  // The run under way stops its stack and drops its databases; then no further run starts.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      opts.say(`${signal}: stopping the current run`);
      current?.kill('SIGTERM');
    });
  }
  const runs: TopologyRun[] = [];
  try {
    for (const [i, topology] of COMPARED_TOPOLOGIES.entries()) {
      if (interrupted) break;
      const label = topologyLabel(topology);
      const file = path.join(scratch, `${i}.json`);
      opts.say(`topology ${i + 1} of ${COMPARED_TOPOLOGIES.length}: ${label}`);
      const runStarted = Date.now();
      const args = ['--plan', 'topologies', '--temporal', topology.temporal, '--workers', String(topology.workers), '--delivery-workflows', opts.deliveryWorkflows, '--json-out', file];
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'run.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
        current = child;
        // Each run's own table joins its progress on stderr: stdout carries only the comparison.
        child.stdout!.pipe(process.stderr, { end: false });
        child.once('exit', (c) => resolve(c));
      });
      current = undefined;
      const seconds = round((Date.now() - runStarted) / 1000);
      let result: BenchResult | null = null;
      let error: string | null = null;
      try {
        if (code !== 0) throw new Error(`exited with ${code}`);
        result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      runs.push({ topology, label, seconds, result, error });
      opts.say(`topology ${i + 1} of ${COMPARED_TOPOLOGIES.length}: ${label}: ${error ? `FAILED (${error})` : 'done'} in ${seconds} s`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (interrupted) process.exit(130);

  const comparison: TopologyComparison = {
    kind: 'topology-comparison',
    startedAt: new Date(started).toISOString(),
    durationSeconds: round((Date.now() - started) / 1000),
    plan: 'topologies',
    planOverrides: process.env.BENCH_PLAN ? (JSON.parse(process.env.BENCH_PLAN) as unknown) : null,
    deliveryWorkflows: opts.deliveryWorkflows,
    runs,
  };
  const file = opts.jsonOut ?? path.join(opts.resultsDir, `${comparison.startedAt.replace(/[:.]/g, '-')}-topologies.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(comparison, null, 2));
  process.stdout.write(renderComparison(comparison));
  opts.say(`results written to ${path.relative(process.cwd(), file)}`);
  const failed = runs.filter((r) => r.error);
  if (failed.length > 0) throw new Error(`${failed.length} of ${runs.length} runs failed: ${failed.map((r) => r.label).join('; ')}`);
}

/** One table: a column per topology, a row per figure. */
export function renderComparison(c: TopologyComparison): string {
  const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US') : 'n/a');
  const first = c.runs.find((r) => r.result)?.result;
  const cell = (f: (r: BenchResult) => string | number) => c.runs.map((run) => (run.result ? String(f(run.result)) : `failed: ${run.error}`));
  const hold = (r: BenchResult) => r.singleEvent?.hold;
  const cpu = (r: BenchResult, k: string) => hold(r)?.cpuMsPerDelivery[k] ?? 'n/a';
  const half = (r: BenchResult) => r.latency.find((l) => l.fraction === 0.5);
  const fanOut = (r: BenchResult) => r.fanOut[r.fanOut.length - 1];
  const fanOutSize = first ? fanOut(first)?.endpoints : undefined;

  const rows: Array<Array<string | number>> = [
    [
      'Single-event deliveries/s held',
      ...cell((r) => {
        const s = r.singleEvent;
        if (!s) return 'not run';
        return s.sustainedDeliveriesPerSecond > 0 ? `${fmt(s.sustainedDeliveriesPerSecond)} (${s.heldSeconds} s)` : `not held: ${s.hold.deliveredPerSecond} at ${s.hold.targetRate} offered`;
      }),
    ],
    ['Machine cores busy during the hold (every process)', ...cell((r) => hold(r)?.cores.machine?.toFixed(2) ?? 'n/a')],
    ['CPU ms per delivery at the hold: worker(s)', ...cell((r) => cpu(r, 'worker'))],
    ['… API', ...cell((r) => cpu(r, 'api'))],
    ['… Temporal server', ...cell((r) => cpu(r, 'temporal'))],
    ['… PostgreSQL backends of Temporal\'s databases', ...cell((r) => (r.meta.topology.temporal === 'cluster' ? cpu(r, 'temporalPostgres') : 'none (SQLite in the server)'))],
    ['… PostgreSQL backends of Hookferry\'s database', ...cell((r) => cpu(r, 'postgres'))],
    ['… total', ...cell((r) => cpu(r, 'total'))],
    ['Deliveries/s if the machine were Hookferry\'s alone (cores ÷ total)', ...cell((r) => (r.singleEvent ? fmt(r.singleEvent.projectedOnIdleMachine) : 'n/a'))],
    ['Ingest → first arrival p50 / p99 at 50% load, ms', ...cell((r) => (half(r) ? `${half(r)!.p50Ms} / ${half(r)!.p99Ms} (at ${half(r)!.rate}/s${half(r)!.lost ? `, ${half(r)!.lost} lost` : ''})` : 'not run'))],
    ['API p50 / p99 at 50% load, ms', ...cell((r) => (half(r) ? `${half(r)!.apiP50Ms} / ${half(r)!.apiP99Ms}` : 'not run'))],
    [
      `Fan-out to ${fanOutSize === undefined ? 'N' : fmt(fanOutSize)}: first / all delivered, ms`,
      ...cell((r) => {
        const f = fanOut(r);
        if (!f) return 'not run';
        return f.complete ? `${fmt(f.timeToFirstMs)} / ${fmt(f.timeToAllMs)}` : `${fmt(f.delivered)} of ${fmt(f.endpoints)} delivered`;
      }),
    ],
    ['… CPU ms per delivery, total', ...cell((r) => fanOut(r)?.cpuMsPerDelivery.total ?? 'n/a')],
    ['Worker CPU s over the run, each worker', ...cell((r) => (r.meta.topology.workers > 1 ? Array.from({ length: r.meta.topology.workers }, (_, i) => r.resources[`worker${i + 1}`]?.cpuSeconds ?? 'n/a').join(' / ') : (r.resources.worker?.cpuSeconds ?? 'n/a')))],
    ['Peak RSS MB: worker(s) / Temporal server', ...cell((r) => `${r.resources.worker?.peakRssMB ?? 'n/a'} / ${r.resources.temporal?.peakRssMB ?? 'n/a'}`)],
    ['Temporal limit errors; events left to the reconciler; duplicates', ...cell((r) => `${r.limitErrors}; ${r.eventsLeftToReconciler}; ${r.receiver.duplicates}`)],
    ['Run, with the stack\'s start and stop, s', ...c.runs.map((run) => String(run.seconds))],
  ];
  const m = first?.meta.machine;
  const out = [
    '',
    `## Hookferry topologies (HOOKFERRY_DELIVERY_WORKFLOWS=${c.deliveryWorkflows})${m ? ` — ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}` : ''}, ${c.startedAt}, ${Math.round(c.durationSeconds / 60)} min`,
    '',
    'Each column is a run of its own, one after the other, with the same short plan (single-event ramp and hold, latency at 50% of the rate held, one fan-out). ' +
      'The cluster is temporal-server on PostgreSQL, as `npm run temporal:cluster -- start` runs it; its CPU per delivery counts the PostgreSQL backends of its two databases. ' +
      'On a shared machine compare CPU per delivery rather than rates, and look at the machine\'s busy cores.',
    '',
    table(['', ...c.runs.map((r) => r.label)], rows),
    '',
  ];
  return out.join('\n') + '\n';
}
