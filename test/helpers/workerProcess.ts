import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../src/config';

const ROOT = path.resolve(__dirname, '../..');

/** A real worker process (`npm run worker`'s entry point) that a test can SIGKILL. */
export interface WorkerProcess {
  process: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnWorker(config: Config, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      TEMPORAL_ADDRESS: config.temporalAddress,
      HOOKFERRY_TASK_QUEUE: config.taskQueue,
      HOOKFERRY_ALLOWED_CIDRS: config.allowedCidrs,
      HOOKFERRY_RETRY_DELAY_SCALE: String(config.retryDelayScale),
      HOOKFERRY_ATTEMPT_TIMEOUT_MS: String(config.attemptTimeoutMs),
      SMTP_URL: config.smtpUrl ?? '',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const deadline = Date.now() + 60_000;
  while (!output.includes('"msg":"worker started"')) {
    if (child.exitCode !== null) throw new Error(`worker exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker did not start within 60s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    output: () => output,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
