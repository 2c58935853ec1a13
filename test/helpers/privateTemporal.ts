import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli } from '../../src/temporal/cli';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { freePort } from './globalSetup';

/**
 * A Temporal dev server of a test's own, on a free port, with its state in a SQLite file (or in
 * memory), so a test can kill it and start it again on the same file and port. The run's shared
 * server is never touched.
 */
export interface PrivateTemporal {
  address: string;
  port: number;
  dbFile: string;
  server(): DevServer | undefined;
  /** SIGKILL (a crash) or SIGTERM (an orderly stop); resolves once the process is gone. */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts it again on the same file and port (after `kill`). */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** `inMemory`: no SQLite file, so a restart loses every workflow (a Temporal state loss). */
export async function startPrivateTemporal(opts: { inMemory?: boolean } = {}): Promise<PrivateTemporal> {
  const cliPath = await ensureTemporalCli();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookferry-temporal-'));
  const dbFile = path.join(dir, 'temporal.db');
  const port = await freePort();
  let current: DevServer | undefined;
  const start = async () => {
    // The port was just released by the previous process: retry the start a few times.
    let lastError: unknown;
    for (let i = 0; i < 5; i++) {
      try {
        current = await startDevServer({ cliPath, port, headless: true, dbFile: opts.inMemory ? undefined : dbFile });
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    throw lastError;
  };
  await start();
  const kill = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
    const s = current;
    current = undefined;
    if (!s) return;
    if (signal === 'SIGTERM') return s.stop();
    await new Promise<void>((resolve) => {
      if (s.process.exitCode !== null || s.process.signalCode !== null) return resolve();
      s.process.once('exit', () => resolve());
      s.process.kill('SIGKILL');
    });
  };
  return {
    address: `127.0.0.1:${port}`,
    port,
    dbFile,
    server: () => current,
    kill,
    start: async () => {
      if (!current) await start();
    },
    async destroy() {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
