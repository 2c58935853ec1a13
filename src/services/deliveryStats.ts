import { sql } from 'kysely';
import { notFound } from '../domain/errors';
import type { Db } from '../db/database';
import { ATTEMPT_OUTCOMES, LATENCY_BOUNDS_MS, latencyQuantile, type AttemptOutcome } from '../domain/attemptOutcome';
import type { Logger } from '../logger';

// Delivery statistics for the dashboard's charts: attempts per interval by outcome, latency
// p50/p95 and the success rate, for one webhook or a whole team. Read from the rollup PostgreSQL
// keeps as attempts are logged (migration 0007): per webhook and minute or hour, and per team and
// hour (in a few shards), so a chart reads at most a few hundred rows per webhook, or per team for
// a day or a week, however many attempts there were.

export const STATS_WINDOWS = {
  hour: { seconds: 3_600, bucketSeconds: 60 },
  day: { seconds: 86_400, bucketSeconds: 3_600 },
  week: { seconds: 7 * 86_400, bucketSeconds: 3_600 },
} as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;

/** Minute rows are kept this long (the hour window reads them); hour rows 35 days. */
export const MINUTE_ROWS_KEPT_MS = 2 * 86_400_000;
export const HOUR_ROWS_KEPT_MS = 35 * 86_400_000;

const OUTCOME_COLUMN: Record<AttemptOutcome, string> = {
  '2xx': 'outcome_2xx',
  redirect: 'outcome_redirect',
  '4xx': 'outcome_4xx',
  '5xx': 'outcome_5xx',
  timeout: 'outcome_timeout',
  network: 'outcome_network',
  blocked_address: 'outcome_blocked_address',
  internal_error: 'outcome_internal_error',
};
const HISTOGRAM_SIZE = LATENCY_BOUNDS_MS.length + 1;

type Outcomes = Record<AttemptOutcome, number>;

export interface StatsFigures {
  attempts: number;
  outcomes: Outcomes;
  /** Successful attempts / attempts; null without attempts. */
  successRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyAvgMs: number | null;
}

export interface DeliveryStats {
  window: StatsWindow;
  webhookId: string | null;
  from: string;
  to: string;
  intervalSeconds: number;
  totals: StatsFigures;
  intervals: Array<StatsFigures & { start: string }>;
}

function figures(attempts: number, outcomes: Outcomes, durationSum: number, histogram: number[]): StatsFigures {
  const round = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);
  return {
    attempts,
    outcomes,
    successRate: attempts === 0 ? null : outcomes['2xx'] / attempts,
    latencyP50Ms: round(latencyQuantile(histogram, 0.5)),
    latencyP95Ms: round(latencyQuantile(histogram, 0.95)),
    latencyAvgMs: attempts === 0 ? null : round(durationSum / attempts),
  };
}

const emptyOutcomes = (): Outcomes => Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o, 0])) as Outcomes;

