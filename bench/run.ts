// `npm run bench` — Hookferry's benchmark (issue 9). Starts its own stack (Temporal dev
// server, PostgreSQL database, worker and API processes) and a loopback receiver process,
// then measures sustained throughput, latency, fan-out scaling, the raw-HTTP baseline and
// resource use. Progress goes to stderr; the table to stdout; JSON to bench/results/.
//
//   npm run bench                       full run (~10-15 min on 2 cores)
//   npm run bench -- --quick            smoke run (< 2 min)
//   npm run bench -- --json-out FILE    write the JSON to FILE instead of bench/results/
//   npm run bench -- --temporal-db memory|file
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { sql } from 'kysely';
import { generateSecret } from '../src/domain/secrets';
import { newId } from '../src/ids';
import type { BaselineInput, BaselineResult } from './baseline';
import { nowMs } from './lib/clock';
import { eventHops, medianHops, type HopSample } from './lib/breakdown';
import { percentile } from '../scripts/lib/percentile';
import { Ingestor, slope } from './lib/load';
import { processTree, ResourceMonitor } from './lib/procstat';
import { startReceiverProcess, type ReceiverHandle } from './lib/receiverClient';
import { BENCH_ADMIN_KEY, defaultTemporalDbFile, startBenchStack, TEMPORAL_LIMIT_ERROR, type BenchStack } from './lib/stack';
import { renderTable } from './lib/report';
import type { BenchResult, FanOutResult, LatencyResult, RampStep } from './lib/types';
import type { DeliveryWorkflows } from '../src/workflows/types';

const EVENT_TYPE = 'prospect.qualified';
const EventTypeNames = proto.api.enums.v1.EventType as unknown as Record<number, string>;
const PAYLOAD_BYTES = 512;
/** The worker's undici agent opens this many connections per origin (src/http/sendWebhook.ts). */
const WORKER_CONNECTIONS_PER_ORIGIN = 32;
/** The worker's activity slots (src/worker/worker.ts): deliveries in flight at once. */
const WORKER_ACTIVITY_SLOTS = 200;

