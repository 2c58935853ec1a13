import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client as PgClient } from 'pg';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A port offset (deploy/temporal/config.yaml adds it to every port) under which all the server's ports are free. */
export async function freePortOffset(): Promise<number> {
  const basePorts = [6933, 6934, 6935, 6939, 7233, 7234, 7235, 7239, 7243];
  for (let tries = 0; tries < 50; tries++) {
    // 1,000..25,000: every port stays below 32768, as the server needs (see deploy/temporal/config.yaml).
    const offset = 1_000 + 100 * Math.floor(Math.random() * 241);
    const free = await Promise.all(basePorts.map((p) => canListen(p + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free port offset found for the Temporal server');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface ClusterServer {
  address: string;
  /** The temporal-server process (a child of the script). */
  serverPid: number;
  /** From spawning `npm run temporal:cluster -- start` to its "Ready" line: schema setup, server start, registration. */
  readyMs: number;
  /** Resident and peak resident memory of temporal-server, MB. */
  memory(): { rssMb: number; peakRssMb: number };
  /** SIGTERM to the script, which stops the server; resolves with how long that took. */
  stop(): Promise<number>;
  /** Drops the server's databases (after stop). */
  dropDatabases(): Promise<void>;
}

/**
 * The real Temporal server, started the way the README says (`npm run temporal:cluster -- start`),
 * with databases and ports of its own so it disturbs nothing else on the machine. Its output goes
 * to `logFile`.
 */
export async function startClusterServer(opts: { name: string; logFile: string; timeoutMs?: number }): Promise<ClusterServer> {
  const offset = await freePortOffset();
  const databases = [`temporal_${opts.name}`, `temporal_${opts.name}_visibility`];
  await dropDatabases(databases);
  const started = Date.now();
  const script: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/temporal-cluster.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_PORT_OFFSET: String(offset),
      TEMPORAL_DB_NAME: databases[0],
      TEMPORAL_VISIBILITY_DB_NAME: databases[1],
      TEMPORAL_LOG_LEVEL: process.env.TEMPORAL_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(opts.logFile);
  let stdout = '';
  script.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    log.write(c);
  });
  script.stderr!.on('data', (c: Buffer) => log.write(c));
  script.once('exit', () => log.end());

  const serverPid = () => Number(/Temporal server \(pid (\d+)\)/.exec(stdout)?.[1]) || undefined;
  /** SIGTERM to the script, which stops its server; resolves with how long that took. */
  const stopScript = () =>
    new Promise<number>((resolve) => {
      const at = Date.now();
      if (script.exitCode !== null || script.signalCode !== null) return resolve(0);
      const timer = setTimeout(() => {
        // A script that does not stop in time is killed, and so is its server, which would outlive it.
        script.kill('SIGKILL');
        const pid = serverPid();
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 60_000);
      script.once('exit', () => {
        clearTimeout(timer);
        resolve(Date.now() - at);
      });
      script.kill('SIGTERM');
    });

  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  try {
    while (!/^Ready /m.test(stdout)) {
      if (script.exitCode !== null) throw new Error(`temporal:cluster start exited (${script.exitCode}):\n${stdout}\n(see ${opts.logFile})`);
      if (Date.now() > deadline) throw new Error(`temporal:cluster start was not ready in time:\n${stdout}\n(see ${opts.logFile})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stopScript();
    await dropDatabases(databases).catch(() => undefined);
    throw err;
  }
  const readyMs = Date.now() - started;
  const address = /TEMPORAL_ADDRESS=(\S+)/.exec(stdout)![1]!;
  return {
    address,
    serverPid: serverPid()!,
    readyMs,
    memory: () => {
      const status = readFileSync(`/proc/${serverPid()}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
    },
    stop: stopScript,
    dropDatabases: () => dropDatabases(databases),
  };
}

export async function dropDatabases(names: string[]): Promise<void> {
  const admin = new PgClient({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    for (const name of names) await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
