import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Config } from '../../src/config';
import { keyRingSettings } from '../../src/domain/secretBox';
import { freePort } from '../../scripts/lib/freePort';
import { percentile } from '../../scripts/lib/percentile';
import { spawnUntilLogLine } from '../../scripts/lib/spawnProcess';
import { TEST_ADMIN_KEY } from '../helpers/stack';

/** The API as its own process (`npm run api`'s entry point): the production layout. */
export interface ApiProcess {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function spawnApi(config: Config, env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const api = await spawnUntilLogLine({
    name: 'API',
    entry: 'src/api/main.ts',
    env: {
      PORT: String(port),
      DATABASE_URL: config.databaseUrl,
      TEMPORAL_ADDRESS: config.temporalAddress,
      HOOKFERRY_TASK_QUEUE: config.taskQueue,
      HOOKFERRY_ADMIN_KEY: TEST_ADMIN_KEY,
      HOOKFERRY_ALLOWED_CIDRS: config.allowedCidrs,
      HOOKFERRY_RATE_LIMIT_PER_MINUTE: String(config.rateLimitPerMinute),
      ...(config.secretKeys ? keyRingSettings(config.secretKeys) : {}),
      LOG_LEVEL: 'info',
      ...env,
    },
    line: '"msg":"API listening"',
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: api.process,
    output: api.output,
    // A graceful shutdown (as in production), but never one that hangs the test.
    stop: () => api.kill('SIGTERM', 10_000),
  };
}

/** Resident memory of a process, from /proc. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024);
}

export function latencySummary(ms: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? 0 };
}
