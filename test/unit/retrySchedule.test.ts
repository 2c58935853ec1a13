import { maxAttempts, nextRetryDelayMs, parseDuration, parseRetryAfter, retryDelaysMs, retryScheduleProblem } from '../../src/domain/retrySchedule';

describe('parseDuration', () => {
  test.each([
    ['100ms', 100], ['30s', 30_000], ['5m', 300_000], ['2h', 7_200_000], ['1h30m', 5_400_000], ['1.5s', 1_500], ['1d', 86_400_000], ['0s', 0],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  test.each(['', '5', 'ms', '5 minutes', '-1s', '1s2', 'abc', '1e3s', 'x'.repeat(40)])('%p is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('schedules', () => {
  test('the seeds\' presets', () => {
    expect(retryDelaysMs('exponential')).toEqual([1_000, 2_000, 4_000]);
    expect(maxAttempts(retryDelaysMs('exponential'))).toBe(4);
    expect(retryDelaysMs('extended')).toEqual([60_000, 300_000, 1_800_000, 7_200_000]);
    expect(maxAttempts(retryDelaysMs('extended'))).toBe(5);
  });
  test('scaling keeps the shape', () => {
    expect(retryDelaysMs('exponential', 0.01)).toEqual([10, 20, 40]);
    expect(retryDelaysMs({ delays: ['100ms', '30s'] }, 0.5)).toEqual([50, 15_000]);
  });
  test('validation of custom schedules', () => {
    expect(retryScheduleProblem({ delays: ['100ms', '30s', '5m'] })).toBeUndefined();
    expect(retryScheduleProblem({ delays: [] })).toBeUndefined();
    expect(retryScheduleProblem({ delays: ['soon'] })).toMatch(/delays\[0\]/);
    expect(retryScheduleProblem({ delays: ['8d'] })).toMatch(/7 days/);
    expect(retryScheduleProblem({ delays: Array(21).fill('1s') })).toMatch(/at most 20/);
    expect(retryScheduleProblem('weekly' as never)).toMatch(/unknown preset/);
  });
});

describe('nextRetryDelayMs', () => {
  const base = { delaysMs: [1_000, 2_000, 4_000], maxRetryAfterMs: 3_600_000, random: 0 };
  test('follows the schedule, then stops', () => {
    expect([1, 2, 3, 4].map((attemptsMade) => nextRetryDelayMs({ ...base, attemptsMade }))).toEqual([1_000, 2_000, 4_000, undefined]);
  });
  test('adds at most 10% jitter', () => {
    expect(nextRetryDelayMs({ ...base, attemptsMade: 1, random: 0.999 })).toBe(1_100);
    expect(nextRetryDelayMs({ ...base, attemptsMade: 1, random: 0.5 })).toBe(1_050);
  });
  test('Retry-After wins when longer, never below the schedule, capped by the operator', () => {
    expect(nextRetryDelayMs({ ...base, attemptsMade: 1, retryAfterMs: 30_000 })).toBe(30_000);
    expect(nextRetryDelayMs({ ...base, attemptsMade: 1, retryAfterMs: 10 })).toBe(1_000);
    expect(nextRetryDelayMs({ ...base, attemptsMade: 1, retryAfterMs: 99_000_000 })).toBe(3_600_000);
    expect(nextRetryDelayMs({ ...base, attemptsMade: 3, retryAfterMs: 30_000 })).toBe(30_000);
    expect(nextRetryDelayMs({ ...base, attemptsMade: 4, retryAfterMs: 30_000 })).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  test('seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
  });
  test('garbage is ignored', () => {
    for (const v of [undefined, '', 'soon', '-5', '1.5']) expect(parseRetryAfter(v, now)).toBeUndefined();
  });
});
