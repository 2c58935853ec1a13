// An ingestion section: a ramp of event rates through the API, then a hold at the best rate
// held. The same method for single events (POST /v1/events) and batches (POST /v1/events/batch).
import os from 'node:os';
import { percentile } from '../../scripts/lib/percentile';
import { nowMs } from './clock';
import { cpuPerDelivery, round, type BenchContext } from './context';
import { slope, type Ingestor } from './load';
import type { RampStep, ThroughputResult } from './types';

export interface RampPlan {
  /** Events/s of the first step, and the factor from one step to the next. */
  startRate: number;
  factor: number;
  maxSteps: number;
  stepMs: number;
  /** After the first step not held, try once halfway between it and the last one held. */
  refine: boolean;
  /** The hold lasts at least holdMinMs, longer (up to holdMaxMs) until the section has minDeliveries. */
  holdMinMs: number;
  holdMaxMs: number;
  minDeliveries: number;
  /** A hold that fails is retried this many times at 85% of its rate. */
  holdRetries: number;
  drainMs: number;
}

/**
 * Runs one step at `rate` events/s and judges it: held when the ingest never fell behind
 * (nothing skipped), under 0.5% of events failed, and the backlog (events sent, not yet
 * arrived) neither grows (least-squares slope over the last three quarters) nor ends above
 * two seconds' worth.
 */
async function runStep(ctx: BenchContext, ing: Ingestor, rate: number, ms: number, section: string, label: string): Promise<RampStep> {
  const name = `${section} ${label}`;
  const win = ctx.cpuWindow();
  const before = { failed: ing.totals.failed, arrived: ctx.arrivals.size };
  const t0 = nowMs();
  const points: Array<[number, number]> = [];
  const progress = async () => {
    await ctx.arrivals.pull();
    const b = ing.backlog();
    const t = (nowMs() - t0) / 1000;
    points.push([t, b]);
    // Clearly falling behind (15 s of work queued, after 30 s): stop here, no need to wait out the step.
    if (t >= 30 && b > Math.max(100, rate * 15)) {
      ctx.say(`${name} ${round(rate)}/s: backlog ${b} after ${Math.round(t)}s, stopping the step early`);
      return true;
    }
    if (Math.round(t) % 5 === 0) ctx.say(`${name} ${round(rate)}/s t=${Math.round(t)}s delivered ${ctx.arrivals.size - before.arrived} backlog ${b}`);
    return false;
  };
  const r = await ing.runAtRate(rate, ms, { onTick: progress });
  await ctx.arrivals.pull();
  const cpu = win();
  const secs = (nowMs() - t0) / 1000;
  const api = ing.takeApiLatency();
  const late = points.filter(([t]) => t >= Math.max(3, (ms / 1000) * 0.25));
  const backlogSlope = slope(late);
  const backlogEnd = ing.backlog();
  const failed = ing.totals.failed - before.failed;
  const delivered = ctx.arrivals.size - before.arrived;
  // A batch lands a whole request's events at once: the backlog moves in steps of that size.
  const granularity = ing.eventsPerRequest;
  const sustained =
    !r.stoppedEarly &&
    r.skipped === 0 &&
    failed <= Math.max(1, 0.005 * r.sent) &&
    // Noise at low rates is a few events either way; a real deficit grows steadily.
    backlogSlope <= Math.max(2, 0.05 * rate) &&
    backlogEnd <= Math.max(30, rate * 2, granularity * 2);
  const step: RampStep = {
    label,
    targetRate: round(rate),
    seconds: round(secs),
    requests: r.requests,
    sent: r.sent,
    skipped: r.skipped,
    failed,
    delivered,
    deliveredPerSecond: round(delivered / secs),
    backlogEnd,
    backlogSlopePerSecond: round(backlogSlope, 2),
    apiP50Ms: round(api.p50),
    apiP99Ms: round(api.p99),
    cores: cpu.cores,
    cpuMsPerDelivery: cpuPerDelivery(cpu.cpuSeconds, delivered),
    sustained,
  };
  const c = step.cpuMsPerDelivery;
  ctx.say(
    `${name} ${round(rate)}/s → ${sustained ? 'held' : 'NOT held'}: delivered ${step.deliveredPerSecond}/s, backlog ${backlogEnd} (slope ${step.backlogSlopePerSecond}/s), ` +
      `api p50/p99 ${step.apiP50Ms}/${step.apiP99Ms} ms, skipped ${r.skipped}, failed ${failed}, CPU ms/delivery worker ${c.worker} api ${c.api} temporal ${c.temporal}${c.temporalPostgres === undefined ? '' : ` + its pg ${c.temporalPostgres}`} pg ${c.postgres} = ${c.total}`,
  );
  return step;
}

