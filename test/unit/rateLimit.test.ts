import { RateLimiter } from '../../src/api/rateLimit';

test('a bucket per key: bursts up to the limit, then waits, then refills', () => {
  let now = 0;
  const limiter = new RateLimiter(60, () => now); // one a second
  for (let i = 0; i < 60; i++) expect(limiter.take('a')).toBe(0);
  expect(limiter.take('a')).toBe(1_000);
  expect(limiter.take('b')).toBe(0); // another key is unaffected
  now += 1_000;
  expect(limiter.take('a')).toBe(0);
  expect(limiter.take('a')).toBeGreaterThan(0);
});

test('0 disables the limit', () => {
  const limiter = new RateLimiter(0);
  for (let i = 0; i < 1000; i++) expect(limiter.take('a')).toBe(0);
});