interface Args {
  quick: boolean;
  jsonOut?: string;
  temporalDb: 'memory' | 'file';
  /** HOOKFERRY_DELIVERY_WORKFLOWS for the run's worker: as-needed (the default) or every. */
  deliveryWorkflows: DeliveryWorkflows;
  /** Development: run only the fan-out section (with these sizes). */
  fanOutOnly: boolean;
  fanOutSizes?: number[];
  /** Extra Temporal dev server dynamic config (`--dc KEY=JSON`, repeatable). */
  dynamicConfig: Record<string, string | number | boolean>;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, temporalDb: 'memory', deliveryWorkflows: 'as-needed', fanOutOnly: false, dynamicConfig: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
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
      process.stdout.write('usage: npm run bench -- [--quick] [--json-out FILE] [--temporal-db memory|file] [--delivery-workflows as-needed|every]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Every duration and size of a run; --quick shrinks them. */
function plan(quick: boolean) {
  return quick
    ? { idleMs: 3_000, baselineMs: 3_000, warmupEvents: 20, rampStartRate: 20, rampFactor: 2, rampStepMs: 4_000, rampMaxSteps: 3, refine: false, holdMinMs: 8_000, holdMaxMs: 8_000, minThroughputDeliveries: 0, latencyMs: 4_000, fanOut: [1, 10, 100], drainMs: 20_000, holdRetries: 0 }
    : // The hold runs until the throughput section has 20,000 deliveries, but at most 5 minutes so
      // that a run stays near 15 minutes on a slow (or shared) machine; the JSON says if it fell short.
      { idleMs: 10_000, baselineMs: 20_000, warmupEvents: 200, rampStartRate: 10, rampFactor: 1.5, rampStepMs: 15_000, rampMaxSteps: 12, refine: true, holdMinMs: 60_000, holdMaxMs: 300_000, minThroughputDeliveries: 20_000, latencyMs: 20_000, fanOut: [1, 10, 100, 1_000, 5_000], drainMs: 90_000, holdRetries: 4 };
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // BENCH_PLAN='{"rampStartRate":100,...}' overrides parts of the plan (experiments).
  const P = { ...plan(args.quick), ...(process.env.BENCH_PLAN ? (JSON.parse(process.env.BENCH_PLAN) as Partial<ReturnType<typeof plan>>) : {}) };
  say(`Hookferry benchmark (${args.quick ? 'quick' : 'full'}) on ${os.cpus().length} cores, ${round(os.totalmem() / 2 ** 30)} GiB`);

  const secret = generateSecret();
  const receiver = await startReceiverProcess(secret);
  say(`receiver process ${receiver.pid} on ${receiver.url}`);
  let stack: BenchStack | undefined;
  let monitor: ResourceMonitor | undefined;
  let ingest: Ingestor | undefined;
  let temporalConnection: Connection | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    monitor?.stop();
    await ingest?.close().catch(() => undefined);
    await temporalConnection?.close().catch(() => undefined);
    await stack?.stop().catch((err: unknown) => say(`stopping the stack: ${String(err)}`));
    await receiver.stop().catch(() => undefined);
  };
  // Ctrl-C / SIGTERM: stop the child processes and drop the database before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the stack`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const modeEnv = { HOOKFERRY_DELIVERY_WORKFLOWS: args.deliveryWorkflows };
    stack = await startBenchStack({
      say,
      temporalDbFile: args.temporalDb === 'file' ? defaultTemporalDbFile() : undefined,
      dynamicConfig: args.dynamicConfig,
      workerEnv: { ...modeEnv, ...envJson('BENCH_WORKER_ENV') },
      apiEnv: { ...modeEnv, ...envJson('BENCH_API_ENV') },
    });
    const s = stack;
    let temporalLimitErrors = 0;
    const countTemporal = (c: Buffer) => {
      for (const line of c.toString().split('\n')) if (TEMPORAL_LIMIT_ERROR.test(line)) temporalLimitErrors++;
    };
    s.temporal.process.stdout?.on('data', countTemporal);
    s.temporal.process.stderr?.on('data', countTemporal);
    const limitErrors = () => temporalLimitErrors + s.worker.limitErrors() + s.api.limitErrors();

    const trees = new Map<number, { at: number; pids: number[] }>();
    const tree = (pid: number) => {
      const cached = trees.get(pid);
      if (cached && Date.now() - cached.at < 5_000) return cached.pids;
      const pids = processTree(pid);
      trees.set(pid, { at: Date.now(), pids });
      return pids;
    };
    monitor = new ResourceMonitor([
      { name: 'worker', pids: () => tree(s.worker.pid) },
      { name: 'api', pids: () => tree(s.api.pid) },
      { name: 'temporal', pids: () => tree(s.temporal.process.pid!) },
      { name: 'postgres', pids: () => s.postgresPids() },
      { name: 'receiver', pids: () => [receiver.pid] },
      { name: 'loadgen', pids: () => [process.pid] },
    ]);
    monitor.start();
    const mon = monitor;
    const cpuWindow = () => {
      const c0 = mon.cpuNow();
      const m0 = mon.machineBusyNow();
      const t0 = nowMs();
      return () => {
        const c1 = mon.cpuNow();
        const secs = (nowMs() - t0) / 1000;
        const cores: Record<string, number> = {};
        for (const k of Object.keys(c1)) cores[k] = round((c1[k]! - (c0[k] ?? 0)) / secs, 2);
        cores.machine = round((mon.machineBusyNow() - m0) / secs, 2);
        return { cores, cpuSeconds: Object.fromEntries(Object.keys(c1).map((k) => [k, c1[k]! - (c0[k] ?? 0)])), seconds: secs };
      };
    };

    // A team with one webhook pointing at the receiver (rows written directly: fast and exact).
    const createTeam = async (label: string) => {
      const res = await fetch(`${s.apiUrl}/admin/v1/teams`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench ${label}`, notificationEmail: 'bench@example.com', credits: 1_000_000_000 }),
      });
      if (res.status !== 201) throw new Error(`creating a team failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; apiKey: string };
    };
    const addWebhooks = async (teamId: string, count: number) => {
      for (let i = 0; i < count; i += 1_000) {
        const rows = Array.from({ length: Math.min(1_000, count - i) }, (_, j) => ({
          id: newId('wh'),
          team_id: teamId,
          name: `bench-${i + j}`,
          url: `${receiver.url}/hook/${i + j}`,
          secret,
          events: ['*'],
          retry_schedule: JSON.stringify('exponential'),
        }));
        await s.db.insertInto('webhooks').values(rows).execute();
      }
    };

    const team = await createTeam('throughput');
    await addWebhooks(team.id, 1);
    ingest = new Ingestor(s.apiUrl, team.apiKey, EVENT_TYPE, PAYLOAD_BYTES);
    const ing = ingest;
    temporalConnection = await Connection.connect({ address: s.temporalAddress });
    const temporal = new Client({ connection: temporalConnection });

    // Arrival bookkeeping: first arrival per event, pulled from the receiver.
    const arrivals = new Map<string, number>();
    const pullArrivals = async () => {
      for (const [id, at] of await receiver.drainFirsts()) arrivals.set(id, at);
    };
    const delivered = (ids: Iterable<string>) => {
      let n = 0;
      for (const id of ids) if (arrivals.has(id)) n++;
      return n;
    };
    /** Waits until every accepted event has arrived (or `ms` passes); returns how many are still missing. */
    const drain = async (ms: number): Promise<number> => {
      const until = nowMs() + ms;
      for (;;) {
        await pullArrivals();
        const missing = ing.sentAt.size - delivered(ing.sentAt.keys());
        if (missing === 0 || nowMs() > until) return missing;
        await sleep(250);
      }
    };

    // ---- warm-up (JIT, caches, connections); not measured
    say(`warm-up: ${P.warmupEvents} events`);
    await ing.runAtRate(20, (P.warmupEvents / 20) * 1000);
    const warmMissing = await drain(60_000);
    if (warmMissing > 0) throw new Error(`warm-up: ${warmMissing} events were never delivered; last ingest error: ${ing.lastErrorText}`);
    const warmupIds = new Set(ing.sentAt.keys());
    ing.takeApiLatency();

    // The stack's own CPU with nothing to do (pollers, timers, background scans): a floor that
    // every rate pays, which is why CPU per delivery is higher at low rates.
    await sleep(2_000);
    const idleWin = cpuWindow();
    await sleep(P.idleMs);
    const idleCores = idleWin().cores;
    say(`idle: worker ${idleCores.worker} cores, temporal ${idleCores.temporal}, api ${idleCores.api}, postgres ${idleCores.postgres} (machine ${idleCores.machine})`);

    // Results of the sections (defaults stand when --fanout-only skips them).
    let baseline: BaselineResult = { requests: 0, errors: 0, seconds: 0, requestsPerSecond: 0, latencyP50Ms: 0, latencyP99Ms: 0 };
    let baseCpu = { cores: {} as Record<string, number> };
    const ramp: RampStep[] = [];
    let hold: RampStep | undefined;
    let throughputIds: string[] = [];
    let throughputMissing = 0;
    const holdLatencies: number[] = [];
    let sustainedRate = 0;
    const latency: LatencyResult[] = [];
    let shape: BenchResult['workflowShape'] = { dispatchHistoryEvents: 0, dispatchEvents: [], dispatchWorkflows: 0, eventsPerDispatch: 0 };
    let latencyBreakdown: Record<string, number> = {};
    if (!args.fanOutOnly) {
      // ---- (4) baseline: plain undici client → same receiver, same signing, same concurrency
      say(`baseline: undici → receiver, ${WORKER_ACTIVITY_SLOTS} in flight over ${WORKER_CONNECTIONS_PER_ORIGIN} connections, ${P.baselineMs / 1000}s`);
      const baseWin = cpuWindow();
      baseline = await runBaseline({
        url: `${receiver.url}/baseline`,
        secret,
        concurrency: WORKER_ACTIVITY_SLOTS,
        connections: WORKER_CONNECTIONS_PER_ORIGIN,
        durationMs: P.baselineMs,
        maxRequests: 2_000_000,
        payloadBytes: PAYLOAD_BYTES,
      });
      baseCpu = baseWin();
      await pullArrivals();
      say(`baseline: ${round(baseline.requestsPerSecond)} signed POSTs/s (p50 ${round(baseline.latencyP50Ms, 2)} ms, errors ${baseline.errors})`);

      // ---- (1) sustained throughput: a ramp of ingest rates, then a hold at the best one
      const backlog = () => {
        let n = 0;
        for (const id of ing.sentAt.keys()) if (!arrivals.has(id)) n++;
        return n + ing.pending;
      };
      const runStep = async (rate: number, ms: number, label: string): Promise<RampStep> => {
        const win = cpuWindow();
        const before = { sent: ing.totals.sent, failed: ing.totals.failed, arrived: arrivals.size };
        const t0 = nowMs();
        const points: Array<[number, number]> = [];
        const progress = async () => {
          await pullArrivals();
          const b = backlog();
          const t = (nowMs() - t0) / 1000;
          points.push([t, b]);
          // Clearly falling behind (15 s of work queued, after 30 s): stop here, no need to wait out the step.
          if (t >= 30 && b > Math.max(100, rate * 15)) {
            say(`${label} ${round(rate)}/s: backlog ${b} after ${Math.round(t)}s, stopping the step early`);
            return true;
          }
          if (Math.round(t) % 5 === 0) {
            const c = mon.cpuNow();
            say(`${label} ${round(rate)}/s t=${Math.round(t)}s sent ${ing.totals.sent - before.sent} delivered ${arrivals.size - before.arrived} backlog ${b} | cpu s: ${Object.entries(c).map(([k, v]) => `${k} ${round(v)}`).join(' ')}`);
          }
          return false;
        };
        const r = await ing.runAtRate(rate, ms, progress);
        await pullArrivals();
        const cpu = win();
        const secs = (nowMs() - t0) / 1000;
        const api = ing.takeApiLatency();
        // Backlog trend over the later part of the step (after the first quarter, ≥ 3 s).
        const skip = Math.max(3, (ms / 1000) * 0.25);
        const late = points.filter(([t]) => t >= skip);
        const backlogSlope = slope(late);
        const backlogEnd = backlog();
        const failed = ing.totals.failed - before.failed;
        const deliveredInStep = arrivals.size - before.arrived;
        const sustained =
          !r.stoppedEarly &&
          r.skipped === 0 &&
          failed <= Math.max(1, 0.005 * r.sent) &&
          // Noise at low rates is a few events either way; a real deficit grows steadily.
        backlogSlope <= Math.max(2, 0.05 * rate) &&
          backlogEnd <= Math.max(30, rate * 2);
        const step: RampStep = {
          label,
          targetRate: round(rate),
          seconds: round(secs),
          sent: r.sent,
          skipped: r.skipped,
          failed,
          delivered: deliveredInStep,
          deliveredPerSecond: round(deliveredInStep / secs),
          backlogEnd,
          backlogSlopePerSecond: round(backlogSlope, 2),
          apiP50Ms: round(api.p50),
          apiP99Ms: round(api.p99),
          cores: cpu.cores,
          cpuMsPerDelivery: round((['worker', 'api', 'temporal', 'postgres'].reduce((a, k) => a + (cpu.cores[k] ?? 0), 0) * 1000) / Math.max(0.1, deliveredInStep / secs), 1),
          sustained,
        };
        say(`${label} ${round(rate)}/s → ${sustained ? 'held' : 'NOT held'}: delivered ${step.deliveredPerSecond}/s, backlog ${backlogEnd} (slope ${step.backlogSlopePerSecond}/s), api p99 ${step.apiP99Ms} ms, skipped ${r.skipped}, failed ${failed}`);
        return step;
      };

      const throughputStartArrivals = arrivals.size;
      let best = 0;
      let failedAt = 0;
      let rate = P.rampStartRate;
      for (let i = 0; i < P.rampMaxSteps; i++) {
        const step = await runStep(rate, P.rampStepMs, 'ramp');
        ramp.push(step);
        if (!step.sustained) {
          failedAt = rate;
          break;
        }
        best = rate;
        rate *= P.rampFactor;
      }
      if (failedAt > 0) {
        const left = await drain(P.drainMs);
        say(`drained after the ramp (${left} still in flight)`);
        if (P.refine && best > 0) {
          const mid = (best + failedAt) / 2;
          const step = await runStep(mid, P.rampStepMs, 'refine');
          ramp.push(step);
          if (step.sustained) best = mid;
          else say(`drained (${await drain(P.drainMs)} still in flight)`);
        }
      }
      if (best === 0) best = P.rampStartRate / 2;

      // Hold at the best rate for at least holdMinMs, long enough to reach the total.
      let holdRate = best;
      for (let attempt = 0; attempt <= P.holdRetries; attempt++) {
        const soFar = arrivals.size - throughputStartArrivals;
        const needMs = ((P.minThroughputDeliveries - soFar) / holdRate) * 1000;
        // A retry (after a failed hold) only proves the lower rate for the minimum time.
        const holdMs = attempt === 0 ? Math.min(P.holdMaxMs, Math.max(P.holdMinMs, needMs)) : P.holdMinMs;
        say(`hold at ${round(holdRate)}/s for ${round(holdMs / 1000)}s`);
        hold = await runStep(holdRate, holdMs, 'hold');
        if (hold.sustained) break;
        if (attempt < P.holdRetries) {
          ramp.push({ ...hold, label: 'hold (failed)' });
          say(`hold not sustained; draining and trying ${round(holdRate * 0.85)}/s`);
          await drain(P.drainMs);
          holdRate *= 0.85;
        }
      }
      throughputMissing = await drain(P.drainMs);
      throughputIds = [...ing.sentAt.keys()].filter((id) => !warmupIds.has(id));
      sustainedRate = hold!.sustained ? hold!.deliveredPerSecond : 0;

      // ---- (2) latency at 25/50/90% of the sustained throughput
      let halfLoadIds: string[] = [];
      const latencyBase = sustainedRate > 0 ? sustainedRate : hold!.deliveredPerSecond;
      for (const fraction of [0.25, 0.5, 0.9]) {
        await drain(P.drainMs);
        const before = new Set(ing.sentAt.keys());
        const r = fraction * latencyBase;
        say(`latency at ${fraction * 100}% = ${round(r)}/s for ${P.latencyMs / 1000}s`);
        const win = cpuWindow();
        await ing.runAtRate(r, P.latencyMs);
        const missing = await drain(P.drainMs);
        const cpu = win();
        const values: number[] = [];
        let lost = 0;
        const phaseIds: string[] = [];
        for (const [id, sentAt] of ing.sentAt) {
          if (before.has(id)) continue;
          phaseIds.push(id);
          const at = arrivals.get(id);
          if (at === undefined) lost++;
          else values.push(at - sentAt);
        }
        values.sort((a, b) => a - b);
        latency.push({ fraction, rate: round(r), events: values.length + lost, lost, p50Ms: round(percentile(values, 50)), p95Ms: round(percentile(values, 95)), p99Ms: round(percentile(values, 99)), maxMs: round(values[values.length - 1] ?? 0), cores: cpu.cores });
        if (fraction === 0.5) halfLoadIds = phaseIds;
        say(`latency at ${fraction * 100}%: p50 ${round(percentile(values, 50))} ms, p95 ${round(percentile(values, 95))} ms, p99 ${round(percentile(values, 99))} ms (${missing} missing)`);
      }
      for (const id of throughputIds) {
        const at = arrivals.get(id);
        if (at !== undefined) holdLatencies.push(at - ing.sentAt.get(id)!);
      }

      // Workflow shape: a dispatch workflow of the hold, and how many events each dispatch carried.
      const historyEvents = async (workflowId: string) =>
        ((await temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? []).map((e) => {
          const name = (EventTypeNames[e.eventType as number] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
          return e.markerRecordedEventAttributes?.markerName ? `${name}(${e.markerRecordedEventAttributes.markerName})` : name;
        });
      const dispatchOf = async (eventId: string) =>
        (await s.db.selectFrom('events').select('dispatch_workflow_id').where('id', '=', eventId).executeTakeFirst())?.dispatch_workflow_id ?? undefined;
      const sampleDispatch = await dispatchOf(throughputIds[throughputIds.length - 1]!);
      const dispatchEvents = sampleDispatch ? await historyEvents(sampleDispatch) : [];
      const batches = await s.db
        .selectFrom('events')
        .select((eb) => [eb.fn.count<string>('id').as('events'), eb.fn.count<string>('dispatch_workflow_id').distinct().as('dispatches')])
        .where(sql<boolean>`id = any(${throughputIds}::text[])`)
        .executeTakeFirstOrThrow();
      shape = {
        dispatchHistoryEvents: dispatchEvents.length,
        dispatchEvents,
        dispatchWorkflows: Number(batches.dispatches),
        eventsPerDispatch: round(Number(batches.events) / Math.max(1, Number(batches.dispatches))),
      };
      say(`workflow shape: ${shape.dispatchWorkflows} dispatch workflows for ${batches.events} events (${shape.eventsPerDispatch} each), ${shape.dispatchHistoryEvents} history events each`);

      // Where the time goes at 50% load: per-hop medians from the workflows' histories.
      const wallOffset = Date.now() - nowMs();
      const hopSamples: HopSample[] = [];
      const step = Math.max(1, Math.floor(halfLoadIds.length / 40));
      for (let i = 0; i < halfLoadIds.length && hopSamples.length < 40; i += step) {
        const id = halfLoadIds[i]!;
        const arrived = arrivals.get(id);
        const dispatchId = await dispatchOf(id);
        const delivery = await s.db.selectFrom('deliveries').select('delivery_workflow_id').where('event_id', '=', id).executeTakeFirst();
        if (arrived === undefined || !dispatchId || !delivery) continue;
        const ownWorkflow = delivery.delivery_workflow_id ?? undefined;
        hopSamples.push(await eventHops(temporal, dispatchId, ownWorkflow, ing.sentAt.get(id)! + wallOffset, arrived + wallOffset));
      }
      latencyBreakdown = medianHops(hopSamples);
      say(`latency breakdown at 50% load (medians, ms): ${Object.entries(latencyBreakdown).map(([k, v]) => `${k} ${v}`).join('; ')}`);

    }

    // ---- (3) fan-out: one event to N endpoints
    const fanOut: FanOutResult[] = [];
    for (const n of args.fanOutSizes ?? P.fanOut) {
      const t = await createTeam(`fan-out ${n}`);
      await addWebhooks(t.id, n);
      await drain(P.drainMs);
      await sleep(1_000);
      const limitBefore = limitErrors();
      const win = cpuWindow();
      const res = await ing.sendOne(0, t.apiKey);
      if (!res.id) throw new Error(`fan-out ${n}: ingest failed: ${ing.lastErrorText}`);
      const timeoutMs = 60_000 + n * 60;
      const until = nowMs() + timeoutMs;
      let arrived = { first: 0, last: 0, count: 0 };
      let lastSay = nowMs();
      for (;;) {
        arrived = (await receiver.events([res.id]))[0] ?? arrived;
        if (arrived.count >= n || nowMs() > until) break;
        if (nowMs() - lastSay > 5_000) {
          lastSay = nowMs();
          say(`fan-out ${n}: ${arrived.count} delivered after ${round((nowMs() - res.sentAt) / 1000)}s`);
        }
        await sleep(n >= 1_000 ? 200 : 20);
      }
      const cpu = win();
      await pullArrivals();
      // Rows are marked succeeded just after the receiver answers: give them a moment.
      for (let i = 0; i < 50; i++) {
        const done = await s.db.selectFrom('deliveries').select(sql<number>`count(*)::int`.as('n')).where('event_id', '=', res.id).where('status', '=', 'succeeded').executeTakeFirst();
        if ((done?.n ?? 0) >= n) break;
        await sleep(100);
      }
      const statuses = await s.db.selectFrom('deliveries').select(['status', sql<number>`count(*)::int`.as('n')]).where('event_id', '=', res.id).groupBy('status').execute();
      const succeeded = statuses.find((x) => x.status === 'succeeded')?.n ?? 0;
      const timeToAllMs = arrived.count >= n ? arrived.last - res.sentAt : NaN;
      const cpuMsPerDelivery: Record<string, number> = {};
      let total = 0;
      for (const k of ['worker', 'api', 'temporal', 'postgres', 'receiver']) {
        const ms = ((cpu.cpuSeconds[k] ?? 0) * 1000) / Math.max(1, arrived.count);
        cpuMsPerDelivery[k] = round(ms, 2);
        if (k !== 'receiver') total += ms;
      }
      cpuMsPerDelivery.total = round(total, 2);
      const result: FanOutResult = {
        endpoints: n,
        delivered: arrived.count,
        succeededRows: succeeded,
        timeToFirstMs: round(arrived.first - res.sentAt),
        timeToAllMs: round(timeToAllMs),
        deliveriesPerSecond: round(arrived.count / Math.max(0.001, (arrived.last - res.sentAt) / 1000)),
        wallMsPerDelivery: round(timeToAllMs / n, 2),
        cpuMsPerDelivery,
        limitErrors: limitErrors() - limitBefore,
        complete: arrived.count >= n && succeeded >= n,
      };
      fanOut.push(result);
      say(`fan-out ${n}: all delivered in ${result.timeToAllMs} ms (first ${result.timeToFirstMs} ms), ${result.deliveriesPerSecond}/s, ${result.cpuMsPerDelivery.total} CPU-ms per delivery, limit errors ${result.limitErrors}`);
    }

    // ---- (5) resources, and the result
    monitor.stop();
    const recv = await receiver.stats();
    const resources = monitor.summary();
    holdLatencies.sort((a, b) => a - b);
    const throughputDelivered = delivered(throughputIds);
    const result: BenchResult = {
      meta: {
        startedAt: new Date(started).toISOString(),
        durationSeconds: round((Date.now() - started) / 1000),
        mode: args.quick ? 'quick' : 'full',
        machine: { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
        temporalDb: args.temporalDb,
        deliveryWorkflows: args.deliveryWorkflows,
        dynamicConfig: args.dynamicConfig,
        payloadBytes: PAYLOAD_BYTES,
        eventType: EVENT_TYPE,
        note: 'Shared machine: other processes (other agents\' test runs) may compete for the 2 cores; see cores.machine per phase.',
      },
      baseline: { ...baseline, concurrency: WORKER_ACTIVITY_SLOTS, connections: WORKER_CONNECTIONS_PER_ORIGIN, cores: baseCpu.cores },
      throughput: {
        ramp,
        hold: hold ?? { label: 'hold', targetRate: 0, seconds: 0, sent: 0, skipped: 0, failed: 0, delivered: 0, deliveredPerSecond: 0, backlogEnd: 0, backlogSlopePerSecond: 0, apiP50Ms: 0, apiP99Ms: 0, cores: {}, cpuMsPerDelivery: 0, sustained: false },
        sustainedDeliveriesPerSecond: sustainedRate,
        heldSeconds: hold?.seconds ?? 0,
        totalEvents: throughputIds.length,
        totalDelivered: throughputDelivered,
        undelivered: throughputMissing,
        projectedOnIdleMachine: hold && hold.cpuMsPerDelivery > 0 ? round((os.cpus().length * 1000) / hold.cpuMsPerDelivery) : 0,
        latencyAllP50Ms: round(percentile(holdLatencies, 50)),
        latencyAllP99Ms: round(percentile(holdLatencies, 99)),
      },
      /** Every delivery Hookferry made in this run (throughput, latency and fan-out sections). */
      deliveriesInRun: recv.verified - baseline.requests,
      ratioToBaseline: round(sustainedRate / baseline.requestsPerSecond, 4),
      latency,
      fanOut,
      workflowShape: shape,
      latencyBreakdownMs: latencyBreakdown,
      resources,
      idleCores,
      receiver: recv,
      limitErrors: limitErrors(),
      targets: {
        sustainedAtLeast150: sustainedRate >= 150,
        sustainedGoal1000: sustainedRate >= 1000,
        throughputTotalAtLeast20000: throughputDelivered >= 20_000,
        heldAtLeast60s: (hold?.sustained ?? false) && (hold?.seconds ?? 0) >= 59.5,
        p99AtHalfUnder500ms: (latency.find((l) => l.fraction === 0.5)?.p99Ms ?? Infinity) <= 500,
        fanOut1000Under20s: fanOut.find((f) => f.endpoints === 1_000) ? (fanOut.find((f) => f.endpoints === 1_000)!.timeToAllMs <= 20_000) : null,
        fanOut5000NoLimitErrors: fanOut.find((f) => f.endpoints === 5_000) ? fanOut.find((f) => f.endpoints === 5_000)!.limitErrors === 0 && fanOut.find((f) => f.endpoints === 5_000)!.complete : null,
      },
    };

    // bench/results/<timestamp>.json, or only the --json-out file when one is named (the smoke test).
    const file = args.jsonOut ?? path.join(__dirname, 'results', `${new Date(started).toISOString().replace(/[:.]/g, '-')}${args.quick ? '-quick' : ''}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(result, null, 2));
    process.stdout.write(renderTable(result));
    say(`results written to ${path.relative(process.cwd(), file)}`);
  } finally {
    await cleanup();
  }
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
