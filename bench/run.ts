// `npm run bench` — Hookferry's benchmark (issues 9 and 14). Starts its own stack (Temporal dev
// server, PostgreSQL database, worker and API processes) and a loopback receiver process, then
// measures, in this order: the raw-HTTP baseline; single-event ingestion (ramp, then a hold);
// latency at 25/50/90% of that rate; batch ingestion (ramp, then a hold); slow endpoints (healthy
// endpoints with and without 20% hanging ones); fan-out; resources. Progress goes to stderr, the
// table to stdout, JSON to bench/results/.
//
//   npm run bench                       full run (~25 min on 2 cores)
//   npm run bench -- --quick            smoke run (~2 min; every section at small scale)
//   npm run bench -- --json-out FILE    write the JSON to FILE instead of bench/results/
//   npm run bench -- --temporal-db memory|file
//   npm run bench -- --delivery-workflows every   the comparison run (a workflow per delivery)
//   npm run bench -- --temporal cluster --workers 2   the real Temporal server on PostgreSQL, 2 workers
//   npm run bench -- --compare-topologies   dev server + 1 worker, cluster + 1 and + 2 workers (~20 min)
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { sql } from 'kysely';
import { generateSecret } from '../src/domain/secrets';
import type { DeliveryWorkflows } from '../src/workflows/types';
import type { BaselineInput, BaselineResult } from './baseline';
import { eventHops, medianHops, type HopSample } from './lib/breakdown';
import { nowMs } from './lib/clock';
import { BenchContext, EVENT_TYPE, LOAD_CONNECTIONS, PAYLOAD_BYTES, round, sleep } from './lib/context';
import { fanOutSection } from './lib/fanOut';
import { latencyAtFractions } from './lib/latency';
import type { AcceptedEvent } from './lib/load';
import { processTree, ResourceMonitor, type Tracked } from './lib/procstat';
import { startReceiverProcess } from './lib/receiverClient';
import { renderTable, topologyLabel } from './lib/report';
import { slowEndpointSection, type SlowEndpointPlan } from './lib/slowEndpoints';
import { defaultTemporalDbFile, startBenchStack, type BenchStack, type TemporalTopology } from './lib/stack';
import { issue14Targets } from './lib/targets';
import { rampAndHold, type RampPlan } from './lib/throughput';
import { compareTopologies } from './lib/topologies';
import type { BenchResult, LatencyResult, SlowEndpointResult, ThroughputResult } from './lib/types';

const EventTypeNames = proto.api.enums.v1.EventType as unknown as Record<number, string>;
/** The worker's undici agent opens this many connections per origin (src/delivery/sendWebhook.ts). */
const WORKER_CONNECTIONS_PER_ORIGIN = 32;
/** The worker's activity slots (src/worker/worker.ts): deliveries in flight at once. */
const WORKER_ACTIVITY_SLOTS = 200;
/**
 * The API's per-key limit stays on, as in production, with a quota far above any rate this
 * machine reaches (1,000,000 events/s): it never refuses, but every request pays what it costs
 * (a query per lease of 50 tokens, a token per event of a batch).
 */
const API_RATE_LIMIT_PER_MINUTE = 60_000_000;
/**
 * Auto-disable out of the way: the slow-endpoint section's hanging endpoints time out on every
 * attempt and would otherwise be disabled after 4 failures (the default), ending the section's point.
 */
const FAILURE_THRESHOLD = 1_000_000;
/** The worker's default attempt timeout (HOOKFERRY_ATTEMPT_TIMEOUT_MS): how long a hanging endpoint holds an attempt. */
const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
const BATCH_EVENTS_PER_REQUEST = 100;

type PlanName = BenchResult['meta']['mode'];