export function createDeliveryStats(db: Db) {
  return {
    /** The last `window` of a team's attempts (or one of its live webhooks'), in fixed intervals, oldest first. */
    async get(teamId: string, q: { window: StatsWindow; webhookId?: string }, now = new Date()): Promise<DeliveryStats> {
      if (q.webhookId !== undefined) {
        const w = await db.selectFrom('webhooks').select('id').where('id', '=', q.webhookId).where('team_id', '=', teamId).where('deleted_at', 'is', null).executeTakeFirst();
        if (!w) throw notFound('webhook');
      }
      const { seconds, bucketSeconds } = STATS_WINDOWS[q.window];
      const bucketMs = bucketSeconds * 1000;
      const count = seconds / bucketSeconds;
      // The last `count` intervals, the current (partial) one included.
      const lastStart = Math.floor(now.getTime() / bucketMs) * bucketMs;
      const from = new Date(lastStart - (count - 1) * bucketMs);
      const to = new Date(lastStart + bucketMs);

      const sums = sql.raw(
        [
          'sum(attempts)::int as attempts',
          ...ATTEMPT_OUTCOMES.map((o) => `sum(${OUTCOME_COLUMN[o]})::int as "${o}"`),
          'sum(duration_ms_sum)::float8 as duration_sum',
          `array[${Array.from({ length: HISTOGRAM_SIZE }, (_, i) => `sum(latency_counts[${i + 1}])`).join(', ')}]::int[] as histogram`,
        ].join(', '),
      );
      // One index range scan: a webhook's rows by primary key; a team's hour from its webhooks' minute
      // rows (delivery_attempt_stats_team), its day or week from its own hourly rows.
      const source =
        q.webhookId !== undefined
          ? sql`delivery_attempt_stats where webhook_id = ${q.webhookId} and team_id = ${teamId} and bucket_seconds = ${bucketSeconds}`
          : bucketSeconds === 60
            ? sql`delivery_attempt_stats where team_id = ${teamId} and bucket_seconds = 60`
            : sql`team_delivery_attempt_stats where team_id = ${teamId}`;
      const { rows } = await sql<Record<string, unknown> & { bucket_start: Date; attempts: number; duration_sum: number; histogram: number[] }>`
        select bucket_start, ${sums}
        from ${source} and bucket_start >= ${from} and bucket_start < ${to}
        group by bucket_start
      `.execute(db);

      const byStart = new Map(rows.map((r) => [r.bucket_start.getTime(), r]));
      const total = { attempts: 0, outcomes: emptyOutcomes(), durationSum: 0, histogram: new Array<number>(HISTOGRAM_SIZE).fill(0) };
      const intervals: DeliveryStats['intervals'] = [];
      for (let i = 0; i < count; i++) {
        const start = from.getTime() + i * bucketMs;
        const r = byStart.get(start);
        const outcomes = emptyOutcomes();
        const histogram = r ? r.histogram.map(Number) : new Array<number>(HISTOGRAM_SIZE).fill(0);
        if (r) for (const o of ATTEMPT_OUTCOMES) outcomes[o] = Number(r[o]);
        const attempts = r ? Number(r.attempts) : 0;
        const durationSum = r ? Number(r.duration_sum) : 0;
        total.attempts += attempts;
        total.durationSum += durationSum;
        for (const o of ATTEMPT_OUTCOMES) total.outcomes[o] += outcomes[o];
        histogram.forEach((n, j) => (total.histogram[j]! += n));
        intervals.push({ start: new Date(start).toISOString(), ...figures(attempts, outcomes, durationSum, histogram) });
      }
      return {
        window: q.window,
        webhookId: q.webhookId ?? null,
        from: from.toISOString(),
        to: to.toISOString(),
        intervalSeconds: bucketSeconds,
        totals: figures(total.attempts, total.outcomes, total.durationSum, total.histogram),
        intervals,
      };
    },
  };
}

export type DeliveryStatsService = ReturnType<typeof createDeliveryStats>;

/** Deletes rollup rows no window reads any more. */
export async function pruneDeliveryStats(db: Db, now = new Date()): Promise<number> {
  const result = await db
    .deleteFrom('delivery_attempt_stats')
    .where((eb) =>
      eb.or([
        eb.and([eb('bucket_seconds', '=', 60), eb('bucket_start', '<', new Date(now.getTime() - MINUTE_ROWS_KEPT_MS))]),
        eb.and([eb('bucket_seconds', '=', 3600), eb('bucket_start', '<', new Date(now.getTime() - HOUR_ROWS_KEPT_MS))]),
      ]),
    )
    .executeTakeFirst();
  const teams = await db.deleteFrom('team_delivery_attempt_stats').where('bucket_start', '<', new Date(now.getTime() - HOUR_ROWS_KEPT_MS)).executeTakeFirst();
  return Number(result.numDeletedRows) + Number(teams.numDeletedRows);
}

/** Prunes the rollup now and then in a worker process. */
export function startStatsRetention(db: Db, log: Logger, everyMs = 10 * 60_000): () => void {
  const prune = () => pruneDeliveryStats(db).catch((err: unknown) => log.warn({ err: String(err) }, 'pruning delivery statistics failed; will retry'));
  void prune();
  const timer = setInterval(() => void prune(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
