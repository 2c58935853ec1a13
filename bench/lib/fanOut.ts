// Fan-out: one event to N endpoints (webhook rows written straight into the database, each size
// its own team): time to the first and the last arrival, CPU per delivery, Temporal limit errors.
import { sql } from 'kysely';
import { nowMs } from './clock';
import { cpuPerDelivery, round, sleep, type BenchContext } from './context';
import type { FanOutResult } from './types';

export async function fanOutSection(ctx: BenchContext, sizes: number[], drainMs: number): Promise<FanOutResult[]> {
  const { db } = ctx.stack;
  const results: FanOutResult[] = [];
  let ing: ReturnType<BenchContext['ingestor']> | undefined;
  for (const n of sizes) {
    const team = await ctx.createTeam(`fan-out ${n}`);
    await ctx.addWebhooks(team.id, n);
    ing ??= ctx.ingestor(team.apiKey);
    await ctx.drain(ing, drainMs);
    await sleep(1_000);
    const limitBefore = ctx.limitErrors();
    const win = ctx.cpuWindow();
    const sentAt = nowMs();
    const [id] = await ing.send(sentAt, { sender: 0, apiKey: team.apiKey });
    if (!id) throw new Error(`fan-out ${n}: ingest failed: ${ing.lastErrorText}`);
    const until = nowMs() + 60_000 + n * 60;
    let arrived = { first: 0, last: 0, count: 0 };
    let lastSay = nowMs();
    for (;;) {
      arrived = (await ctx.receiver.events([id]))[0] ?? arrived;
      if (arrived.count >= n || nowMs() > until) break;
      if (nowMs() - lastSay > 5_000) {
        lastSay = nowMs();
        ctx.say(`fan-out ${n}: ${arrived.count} delivered after ${round((nowMs() - sentAt) / 1000)}s`);
      }
      await sleep(n >= 1_000 ? 200 : 20);
    }
    const cpu = win();
    await ctx.arrivals.pull();
    // Rows are marked succeeded just after the receiver answers: give them a moment.
    for (let i = 0; i < 50; i++) {
      const done = await db.selectFrom('deliveries').select(sql<number>`count(*)::int`.as('n')).where('event_id', '=', id).where('status', '=', 'succeeded').executeTakeFirst();
      if ((done?.n ?? 0) >= n) break;
      await sleep(100);
    }
    const statuses = await db.selectFrom('deliveries').select(['status', sql<number>`count(*)::int`.as('n')]).where('event_id', '=', id).groupBy('status').execute();
    const succeeded = statuses.find((x) => x.status === 'succeeded')?.n ?? 0;
    const timeToAllMs = arrived.count >= n ? arrived.last - sentAt : NaN;
    const result: FanOutResult = {
      endpoints: n,
      delivered: arrived.count,
      succeededRows: succeeded,
      timeToFirstMs: arrived.count > 0 ? round(arrived.first - sentAt) : NaN,
      timeToAllMs: round(timeToAllMs),
      deliveriesPerSecond: arrived.count > 0 ? round(arrived.count / Math.max(0.001, (arrived.last - sentAt) / 1000)) : 0,
      wallMsPerDelivery: round(timeToAllMs / n, 2),
      cpuMsPerDelivery: cpuPerDelivery(cpu.cpuSeconds, arrived.count),
      limitErrors: ctx.limitErrors() - limitBefore,
      complete: arrived.count >= n && succeeded >= n,
    };
    results.push(result);
    const outcome = result.complete ? `all delivered in ${result.timeToAllMs} ms` : `only ${arrived.count} of ${n} delivered after ${round((nowMs() - sentAt) / 1000)}s`;
    ctx.say(`fan-out ${n}: ${outcome} (first ${result.timeToFirstMs} ms), ${result.deliveriesPerSecond}/s, ${result.cpuMsPerDelivery.total} CPU-ms per delivery, limit errors ${result.limitErrors}`);
  }
  return results;
}
