/**
 * Where the retry schedule is decided. A schedule is data: the delays between attempts.
 * `exponential` and `extended` are the seeds' presets; a webhook may also carry its own list.
 * The delivery activity asks `nextRetryDelayMs` after every failed attempt and hands the
 * answer to Temporal as the activity's `nextRetryDelay`.
 */
export type RetrySchedulePreset = 'exponential' | 'extended';
export type RetryScheduleSetting = RetrySchedulePreset | { delays: string[] };

export const PRESET_SCHEDULES: Record<RetrySchedulePreset, readonly string[]> = {
  // First attempt, then 3 retries after 1 s, 2 s, 4 s (the outreach seed).
  exponential: ['1s', '2s', '4s'],
  // Immediate, then 1 min, 5 min, 30 min, 2 h (the voice seed).
  extended: ['1m', '5m', '30m', '2h'],
};

export const MAX_CUSTOM_RETRIES = 20;
export const MAX_RETRY_DELAY_MS = 7 * 24 * 3_600_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Parses durations as Temporal writes them: "100ms", "30s", "5m", "2h", "1h30m", "1.5s". */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 32) return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < trimmed.length) {
    const match = DURATION_PART.exec(trimmed);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/** A problem with a custom schedule, or undefined when it is valid. */
export function retryScheduleProblem(setting: RetryScheduleSetting): string | undefined {
  if (typeof setting === 'string') return setting in PRESET_SCHEDULES ? undefined : `unknown preset "${setting}"`;
  if (setting.delays.length > MAX_CUSTOM_RETRIES) return `at most ${MAX_CUSTOM_RETRIES} retries`;
  for (const [i, text] of setting.delays.entries()) {
    const ms = parseDuration(text);
    if (ms === undefined) return `delays[${i}] "${text}" is not a duration like 100ms, 30s, 5m or 2h`;
    if (ms > MAX_RETRY_DELAY_MS) return `delays[${i}] is longer than 7 days`;
  }
  return undefined;
}

/** The delays (ms) before retry 1, 2, …; `scale` shrinks them for tests and demos. */
export function retryDelaysMs(setting: RetryScheduleSetting, scale = 1): number[] {
  const texts = typeof setting === 'string' ? PRESET_SCHEDULES[setting] : setting.delays;
  return texts.map((t) => Math.round((parseDuration(t) ?? 0) * scale));
}

/** Total attempts a schedule allows: the first one plus one per delay. */
export function maxAttempts(delaysMs: readonly number[]): number {
  return delaysMs.length + 1;
}

export const JITTER_FRACTION = 0.1;

export interface NextRetryInput {
  delaysMs: readonly number[];
  /** HTTP attempts made so far in this series, including the one that just failed. */
  attemptsMade: number;
  /** Parsed Retry-After of a 429/503 answer, if any. */
  retryAfterMs?: number;
  maxRetryAfterMs: number;
  /** A number in [0, 1) — Math.random() in production, fixed in tests. */
  random: number;
}

/** Delay before the next attempt, or `undefined` when the schedule is exhausted. */
export function nextRetryDelayMs(input: NextRetryInput): number | undefined {
  const scheduled = input.delaysMs[input.attemptsMade - 1];
  if (scheduled === undefined) return undefined;
  const jittered = Math.round(scheduled * (1 + JITTER_FRACTION * input.random));
  if (input.retryAfterMs === undefined) return jittered;
  // The receiver asked us to wait: honour it, but never wait less than the schedule says
  // nor longer than the operator allows.
  return Math.max(jittered, Math.min(input.retryAfterMs, input.maxRetryAfterMs));
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  // Only an IMF-fixdate-like value ("Wed, 21 Oct 2015 07:28:00 GMT"): Date.parse alone accepts "-5".
  if (!/^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}
