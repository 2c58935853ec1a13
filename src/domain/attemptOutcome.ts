// How an attempt's result is classed for metrics and the delivery charts. One bounded set of
// values, shared by the Prometheus counters (src/metrics) and the statistics rollup that
// PostgreSQL keeps (migrations/0007_attempt_stats_and_request_headers.ts classes the stored rows
// the same way; test/integration/deliveryStats.test.ts checks that the two agree).

export const ATTEMPT_OUTCOMES = ['2xx', 'redirect', '4xx', '5xx', 'timeout', 'network', 'blocked_address', 'internal_error'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * An attempt as it was logged: its status code (null when no response came), its error class
 * (sendWebhook's, 'redirect', 'http_status' or 'internal_error') and whether it succeeded.
 * `internal_error` is an attempt Hookferry could not record (the endpoint may have answered 2xx).
 * Any other non-2xx status (there are none below 200; above 599 is rare) counts as 5xx.
 */
export function attemptOutcome(a: { statusCode: number | null; errorClass: string | null; succeeded: boolean }): AttemptOutcome {
  if (a.succeeded) return '2xx';
  if (a.errorClass === 'internal_error') return 'internal_error';
  if (a.statusCode !== null) {
    if (a.statusCode >= 300 && a.statusCode < 400) return 'redirect';
    if (a.statusCode >= 400 && a.statusCode < 500) return '4xx';
    return '5xx';
  }
  if (a.errorClass === 'timeout') return 'timeout';
  if (a.errorClass === 'blocked_address') return 'blocked_address';
  return 'network'; // dns, connection refused or reset, tls, invalid url, other network errors
}

/**
 * Upper bounds (ms, inclusive) of the attempt-latency histogram the statistics rollup keeps per
 * minute and hour; one more bucket holds everything slower. Fixed by the migration that created
 * the rollup: changing them needs a new migration.
 */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 30000, 60000] as const;

/** The histogram bucket (0-based) a duration falls in. */
export function latencyBucket(durationMs: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((bound) => durationMs <= bound);
  return i === -1 ? LATENCY_BOUNDS_MS.length : i;
}

/**
 * The q-quantile (0..1) of a latency histogram (counts per bucket), interpolated linearly within
 * its bucket as Prometheus' histogram_quantile does; null when empty. A quantile in the open top
 * bucket is reported as its lower bound (the histogram cannot say more).
 */
export function latencyQuantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0;
    if (n > 0 && seen + n >= rank) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return lower + ((upper - lower) * (rank - seen)) / n;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}