interface Args {
  plan: PlanName;
  jsonOut?: string;
  temporalDb: 'memory' | 'file';
  /** HOOKFERRY_DELIVERY_WORKFLOWS for the run's worker: as-needed (the default) or every. */
  deliveryWorkflows: DeliveryWorkflows;
  /** Development: run only the fan-out section (with these sizes). */
  fanOutOnly: boolean;
  fanOutSizes?: number[];
  /** Extra Temporal dev server dynamic config (`--dc KEY=JSON`, repeatable). */
  dynamicConfig: Record<string, string | number | boolean>;
  /** The dev server, or the real server on PostgreSQL. */
  temporal: TemporalTopology;
  /** Worker processes. */
  workers: number;
  /** Run the topology comparison (each topology a run of its own) instead of one run. */
  compareTopologies: boolean;
}

const USAGE =
  'usage: npm run bench -- [--quick | --plan full|quick|topologies] [--temporal dev|cluster] [--workers N] [--json-out FILE] [--temporal-db memory|file] ' +
  '[--delivery-workflows as-needed|every] [--fanout-only] [--fanout-sizes N,N] [--dc KEY=JSON]\n' +
  '       npm run bench -- --compare-topologies [--json-out FILE] [--delivery-workflows as-needed|every]\n';

function parseArgs(argv: string[]): Args {
  const args: Args = { plan: 'full', temporalDb: 'memory', deliveryWorkflows: 'as-needed', fanOutOnly: false, dynamicConfig: {}, temporal: 'dev', workers: 1, compareTopologies: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.plan = 'quick';
    else if (a === '--plan') {
      const v = argv[++i];
      if (v !== 'full' && v !== 'quick' && v !== 'topologies') throw new Error('--plan takes full, quick or topologies');
      args.plan = v;
    } else if (a === '--temporal') {
      const v = argv[++i];
      if (v !== 'dev' && v !== 'cluster') throw new Error('--temporal takes dev or cluster');
      args.temporal = v;
    } else if (a === '--workers') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 8) throw new Error('--workers takes a whole number from 1 to 8');
      args.workers = v;
    } else if (a === '--compare-topologies') args.compareTopologies = true;
    else if (a === '--json-out') args.jsonOut = argv[++i];
    else if (a === '--temporal-db') {
      const v = argv[++i];
      if (v !== 'memory' && v !== 'file') throw new Error('--temporal-db takes memory or file');
      args.temporalDb = v;
    } else if (a === '--delivery-workflows') {
      const v = argv[++i];
      if (v !== 'as-needed' && v !== 'every') throw new Error('--delivery-workflows takes as-needed or every');
      args.deliveryWorkflows = v;
    } else if (a === '--fanout-only') args.fanOutOnly = true;
    else if (a === '--fanout-sizes') args.fanOutSizes = (argv[++i] ?? '').split(',').map(Number).filter((n) => n > 0);
    else if (a === '--dc') {
      const [k, ...v] = (argv[++i] ?? '').split('=');
      if (!k || v.length === 0) throw new Error('--dc takes KEY=JSON');
      args.dynamicConfig[k] = JSON.parse(v.join('=')) as string | number | boolean;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (args.compareTopologies && (args.plan !== 'full' || args.temporal !== 'dev' || args.workers !== 1 || args.fanOutOnly || args.temporalDb !== 'memory' || Object.keys(args.dynamicConfig).length > 0)) {
    throw new Error('--compare-topologies picks the plan and the topologies itself (only --json-out and --delivery-workflows go with it); BENCH_PLAN shortens it');
  }
  // The cluster server's store and dynamic config are the repository's (deploy/temporal/).
  if (args.temporal === 'cluster' && args.temporalDb === 'file') throw new Error('--temporal-db is the dev server\'s; the cluster server stores in PostgreSQL');
  if (args.temporal === 'cluster' && Object.keys(args.dynamicConfig).length > 0) {
    throw new Error('--dc is the dev server\'s; the cluster server reads deploy/temporal/dynamicconfig.yaml (TEMPORAL_DYNAMIC_CONFIG_FILE names another file)');
  }
  return args;
}

