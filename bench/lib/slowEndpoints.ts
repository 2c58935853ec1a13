// Slow endpoints must not slow the others (issue 14). Many teams with one webhook each, every
// endpoint its own origin on the receiver; events spread round-robin over them through the API
// at a fixed rate. First every endpoint answers at once; then the same run with a fraction of
// them hanging until the worker's attempt times out. The healthy endpoints' ingest → arrival
// latency and throughput are compared between the two runs. Afterwards the hanging webhooks are
// disabled through the API and the section waits until no attempt to them is open.
import { percentile } from '../../scripts/lib/percentile';
import { nowMs } from './clock';
import { round, sleep, type BenchContext } from './context';
import { HANG_PREFIX } from './receiverProtocol';
import type { SlowEndpointResult, SlowEndpointRun } from './types';

export interface SlowEndpointPlan {
  endpoints: number;
  /** The fraction of endpoints that hang in the second run (every 1/fraction-th one). */
  hangingFraction: number;
  /** How long each run sends events. */
  runMs: number;
  drainMs: number;
}

interface Endpoint {
  apiKey: string;
  webhookId: string;
  origin: string;
  hangs: boolean;
}

export async function slowEndpointSection(ctx: BenchContext, plan: SlowEndpointPlan, rate: number, attemptTimeoutMs: number): Promise<SlowEndpointResult> {
  const origins = await ctx.receiver.listenMore(plan.endpoints);
  const hangEvery = Math.max(1, Math.round(1 / plan.hangingFraction));
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < plan.endpoints; i++) {
    const team = await ctx.createTeam(`slow-endpoints ${i}`);
    // Through the API, as a user would (and so its health workflow starts as in production).
    const webhook = await ctx.teamApi<{ id: string }>(team.apiKey, 'POST', '/v1/webhooks', { name: `endpoint ${i}`, url: `${origins[i]}/hook`, events: ['*'], secret: ctx.secret }, 201);
    endpoints.push({ apiKey: team.apiKey, webhookId: webhook.id, origin: origins[i]!, hangs: i % hangEvery === 0 });
  }
  const hanging = endpoints.filter((e) => e.hangs);
  ctx.say(`slow endpoints: ${endpoints.length} teams with a webhook each, ${hanging.length} of them to hang in the second run; ${round(rate)} events/s round-robin`);

  const ing = ctx.ingestor(endpoints[0]!.apiKey);
  const route = (k: number) => ({ sender: k % endpoints.length, apiKey: endpoints[k % endpoints.length]!.apiKey });

  const run = async (label: string): Promise<SlowEndpointRun> => {
    const mark = ing.accepted.length;
    const hangingBefore = (await ctx.receiver.stats()).hangingRequests;
    ing.takeApiLatency();
    const win = ctx.cpuWindow();
    const t0 = nowMs();
    await ing.runAtRate(rate, plan.runMs, { route, onTick: () => ctx.arrivals.pull() });
    const sentUntil = nowMs();
    const api = ing.takeApiLatency();
    const phase = ing.accepted.slice(mark);
    // The endpoints that answer at once in both runs: the comparison is like for like.
    const healthyIds = phase.filter((e) => !endpoints[e.sender]!.hangs).map((e) => e.id);
    const hangingIds = phase.filter((e) => endpoints[e.sender]!.hangs).map((e) => e.id);
    const lost = await ctx.waitFor(healthyIds, plan.drainMs);
    const cpu = win();
    const values: number[] = [];
    let arrivedWhileSending = 0;
    for (const e of phase) {
      if (endpoints[e.sender]!.hangs) continue;
      const at = ctx.arrivals.get(e.id);
      if (at === undefined) continue;
      values.push(at - e.sentAt);
      if (at <= sentUntil) arrivedWhileSending++;
    }
    values.sort((a, b) => a - b);
    const p = (q: number) => round(percentile(values, q));
    const result: SlowEndpointRun = {
      label,
      endpoints: endpoints.length,
      hangingEndpoints: hanging.length,
      rate: round(rate),
      seconds: round((sentUntil - t0) / 1000),
      healthy: {
        endpoints: endpoints.length - hanging.length,
        events: healthyIds.length,
        delivered: values.length,
        lost,
        deliveriesPerSecond: round(arrivedWhileSending / Math.max(0.001, (sentUntil - t0) / 1000)),
        p50Ms: p(50),
        p95Ms: p(95),
        p99Ms: p(99),
        maxMs: round(values[values.length - 1] ?? 0),
      },
      hangingAttempts: (await ctx.receiver.stats()).hangingRequests - hangingBefore,
      deliveriesWithOwnWorkflow: { healthy: await ctx.deliveriesWithOwnWorkflow(healthyIds), hanging: await ctx.deliveriesWithOwnWorkflow(hangingIds) },
      apiP99Ms: round(api.p99),
      cores: cpu.cores,
    };
    ctx.say(
      `slow endpoints, ${label}: healthy p50 ${result.healthy.p50Ms} ms, p99 ${result.healthy.p99Ms} ms, ${result.healthy.deliveriesPerSecond} deliveries/s, ` +
        `${lost} lost; ${result.hangingAttempts} attempts left hanging`,
    );
    return result;
  };

  const withoutHanging = await run('without hanging endpoints');
  for (const e of hanging) await ctx.teamApi(e.apiKey, 'PATCH', `/v1/webhooks/${e.webhookId}`, { url: `${e.origin}${HANG_PREFIX}hook` }, 200);
  const withHanging = await run(`${Math.round(plan.hangingFraction * 100)}% hanging`);

  // Stop the hanging traffic so that later sections are not disturbed: disabling a webhook
  // cancels its queued deliveries; attempts already open end at the attempt timeout.
  const clearStart = nowMs();
  for (const e of hanging) await ctx.teamApi(e.apiKey, 'POST', `/v1/webhooks/${e.webhookId}/disable`, undefined, 200);
  let hangingCleared = false;
  let quietChecks = 0;
  while (nowMs() - clearStart < attemptTimeoutMs + 30_000) {
    quietChecks = (await ctx.receiver.stats()).hangingOpen === 0 ? quietChecks + 1 : 0;
    if (quietChecks >= 3) {
      hangingCleared = true;
      break;
    }
    await sleep(500);
  }
  const clearSeconds = round((nowMs() - clearStart) / 1000);
  ctx.say(`slow endpoints: hanging webhooks disabled; ${hangingCleared ? `no attempt open after ${clearSeconds}s` : `attempts still open after ${clearSeconds}s`}`);

  return {
    endpoints: endpoints.length,
    hangingFraction: plan.hangingFraction,
    rate: round(rate),
    attemptTimeoutMs,
    withoutHanging,
    withHanging,
    healthyThroughputRatio: round(withHanging.healthy.deliveriesPerSecond / Math.max(0.001, withoutHanging.healthy.deliveriesPerSecond), 3),
    hangingCleared,
    clearSeconds,
  };
}
