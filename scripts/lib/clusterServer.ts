// Shared by test/cluster/ and bench/ (which must not import from each other): the real Temporal
// server started as `npm run temporal:cluster -- start`, on fresh databases and free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client as PgClient } from 'pg';

const ROOT = path.resolve(__dirname, '../..');
const DEFAULT_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

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
  /** The server's two databases: persistence, then visibility. */
  databases: string[];
  /** Connections per store of each of the server's services (TEMPORAL_DB_MAX_CONNS). */
  dbMaxConns: number;
  /** The current temporal-server process (a child of the script). */
  serverPid(): number;
  /** From spawning `npm run temporal:cluster -- start` to its "Ready" line, for the latest start. */
  readyMs: number;
  /** Resident and peak resident memory of temporal-server, MB; undefined while it is not running. */
  memory(): { rssMb: number; peakRssMb: number } | undefined;
  /**
   * Kills temporal-server with `signal` (SIGKILL: a crash) and resolves once it and the script
   * that started it have exited. The databases stay.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again the same way, on the same databases and ports (after `kill`); resolves when ready. */
  restart(): Promise<void>;
  /** SIGTERM to the script, which stops the server; resolves with how long that took. */
  stop(): Promise<number>;
  /** Drops the server's databases (after stop). */
  dropDatabases(): Promise<void>;
}

interface ScriptRun {
  script: ChildProcess;
  serverPid: number;
  readyMs: number;
  address: string;
}

/**
 * The real Temporal server, started the way the README says (`npm run temporal:cluster -- start`),
 * with databases and ports of its own so it disturbs nothing else on the machine. Its output goes
 * to `logFile` (appended to across restarts).
 */
export async function startClusterServer(opts: {
  name: string;
  logFile: string;
  timeoutMs?: number;
  /** Where the server's databases are created and dropped, and so where it connects (default: the tests' admin URL). */
  adminUrl?: string;
  /** Every chunk of the script's and the server's output, as written to `logFile` (e.g. to count errors). */
  onOutput?: (chunk: Buffer) => void;
}): Promise<ClusterServer> {
  const adminUrl = opts.adminUrl ?? DEFAULT_ADMIN_URL;
  const offset = await freePortOffset();
  const databases = [`temporal_${opts.name}`, `temporal_${opts.name}_visibility`];
  await dropDatabases(databases, adminUrl);
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const sink = {
    write(chunk: Buffer) {
      opts.onOutput?.(chunk);
      log.write(chunk);
    },
  };
  const admin = new URL(adminUrl);
  const env = {
    ...process.env,
    // The databases are created where they are dropped: the server connects as the admin URL says.
    TEMPORAL_DB_HOST: admin.hostname,
    TEMPORAL_DB_PORT: admin.port || '5432',
    TEMPORAL_DB_USER: decodeURIComponent(admin.username),
    TEMPORAL_DB_PASSWORD: decodeURIComponent(admin.password),
    TEMPORAL_PORT_OFFSET: String(offset),
    TEMPORAL_DB_NAME: databases[0],
    TEMPORAL_VISIBILITY_DB_NAME: databases[1],
    TEMPORAL_LOG_LEVEL: process.env.TEMPORAL_LOG_LEVEL ?? 'warn',
    // Each of the server's services has pools of its own (about 25 connections idle at 10); the
    // machine's PostgreSQL (max_connections 100) is shared with other test runs.
    TEMPORAL_DB_MAX_CONNS: process.env.TEMPORAL_DB_MAX_CONNS ?? '5',
  };

  let current: ScriptRun;
  try {
    current = await runScript(env, sink, opts.logFile, opts.timeoutMs ?? 600_000);
  } catch (err) {
    await dropDatabases(databases, adminUrl).catch(() => undefined);
    log.end();
    throw err;
  }

  const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;
  const waitForExit = (p: ChildProcess) => new Promise<void>((resolve) => (exited(p) ? resolve() : p.once('exit', () => resolve())));
  const processGone = async (pid: number) => {
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  };

  const server: ClusterServer = {
    address: current.address,
    databases,
    dbMaxConns: Number(env.TEMPORAL_DB_MAX_CONNS),
    serverPid: () => current.serverPid,
    readyMs: current.readyMs,
    memory: () => {
      if (!isAlive(current.serverPid)) return undefined;
      const status = readFileSync(`/proc/${current.serverPid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
    },
    async kill(signal = 'SIGKILL') {
      const { script, serverPid } = current;
      try {
        process.kill(serverPid, signal);
      } catch {
        // already gone
      }
      // The script exits when its server does (scripts/temporal-cluster.ts).
      await Promise.all([processGone(serverPid), waitForExit(script)]);
    },
    async restart() {
      if (!exited(current.script)) throw new Error('the Temporal server is still running; kill it first');
      current = await runScript(env, sink, opts.logFile, opts.timeoutMs ?? 600_000);
      server.readyMs = current.readyMs;
      if (current.address !== server.address) throw new Error(`restarted on ${current.address}, not ${server.address}`);
    },
    async stop() {
      const took = await stopScript(current);
      log.end();
      return took;
    },
    dropDatabases: () => dropDatabases(databases, adminUrl),
  };
  return server;
}

/** Runs `temporal-cluster.ts start` until its "Ready" line. */
async function runScript(env: NodeJS.ProcessEnv, log: { write(chunk: Buffer): unknown }, logFile: string, timeoutMs: number): Promise<ScriptRun> {
  const started = Date.now();
  const script: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/temporal-cluster.ts', 'start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  script.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    log.write(c);
  });
  script.stderr!.on('data', (c: Buffer) => log.write(c));

  const serverPid = () => Number(/Temporal server \(pid (\d+)\)/.exec(stdout)?.[1]) || undefined;
  const deadline = Date.now() + timeoutMs;
  try {
    while (!/^Ready /m.test(stdout)) {
      if (script.exitCode !== null) throw new Error(`temporal:cluster start exited (${script.exitCode}):\n${stdout}\n(see ${logFile})`);
      if (Date.now() > deadline) throw new Error(`temporal:cluster start was not ready in time:\n${stdout}\n(see ${logFile})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stopScript({ script, serverPid: serverPid() ?? 0 });
    throw err;
  }
  return { script, serverPid: serverPid()!, readyMs: Date.now() - started, address: /TEMPORAL_ADDRESS=(\S+)/.exec(stdout)![1]! };
}

/** SIGTERM to the script, which stops its server; resolves with how long that took. */
function stopScript({ script, serverPid }: { script: ChildProcess; serverPid: number }): Promise<number> {
  return new Promise<number>((resolve) => {
    const at = Date.now();
    if (script.exitCode !== null || script.signalCode !== null) return resolve(0);
    const timer = setTimeout(() => {
      // A script that does not stop in time is killed, and so is its server, which would outlive it.
      script.kill('SIGKILL');
      try {
        if (serverPid) process.kill(serverPid, 'SIGKILL');
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
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function dropDatabases(names: string[], adminUrl = DEFAULT_ADMIN_URL): Promise<void> {
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const name of names) await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

export function databaseUrl(name: string, adminUrl = DEFAULT_ADMIN_URL): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