interface Plan {
  idleMs: number;
  /** 0 skips the baseline. */
  baselineMs: number;
  warmupEvents: number;
  drainMs: number;
  single: RampPlan;
  /** Latency phases at these fractions of the single-event sustained rate, latencyMs each. */
  latencyFractions: number[];
  latencyMs: number;
  /** null skips the section. */
  batch: RampPlan | null;
  /** Events/s of the slow-endpoint section: this fraction of the single-event sustained rate, at least minRate; null skips it. */
  slow: (SlowEndpointPlan & { loadFraction: number; minRate: number }) | null;
  fanOut: number[];
}

/**
 * Every duration and size of a run. quick shrinks them (every section still runs); topologies
 * is what --compare-topologies runs for each topology: the single-event ramp and hold, latency at
 * 50% and fan-out to 1,000, about 5 minutes with the stack's start and stop.
 */
function plan(name: PlanName): Plan {
  // A bound, not a wait: a drain ends as soon as everything has arrived.
  const drainMs = name === 'quick' ? 30_000 : name === 'topologies' ? 60_000 : 90_000;
  if (name === 'topologies') {
    return {
      idleMs: 5_000,
      baselineMs: 0,
      warmupEvents: 100,
      drainMs,
      // ×1.5 per 12 s step from 40/s: ~450/s after 7 steps; one refining step, a 45 s hold.
      single: { startRate: 40, factor: 1.5, maxSteps: 10, stepMs: 12_000, refine: true, holdMinMs: 45_000, holdMaxMs: 45_000, minDeliveries: 0, holdRetries: 3, drainMs },
      latencyFractions: [0.5],
      latencyMs: 20_000,
      batch: null,
      slow: null,
      fanOut: [1_000],
    };
  }
  if (name === 'quick') {
    // Light rates, well inside what a busy shared machine delivers: a quick run exercises every
    // section; an overloaded stack would only make the later sections wait for its backlog.
    const ramp = { maxSteps: 2, stepMs: 3_000, refine: false, holdMinMs: 5_000, holdMaxMs: 5_000, minDeliveries: 0, holdRetries: 0, drainMs };
    return {
      idleMs: 2_000,
      baselineMs: 2_000,
      warmupEvents: 20,
      drainMs,
      single: { ...ramp, startRate: 10, factor: 2 },
      latencyFractions: [0.25, 0.5, 0.9],
      latencyMs: 3_000,
      batch: { ...ramp, startRate: 100, factor: 1.5 },
      slow: { endpoints: 10, hangingFraction: 0.2, runMs: 4_000, drainMs, loadFraction: 0.5, minRate: 10 },
      fanOut: [1, 10, 100],
    };
  }
  return {
    idleMs: 10_000,
    baselineMs: 20_000,
    warmupEvents: 200,
    drainMs,
    // ×1.5 per 15 s step from 20/s (up to ~4,900/s). The hold runs until the section has 20,000
    // deliveries, at least 60 s and at most 5 minutes; the JSON says if it fell short.
    single: { startRate: 20, factor: 1.5, maxSteps: 14, stepMs: 15_000, refine: true, holdMinMs: 60_000, holdMaxMs: 300_000, minDeliveries: 20_000, holdRetries: 4, drainMs },
    latencyFractions: [0.25, 0.5, 0.9],
    latencyMs: 20_000,
    // ×1.5 per 15 s step from 250 events/s (2.5 requests/s of 100 events); the hold lasts 60 s.
    batch: { startRate: 250, factor: 1.5, maxSteps: 12, stepMs: 15_000, refine: true, holdMinMs: 60_000, holdMaxMs: 60_000, minDeliveries: 0, holdRetries: 3, drainMs },
    slow: { endpoints: 50, hangingFraction: 0.2, runMs: 60_000, drainMs, loadFraction: 0.5, minRate: 10 },
    fanOut: [1, 10, 100, 1_000, 5_000, 10_000],
  };
}

