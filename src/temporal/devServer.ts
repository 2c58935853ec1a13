import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { StartupProblem } from '../startupProblem';
import { SEARCH_ATTRIBUTE_NAMES } from './names';

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  cliPath: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  /** SQLite file; omitted = in memory (lost when the server stops). */
  dbFile?: string;
  /** Extra dynamic config (`--dynamic-config-value KEY=JSON`), over DEV_SERVER_DYNAMIC_CONFIG. */
  dynamicConfig?: Record<string, string | number | boolean>;
  log?: (line: string) => void;
}

/**
 * Dynamic config for every dev server Hookferry starts (measured with `npm run bench`; see
 * bench/README.md): with the Go GC settings below they cut the server's CPU per delivery by about a third.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, string | number | boolean> = {
  // The CLI re-reads search attributes from SQLite on every validation so that ones added at run
  // time show up at once; Hookferry registers all of its own at start, so the cache is safe.
  'system.forceSearchAttributesCacheRefreshOnRead': false,
  // Hand the first activity task straight back to the worker that scheduled it (no trip through matching).
  'system.enableActivityEagerExecution': true,
  // One worker process, one server: a single task-queue partition matches polls to tasks directly.
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // The history service loads new transfer tasks (start a child, dispatch a workflow task, …) at
  // most 20 times a second per shard, and the dev server has one shard: every hand-off waited up
  // to 50 ms for the next load. 200 loads/s took p50 ingest → arrival from ~155 to ~57 ms.
  'history.transferProcessorMaxPollRPS': 200,
  // A timer fires no earlier than this after it was set (default 1 s), however short: a retry
  // 100 ms away, or a held delivery's re-check, would wait a whole second. New timer tasks are
  // still clamped past what the timer queue has read, so a smaller shift loses none.
  'history.timerProcessorMaxTimeShift': '10ms',
  // A workflow id is not reused within this interval of its last run's start (default 1 s), and a
  // continue-as-new reuses it: each run of a 10,000-endpoint dispatch (a page of 500) waited
  // ~450 ms for its first workflow task. 0 took that fan-out from 19.4 s to 7.4 s.
  'history.workflowIdReuseMinimalInterval': '0s',
  // The per-host request limits (matching 1,200/s, frontend 2,400/s, history 3,000/s) are sized for
  // a cluster; one dev server carries every call, so they would throttle it first.
  'frontend.rps': 20_000,
  'frontend.namespaceRPS': 20_000,
  'matching.rps': 20_000,
  'history.rps': 20_000,
};

/**
 * Go's GC settings for the dev server: collect at 5x the live heap instead of 2x (about 15% less
 * server CPU per delivery), but more often again once the heap nears 1 GiB, so a long-running
 * server does not grow without bound. The environment's own GOGC/GOMEMLIMIT win.
 */
export const DEV_SERVER_GO_ENV = { GOGC: '400', GOMEMLIMIT: '1GiB' };

/** Starts `temporal server start-dev` with Hookferry's search attributes and fast SQLite settings. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? 8233;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', 'default', '--log-level', 'warn'];
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  // WAL + synchronous=off: the dev server's SQLite stops fsyncing every write. Fine for a
  // development server (an OS crash may lose the last writes); a production Temporal uses PostgreSQL.
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=off');
  for (const name of SEARCH_ATTRIBUTE_NAMES) args.push('--search-attribute', `${name}=Keyword`);
  for (const [key, value] of Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...opts.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  if (await portAnswers(port)) throw new StartupProblem(`port ${port} is already in use; set TEMPORAL_ADDRESS to use a server that runs there`);
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...DEV_SERVER_GO_ENV, ...process.env } });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const deadline = Date.now() + 60_000;
  while (!(await portAnswers(port))) {
    if (exited) throw new Error(`temporal server start-dev exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server start-dev did not open port ${port} within 60s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: opts.headless ? undefined : `http://localhost:${uiPort}`,
    process: child,
    stop: () => stopProcess(child),
  };
}

export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