/** The ramp, then the hold at the best rate held; every event of the section went through `ing`. */
export async function rampAndHold(ctx: BenchContext, ing: Ingestor, name: string, plan: RampPlan): Promise<ThroughputResult> {
  const ramp: RampStep[] = [];
  const startArrivals = ctx.arrivals.size;
  let best = 0;
  let failedAt = 0;
  let rate = plan.startRate;
  for (let i = 0; i < plan.maxSteps; i++) {
    const step = await runStep(ctx, ing, rate, plan.stepMs, name, 'ramp');
    ramp.push(step);
    if (!step.sustained) {
      failedAt = rate;
      break;
    }
    best = rate;
    rate *= plan.factor;
  }
  if (failedAt > 0) {
    ctx.say(`${name}: drained after the ramp (${await ctx.drain(ing, plan.drainMs)} still in flight)`);
    if (plan.refine && best > 0) {
      const mid = (best + failedAt) / 2;
      const step = await runStep(ctx, ing, mid, plan.stepMs, name, 'refine');
      ramp.push(step);
      if (step.sustained) best = mid;
      else ctx.say(`${name}: drained (${await ctx.drain(ing, plan.drainMs)} still in flight)`);
    }
  }
  if (best === 0) best = plan.startRate / 2;

  // Hold at the best rate for at least holdMinMs, long enough to reach minDeliveries.
  let hold: RampStep | undefined;
  let holdRate = best;
  for (let attempt = 0; attempt <= plan.holdRetries; attempt++) {
    const soFar = ctx.arrivals.size - startArrivals;
    const needMs = ((plan.minDeliveries - soFar) / holdRate) * 1000;
    // A retry (after a failed hold) only proves the lower rate for the minimum time.
    const holdMs = attempt === 0 ? Math.min(plan.holdMaxMs, Math.max(plan.holdMinMs, needMs)) : plan.holdMinMs;
    ctx.say(`${name}: hold at ${round(holdRate)}/s for ${round(holdMs / 1000)}s`);
    hold = await runStep(ctx, ing, holdRate, holdMs, name, 'hold');
    if (hold.sustained) break;
    if (attempt < plan.holdRetries) {
      ramp.push({ ...hold, label: 'hold (failed)' });
      ctx.say(`${name}: hold not sustained; draining and trying ${round(holdRate * 0.85)}/s`);
      await ctx.drain(ing, plan.drainMs);
      holdRate *= 0.85;
    }
  }
  const undelivered = await ctx.drain(ing, plan.drainMs);
  const latencies: number[] = [];
  for (const e of ing.accepted) {
    const at = ctx.arrivals.get(e.id);
    if (at !== undefined) latencies.push(at - e.sentAt);
  }
  latencies.sort((a, b) => a - b);
  const h = hold!;
  const sustained = h.sustained ? h.deliveredPerSecond : 0;
  return {
    route: ing.eventsPerRequest === 1 ? 'POST /v1/events' : 'POST /v1/events/batch',
    eventsPerRequest: ing.eventsPerRequest,
    ramp,
    hold: h,
    sustainedDeliveriesPerSecond: sustained,
    heldSeconds: h.sustained ? h.seconds : 0,
    totalEvents: ing.accepted.length,
    totalDelivered: latencies.length,
    undelivered,
    projectedOnIdleMachine: h.cpuMsPerDelivery.total! > 0 ? round((os.cpus().length * 1000) / h.cpuMsPerDelivery.total!) : 0,
    latencyAllP50Ms: round(percentile(latencies, 50)),
    latencyAllP99Ms: round(percentile(latencies, 99)),
    deliveriesWithOwnWorkflow: await ctx.deliveriesWithOwnWorkflow(ing.accepted.map((e) => e.id)),
  };
}
