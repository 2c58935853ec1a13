import type { ChildProcess } from 'node:child_process';
import type { Config } from '../../src/config';
import { keyRingSettings } from '../../src/domain/secretBox';
import { spawnUntilLogLine } from '../../scripts/lib/spawnProcess';

/** A real worker process (`npm run worker`'s entry point) that a test can SIGKILL. */
export interface WorkerProcess {
  process: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnWorker(config: Config, env: Record<string, string> = {}, opts: { timeoutMs?: number } = {}): Promise<WorkerProcess> {
  const worker = await spawnUntilLogLine({
    name: 'worker',
    entry: 'src/worker/main.ts',
    env: {
      DATABASE_URL: config.databaseUrl,
      TEMPORAL_ADDRESS: config.temporalAddress,
      HOOKFERRY_TASK_QUEUE: config.taskQueue,
      HOOKFERRY_ALLOWED_CIDRS: config.allowedCidrs,
      HOOKFERRY_RETRY_DELAY_SCALE: String(config.retryDelayScale),
      HOOKFERRY_ATTEMPT_TIMEOUT_MS: String(config.attemptTimeoutMs),
      SMTP_URL: config.smtpUrl ?? '',
      // The headers of the in-process worker: a test sees the same requests from either.
      HOOKFERRY_SIGNATURE_PRESETS: 'all',
      ...(config.secretKeys ? keyRingSettings(config.secretKeys) : {}),
      // The reconciler at test speed: it looks every second at work overdue by two.
      HOOKFERRY_RECONCILE_INTERVAL_MS: '1000',
      HOOKFERRY_RECONCILE_MARGIN_MS: '2000',
      LOG_LEVEL: 'info',
      ...env,
    },
    line: '"msg":"worker started"',
    timeoutMs: opts.timeoutMs,
  });
  return {
    process: worker.process,
    output: worker.output,
    // SIGKILL by default: crash tests want the worker gone without a graceful shutdown.
    kill: (signal = 'SIGKILL') => worker.kill(signal),
  };
}
