// Shared by test/ and bench/ (which must not import from each other): an app entry point as a
// real child process, ready once a given log line appears.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
// Enough log to see why a process failed, without growing without bound over a soak run.
const OUTPUT_TAIL_CHARS = 20_000;

export interface SpawnOptions {
  /** Used in error messages, e.g. "worker exited early". */
  name: string;
  /** Script run as `node --import tsx <entry>` from the repository root, e.g. 'src/worker/main.ts'. */
  entry: string;
  /** Command-line arguments for the entry script. */
  args?: string[];
  /** Node flags before the entry, e.g. ['--cpu-prof']. */
  nodeArgs?: string[];
  /** A command that runs it, e.g. ['ip', 'netns', 'exec', name] (which must exec, so signals reach node). */
  prefix?: string[];
  /** Added on top of this process's environment; an undefined value leaves the variable unset (as spawn does). */
  env?: NodeJS.ProcessEnv;
  /** Text (usually a pino `"msg":"…"` fragment) on stdout or stderr that means the process is ready. */
  line: string;
  timeoutMs?: number;
  /** Called with every complete line of stdout and stderr, from the first one on (e.g. to count errors). */
  onLine?: (line: string) => void;
}

/** A real child process (an app entry point) that a test can signal, as the production layout runs it. */
export interface SpawnedProcess {
  process: ChildProcess;
  /** The last OUTPUT_TAIL_CHARS of stdout and stderr, interleaved. */
  output(): string;
  /**
   * Sends `signal` and resolves once the process has exited (at once if it already has). With
   * `killAfterMs`, a process still alive by then gets SIGKILL, so a hung shutdown cannot hang a test.
   */
  kill(signal: NodeJS.Signals, killAfterMs?: number): Promise<void>;
}

/**
 * Spawns `node --import tsx <entry>` and resolves once `line` appears in its output. Throws (with the
 * output so far) if it exits first, or SIGKILLs it and throws if `line` does not appear in time.
 */
export async function spawnUntilLogLine(opts: SpawnOptions): Promise<SpawnedProcess> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const argv = [...(opts.prefix ?? []), process.execPath, ...(opts.nodeArgs ?? []), '--import', 'tsx', opts.entry, ...(opts.args ?? [])];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onLine = opts.onLine;
  // Each stream keeps its own unfinished last line, so lines of stdout and stderr never mix.
  const collector = () => {
    let partial = '';
    return (c: Buffer) => {
      const text = c.toString();
      output = (output + text).slice(-OUTPUT_TAIL_CHARS);
      if (!onLine) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    };
  };
  child.stdout!.on('data', collector());
  child.stderr!.on('data', collector());
  const deadline = Date.now() + timeoutMs;
  while (!output.includes(opts.line)) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.name} did not start within ${timeoutMs / 1000}s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    output: () => output,
    kill: (signal, killAfterMs) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(signal);
      }),
  };
}
