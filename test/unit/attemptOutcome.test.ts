import { attemptOutcome, LATENCY_BOUNDS_MS, latencyBucket, latencyQuantile } from '../../src/domain/attemptOutcome';

test('outcome classes', () => {
  const o = (statusCode: number | null, errorClass: string | null, succeeded = false) => attemptOutcome({ statusCode, errorClass, succeeded });
  expect(o(200, null, true)).toBe('2xx');
  expect(o(301, 'redirect')).toBe('redirect');
  expect(o(429, 'http_status')).toBe('4xx');
  expect(o(500, 'http_status')).toBe('5xx');
  expect(o(600, 'http_status')).toBe('5xx');
  expect(o(null, 'timeout')).toBe('timeout');
  expect(o(null, 'blocked_address')).toBe('blocked_address');
  for (const c of ['dns', 'connection_refused', 'connection_reset', 'tls', 'network', 'invalid_url']) expect(o(null, c)).toBe('network');
  expect(o(200, 'internal_error')).toBe('internal_error');
});

test('latency buckets: bounds are inclusive upper bounds, one more bucket above the last', () => {
  expect(latencyBucket(0)).toBe(0);
  expect(latencyBucket(1)).toBe(0);
  expect(latencyBucket(2)).toBe(1);
  expect(latencyBucket(100)).toBe(LATENCY_BOUNDS_MS.indexOf(100));
  expect(latencyBucket(101)).toBe(LATENCY_BOUNDS_MS.indexOf(100) + 1);
  expect(latencyBucket(60_001)).toBe(LATENCY_BOUNDS_MS.length);
});

test('quantiles interpolate within a bucket; empty is null; the open top bucket reports its lower bound', () => {
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  expect(latencyQuantile(counts, 0.5)).toBeNull();
  const i = LATENCY_BOUNDS_MS.indexOf(100); // (75, 100]
  counts[i] = 10;
  expect(latencyQuantile(counts, 0.5)).toBe(87.5);
  expect(latencyQuantile(counts, 1)).toBe(100);
  counts[LATENCY_BOUNDS_MS.length] = 90;
  expect(latencyQuantile(counts, 0.95)).toBe(60_000);
  expect(latencyQuantile(counts, 0.05)).toBe(75 + 25 * 0.5);
});