/** BENCH_PLAN='{"single":{"startRate":100},"latencyMs":10000}' overrides parts of the plan (experiments; `"batch":null` skips a section). */
function planWithOverrides(name: PlanName): Plan {
  const base = plan(name) as unknown as Record<string, unknown>;
  const overrides = process.env.BENCH_PLAN ? (JSON.parse(process.env.BENCH_PLAN) as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(overrides)) {
    const current = base[k];
    base[k] = current && typeof current === 'object' && !Array.isArray(current) && v && typeof v === 'object' ? { ...current, ...v } : v;
  }
  return base as unknown as Plan;
}

const started = Date.now();
function say(line: string): void {
  const s = Math.round((Date.now() - started) / 1000);
  process.stderr.write(`[${String(s).padStart(4)}s] ${line}\n`);
}

/** Extra environment for a child process, as JSON in an environment variable (profiling, experiments). */
function envJson(name: string): Record<string, string> | undefined {
  const raw = process.env[name];
  return raw ? (JSON.parse(raw) as Record<string, string>) : undefined;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.compareTopologies) {
    await compareTopologies({ say, jsonOut: args.jsonOut, deliveryWorkflows: args.deliveryWorkflows, resultsDir: path.join(__dirname, 'results') });
    return;
  }
  const quick = args.plan === 'quick';
  const P = planWithOverrides(args.plan);
  say(`Hookferry benchmark (${args.plan}) on ${topologyLabel({ temporal: args.temporal, workers: args.workers })}; ${os.cpus().length} cores, ${round(os.totalmem() / 2 ** 30)} GiB`);

  const secret = generateSecret();
  const receiver = await startReceiverProcess(secret);
  say(`receiver process ${receiver.pid} on ${receiver.url}`);
  let stack: BenchStack | undefined;
  let monitor: ResourceMonitor | undefined;
  let ctx: BenchContext | undefined;
  let temporalConnection: Connection | undefined;
  let failed = true;
  // One cleanup however many times it is asked for (Ctrl-C and a SIGTERM may both arrive).
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      monitor?.stop();
      await ctx?.close();
      await temporalConnection?.close().catch(() => undefined);
      await stack?.stop({ keepTemporalLog: failed }).catch((err: unknown) => say(`stopping the stack: ${String(err)}`));
      await receiver.stop().catch(() => undefined);
    })());
  // Ctrl-C / SIGTERM: stop the child processes and drop the database before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the stack`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const common = { HOOKFERRY_DELIVERY_WORKFLOWS: args.deliveryWorkflows, HOOKFERRY_FAILURE_THRESHOLD: String(FAILURE_THRESHOLD) };
    // A quick run's hanging endpoints hold an attempt 2 s instead of 10: the smoke run stays short.
    const quickEnv: Record<string, string> = quick ? { HOOKFERRY_ATTEMPT_TIMEOUT_MS: '2000' } : {};
    const workerEnv: Record<string, string> = { ...common, ...quickEnv, ...envJson('BENCH_WORKER_ENV') };
    // The health workflow takes its threshold from whichever process starts it: the API too.
    const apiEnv: Record<string, string> = { ...common, HOOKFERRY_RATE_LIMIT_PER_MINUTE: String(API_RATE_LIMIT_PER_MINUTE), ...envJson('BENCH_API_ENV') };
    stack = await startBenchStack({
      say,
      temporal: args.temporal,
      workers: args.workers,
      temporalDbFile: args.temporalDb === 'file' ? defaultTemporalDbFile() : undefined,
      dynamicConfig: args.dynamicConfig,
      workerEnv,
      apiEnv,
    });
    const s = stack;
    const limitErrors = () => s.temporal.limitErrors() + s.workers.reduce((n, w) => n + w.limitErrors(), 0) + s.api.limitErrors();

    const trees = new Map<number, { at: number; pids: number[] }>();
    const tree = (pid: number) => {
      const cached = trees.get(pid);
      if (cached && Date.now() - cached.at < 5_000) return cached.pids;
      const pids = processTree(pid);
      trees.set(pid, { at: Date.now(), pids });
      return pids;
    };
    const tracked: Tracked[] = [{ name: 'worker', pids: () => s.workers.flatMap((w) => tree(w.pid)) }];
    // Each worker on its own too (not counted again in the totals): how the work spread between them.
    if (s.workers.length > 1) s.workers.forEach((w, i) => tracked.push({ name: `worker${i + 1}`, pids: () => tree(w.pid) }));
    tracked.push({ name: 'api', pids: () => tree(s.api.pid) }, { name: 'temporal', pids: () => tree(s.temporal.pid) });
    if (s.temporal.kind === 'cluster') tracked.push({ name: 'temporalPostgres', pids: () => s.temporalPostgresPids() });
    tracked.push(
      { name: 'postgres', pids: () => s.postgresPids() },
      { name: 'receiver', pids: () => [receiver.pid] },
      { name: 'loadgen', pids: () => [process.pid] },
    );
    monitor = new ResourceMonitor(tracked);
    monitor.start();
    ctx = new BenchContext(say, s, receiver, monitor, secret, limitErrors);
    const c = ctx;
    temporalConnection = await Connection.connect({ address: s.temporalAddress });
    const temporal = new Client({ connection: temporalConnection });

    // One team with one webhook for the ingestion sections.
    const team = await c.createTeam('throughput');
    await c.addWebhooks(team.id, 1);

    // ---- warm-up (JIT, caches, connections); not measured
    say(`warm-up: ${P.warmupEvents} events`);
    const warm = c.ingestor(team.apiKey);
    await warm.runAtRate(20, (P.warmupEvents / 20) * 1000);
    const warmMissing = await c.drain(warm, 60_000);
    if (warmMissing > 0 || warm.totals.failed > 0) throw new Error(`warm-up: ${warmMissing} events never delivered, ${warm.totals.failed} failed; last ingest error: ${warm.lastErrorText}`);

    // The stack's own CPU with nothing to do (pollers, timers, background scans): a floor that
    // every rate pays, which is why CPU per delivery is higher at low rates.
    await sleep(2_000);
    const idleWin = c.cpuWindow();
    await sleep(P.idleMs);
    const idleCores = idleWin().cores;
    const idleTemporalPg = s.temporal.kind === 'cluster' ? `, temporal's postgres ${idleCores.temporalPostgres}` : '';
    say(`idle: worker ${idleCores.worker} cores, temporal ${idleCores.temporal}${idleTemporalPg}, api ${idleCores.api}, postgres ${idleCores.postgres} (machine ${idleCores.machine})`);

    // Results of the sections (null when --fanout-only skips them).
    let baseline: BenchResult['baseline'] = null;
    let singleEvent: ThroughputResult | null = null;
    let batch: ThroughputResult | null = null;
    let latency: LatencyResult[] = [];
    let slowEndpoints: SlowEndpointResult | null = null;
    let shape: BenchResult['workflowShape'] = null;
    let latencyBreakdown: Record<string, number> = {};
    if (!args.fanOutOnly && P.baselineMs > 0) {
      // ---- baseline: plain undici client → same receiver, same signing, same concurrency
      say(`baseline: undici → receiver, ${WORKER_ACTIVITY_SLOTS} in flight over ${WORKER_CONNECTIONS_PER_ORIGIN} connections, ${P.baselineMs / 1000}s`);
      const baseWin = c.cpuWindow();
      const base = await runBaseline({
        url: `${receiver.url}/baseline`,
        secret,
        concurrency: WORKER_ACTIVITY_SLOTS,
        connections: WORKER_CONNECTIONS_PER_ORIGIN,
        durationMs: P.baselineMs,
        maxRequests: 2_000_000,
        payloadBytes: PAYLOAD_BYTES,
      });
      baseline = { ...base, concurrency: WORKER_ACTIVITY_SLOTS, connections: WORKER_CONNECTIONS_PER_ORIGIN, cores: baseWin().cores };
      await c.arrivals.pull();
      say(`baseline: ${round(base.requestsPerSecond)} signed POSTs/s (p50 ${round(base.latencyP50Ms, 2)} ms, errors ${base.errors})`);
    }
    if (!args.fanOutOnly) {
      // ---- single-event ingestion: a ramp of rates through POST /v1/events, then a hold
      const singleIng = c.ingestor(team.apiKey);
      singleEvent = await rampAndHold(c, singleIng, 'single-event', P.single);

      // ---- latency at fractions (25/50/90%) of the single-event sustained rate
      const latencyBase = singleEvent.sustainedDeliveriesPerSecond > 0 ? singleEvent.sustainedDeliveriesPerSecond : singleEvent.hold.deliveredPerSecond;
      const lat = await latencyAtFractions(c, c.ingestor(team.apiKey), latencyBase, P.latencyFractions, { ms: P.latencyMs, drainMs: P.drainMs });
      latency = lat.results;
      shape = await workflowShape(c, temporal, singleIng.accepted.map((e) => e.id));
      latencyBreakdown = await hopBreakdown(c, temporal, lat.eventsAt.get(0.5) ?? []);

      // ---- batch ingestion: the same method through POST /v1/events/batch, 100 events a request
      if (P.batch) {
        const batchIng = c.ingestor(team.apiKey, { eventsPerRequest: BATCH_EVENTS_PER_REQUEST, maxInFlightRequests: 32 });
        batch = await rampAndHold(c, batchIng, 'batch', P.batch);
      }

      // ---- slow endpoints: last before fan-out, so their traffic is stopped before it
      if (P.slow) {
        const attemptTimeoutMs = Number(workerEnv.HOOKFERRY_ATTEMPT_TIMEOUT_MS ?? DEFAULT_ATTEMPT_TIMEOUT_MS);
        slowEndpoints = await slowEndpointSection(c, P.slow, Math.max(P.slow.minRate, P.slow.loadFraction * latencyBase), attemptTimeoutMs);
      }
    }

    // ---- fan-out: one event to N endpoints
    const fanOut = await fanOutSection(c, args.fanOutSizes ?? P.fanOut, P.drainMs);

    // ---- resources, and the result
    monitor.stop();
    const recv = await receiver.stats();
    const partial: Omit<BenchResult, 'targets'> = {
      meta: {
        startedAt: new Date(started).toISOString(),
        durationSeconds: round((Date.now() - started) / 1000),
        mode: args.plan,
        topology: {
          temporal: s.temporal.kind,
          workers: s.workers.length,
          apis: 1,
          temporalDatabases: s.temporal.databases,
          temporalDbMaxConns: s.temporal.dbMaxConns ?? null,
        },
        machine: { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
        temporalDb: args.temporalDb,
        deliveryWorkflows: args.deliveryWorkflows,
        apiRateLimitPerMinute: Number(apiEnv.HOOKFERRY_RATE_LIMIT_PER_MINUTE),
        failureThreshold: Number(workerEnv.HOOKFERRY_FAILURE_THRESHOLD),
        loadConnections: LOAD_CONNECTIONS,
        dynamicConfig: args.dynamicConfig,
        payloadBytes: PAYLOAD_BYTES,
        eventType: EVENT_TYPE,
        note: 'Shared machine: other processes (other people\'s test runs) may compete for the cores; see cores.machine per phase.',
      },
      baseline,
      singleEvent,
      batch,
      /** Every delivery Hookferry made in this run (every section). */
      deliveriesInRun: recv.verified - (baseline?.requests ?? 0),
      ratioToBaseline: singleEvent && baseline ? round(singleEvent.sustainedDeliveriesPerSecond / baseline.requestsPerSecond, 4) : null,
      latency,
      slowEndpoints,
      fanOut,
      workflowShape: shape,
      latencyBreakdownMs: latencyBreakdown,
      resources: monitor.summary(),
      idleCores,
      receiver: recv,
      limitErrors: limitErrors(),
      eventsLeftToReconciler: s.api.dispatchStartFailures(),
    };
    const result: BenchResult = { ...partial, targets: issue14Targets(partial) };

    // bench/results/<timestamp>.json, or only the --json-out file when one is named (the smoke test).
    const suffix = `${args.plan === 'full' ? '' : `-${args.plan}`}${args.temporal === 'cluster' ? '-cluster' : ''}${args.workers > 1 ? `-${args.workers}workers` : ''}`;
    const file = args.jsonOut ?? path.join(__dirname, 'results', `${new Date(started).toISOString().replace(/[:.]/g, '-')}${suffix}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(result, null, 2));
    process.stdout.write(renderTable(result));
    say(`results written to ${path.relative(process.cwd(), file)}`);
    failed = false;
  } finally {
    await cleanup();
  }
}

async function dispatchOf(ctx: BenchContext, eventId: string): Promise<string | undefined> {
  const row = await ctx.stack.db.selectFrom('events').select('dispatch_workflow_id').where('id', '=', eventId).executeTakeFirst();
  return row?.dispatch_workflow_id ?? undefined;
}

/** The history of one dispatch workflow of the section, and how many events the section's dispatches carried. */
async function workflowShape(ctx: BenchContext, temporal: Client, eventIds: string[]): Promise<BenchResult['workflowShape']> {
  if (eventIds.length === 0) return null;
  const sample = await dispatchOf(ctx, eventIds[eventIds.length - 1]!);
  const events = sample
    ? ((await temporal.workflow.getHandle(sample).fetchHistory()).events ?? []).map((e) => {
        const name = (EventTypeNames[e.eventType as number] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
        return e.markerRecordedEventAttributes?.markerName ? `${name}(${e.markerRecordedEventAttributes.markerName})` : name;
      })
    : [];
  const batches = await ctx.stack.db
    .selectFrom('events')
    .select((eb) => [eb.fn.count<string>('id').as('events'), eb.fn.count<string>('dispatch_workflow_id').distinct().as('dispatches')])
    .where(sql<boolean>`id = any(${eventIds}::text[])`)
    .executeTakeFirstOrThrow();
  const shape = {
    dispatchHistoryEvents: events.length,
    dispatchEvents: events,
    dispatchWorkflows: Number(batches.dispatches),
    eventsPerDispatch: round(Number(batches.events) / Math.max(1, Number(batches.dispatches))),
  };
  ctx.say(`workflow shape: ${shape.dispatchWorkflows} dispatch workflows for ${batches.events} events (${shape.eventsPerDispatch} each), ${shape.dispatchHistoryEvents} history events each`);
  return shape;
}

/** Where the time goes at 50% load: per-hop medians from the workflows' histories of up to 40 events. */
async function hopBreakdown(ctx: BenchContext, temporal: Client, events: AcceptedEvent[]): Promise<Record<string, number>> {
  const wallOffset = Date.now() - nowMs();
  const samples: HopSample[] = [];
  const step = Math.max(1, Math.floor(events.length / 40));
  for (let i = 0; i < events.length && samples.length < 40; i += step) {
    const { id, sentAt } = events[i]!;
    const arrived = ctx.arrivals.get(id);
    const dispatchId = await dispatchOf(ctx, id);
    const delivery = await ctx.stack.db.selectFrom('deliveries').select('delivery_workflow_id').where('event_id', '=', id).executeTakeFirst();
    if (arrived === undefined || !dispatchId || !delivery) continue;
    samples.push(await eventHops(temporal, dispatchId, delivery.delivery_workflow_id ?? undefined, sentAt + wallOffset, arrived + wallOffset));
  }
  const hops = medianHops(samples);
  ctx.say(`latency breakdown at 50% load (medians, ms): ${Object.entries(hops).map(([k, v]) => `${k} ${v}`).join('; ')}`);
  return hops;
}

function runBaseline(input: BaselineInput): Promise<BaselineResult> {
  const child = fork(path.join(__dirname, 'baseline.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('baseline did not finish in time'));
    }, input.durationMs + 60_000);
    child.once('message', (msg: { ok: boolean; result?: BaselineResult; error?: string }) => {
      clearTimeout(timer);
      if (msg.ok && msg.result) resolve(msg.result);
      else reject(new Error(`baseline failed: ${msg.error}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`baseline exited with ${code}`));
    });
    child.send(input);
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`benchmark failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
