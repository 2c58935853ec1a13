// Latency at fractions of the single-event sustained rate: ingest (the request's due time) →
// first arrival at the receiver, and the API's own answer time.
import { percentile } from '../../scripts/lib/percentile';
import { round, type BenchContext } from './context';
import type { AcceptedEvent, Ingestor } from './load';
import type { LatencyResult } from './types';

export async function latencyAtFractions(
  ctx: BenchContext,
  ing: Ingestor,
  baseRate: number,
  fractions: number[],
  plan: { ms: number; drainMs: number },
): Promise<{ results: LatencyResult[]; eventsAt: Map<number, AcceptedEvent[]> }> {
  const results: LatencyResult[] = [];
  const eventsAt = new Map<number, AcceptedEvent[]>();
  for (const fraction of fractions) {
    await ctx.drain(ing, plan.drainMs);
    const mark = ing.accepted.length;
    const rate = fraction * baseRate;
    ctx.say(`latency at ${fraction * 100}% = ${round(rate)}/s for ${plan.ms / 1000}s`);
    ing.takeApiLatency();
    const win = ctx.cpuWindow();
    await ing.runAtRate(rate, plan.ms, { onTick: () => ctx.arrivals.pull() });
    const api = ing.takeApiLatency();
    const missing = await ctx.drain(ing, plan.drainMs);
    const cpu = win();
    const phase = ing.accepted.slice(mark);
    const values: number[] = [];
    for (const e of phase) {
      const at = ctx.arrivals.get(e.id);
      if (at !== undefined) values.push(at - e.sentAt);
    }
    values.sort((a, b) => a - b);
    const p = (q: number) => round(percentile(values, q));
    results.push({
      fraction,
      rate: round(rate),
      events: phase.length,
      lost: missing,
      p50Ms: p(50),
      p95Ms: p(95),
      p99Ms: p(99),
      maxMs: round(values[values.length - 1] ?? 0),
      apiP50Ms: round(api.p50),
      apiP99Ms: round(api.p99),
      cores: cpu.cores,
    });
    eventsAt.set(fraction, phase);
    ctx.say(`latency at ${fraction * 100}%: p50 ${p(50)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms; API p50 ${round(api.p50)} ms, p99 ${round(api.p99)} ms (${missing} missing)`);
  }
  return { results, eventsAt };
}
