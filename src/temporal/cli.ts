import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StartupProblem } from '../startupProblem';
import { onPath, temporalCacheDir } from './goInstall';

/** The newest Temporal CLI release whose go.mod has no `replace`, so `go install` works. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const [TEMPORAL_CLI_PACKAGE, TEMPORAL_CLI_VERSION] = TEMPORAL_CLI_MODULE.split('@') as [string, string];
const TEMPORAL_CLI_MODULE_PATH = 'github.com/temporalio/cli';

/** No symbol table, no DWARF debug info: 213 MB instead of 252 MB (stack traces keep their function names). */
const STRIP_LDFLAGS = '-ldflags=-s -w';

/**
 * The cold build measured on this project's machine (2 cores, Go 1.26, empty module and build
 * caches, 2026-12-03; see the README): 159 modules downloaded in 35 s, then 1,297 packages compiled
 * and linked in 8m25s while other builds and tests shared the cores (load average 4-10); the whole
 * build used 430 CPU-seconds. The basis of the estimate shown before compiling.
 */
const MEASURED_COLD_BUILD = { packages: 1297, cpuSeconds: 430, wallSeconds: 540, cores: 2 };

export { temporalCacheDir };

/**
 * Finds the Temporal CLI: $TEMPORAL_CLI_PATH, then PATH, then the cache directory, else
 * builds it from Go modules into the cache (minutes on a first run; progress is shown).
 */
export async function ensureTemporalCli(say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new StartupProblem(`TEMPORAL_CLI_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const inPath = onPath('temporal');
  if (inPath) return inPath;
  const cached = path.join(temporalCacheDir(), 'temporal');
  if (existsSync(cached)) return cached;

  if (!onPath('go')) {
    throw new StartupProblem(
      [
        'The Temporal CLI was not found and Go is not installed to build it. Either:',
        '  - install the Temporal CLI as its documentation describes (https://docs.temporal.io/cli/setup-cli)',
        '    and put it on PATH or name it in TEMPORAL_CLI_PATH=/path/to/temporal,',
        '  - or point Hookferry at a running Temporal server with TEMPORAL_ADDRESS=host:7233,',
        `  - or install Go (https://go.dev/dl/): Hookferry then builds the CLI once (go install ${TEMPORAL_CLI_MODULE}).`,
      ].join('\n'),
    );
  }
  await buildTemporalCli(cached, say);
  return cached;
}

/** Environment for every `go` command of the build: the cache as GOBIN-to-be, no VCS stamping, no workspace. */
function goEnv(gobin: string): NodeJS.ProcessEnv {
  return { ...process.env, GOBIN: gobin, GOWORK: 'off', GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') };
}

/**
 * `go install` of the CLI, in three steps so that the slow one shows progress against a known total:
 * fetch the CLI's module; list the packages the build must compile (`go list -deps`, which also
 * downloads every dependency module); install, counting packages as `go install -v` names them.
 * Builds into a private directory and renames the binary into place, so an interrupted build never
 * leaves a half-written binary for the next start (or a concurrent build) to pick up.
 */
async function buildTemporalCli(target: string, say: (line: string) => void): Promise<void> {
  const cacheDir = path.dirname(target);
  mkdirSync(cacheDir, { recursive: true });
  const buildDir = path.join(cacheDir, `.build-${process.pid}`);
  mkdirSync(buildDir, { recursive: true });
  const env = goEnv(buildDir);
  const started = Date.now();
  say(`Building the Temporal CLI from Go modules (${TEMPORAL_CLI_MODULE}) into ${cacheDir}.`);
  say('This happens once per machine; later starts reuse the binary.');
  try {
    const downloadStarted = Date.now();
    const cliModule = await runGo(['mod', 'download', '-json', `${TEMPORAL_CLI_MODULE_PATH}@${TEMPORAL_CLI_VERSION}`], { env });
    const moduleDir = (JSON.parse(cliModule.stdout) as { Dir?: string }).Dir;
    if (!moduleDir) throw new Error(`go mod download gave no directory for ${TEMPORAL_CLI_MODULE_PATH}@${TEMPORAL_CLI_VERSION}:\n${cliModule.stdout}`);
    const packageDir = `./${path.posix.relative(TEMPORAL_CLI_MODULE_PATH, TEMPORAL_CLI_PACKAGE)}`;

    say('  Downloading the modules it depends on and listing the packages to compile …');
    let downloads = 0;
    const listed = await runGo(['list', '-deps', STRIP_LDFLAGS, '-f', '{{if .Stale}}{{.ImportPath}}{{end}}', packageDir], {
      env,
      cwd: moduleDir,
      onStderrLine: (line) => {
        if (line.startsWith('go: downloading ')) downloads++;
      },
      every: 10_000,
      onTick: () => say(`  … ${formatDuration(Date.now() - started)}: ${downloads} modules downloaded`),
    });
    const total = listed.stdout.split('\n').filter(Boolean).length;
    const downloadMs = Date.now() - downloadStarted;
    say(`  ${downloads} modules downloaded in ${formatDuration(downloadMs)}; ${total} packages to compile. ${estimateText(total)}`);

    const compileStarted = Date.now();
    let compiled = 0;
    await runGo(['install', '-v', STRIP_LDFLAGS, TEMPORAL_CLI_MODULE], {
      env,
      onStderrLine: (line) => {
        if (line && !line.startsWith('go: ')) compiled++;
      },
      every: 10_000,
      onTick: () => say(`  … ${progressText(compiled, total, Date.now() - compileStarted)}`),
    });
    renameSync(path.join(buildDir, 'temporal'), target);
    const mb = Math.round(statSync(target).size / 1e6);
    say(`Temporal CLI built in ${formatDuration(Date.now() - started)} (${mb} MB): ${target}`);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

/**
 * What the measured cold build says about compiling `packages` here: a measured point and a floor
 * (its CPU time spread over every core), not a promise; the progress lines extrapolate as it goes.
 */
export function estimateText(packages: number, cores = os.availableParallelism()): string {
  const share = packages / MEASURED_COLD_BUILD.packages;
  const floorSeconds = (MEASURED_COLD_BUILD.cpuSeconds * share) / Math.max(1, cores);
  return (
    `A cold build took ${formatDuration(MEASURED_COLD_BUILD.wallSeconds * 1000)} on a ${MEASURED_COLD_BUILD.cores}-core machine shared with other work ` +
    `and needs about ${formatDuration(MEASURED_COLD_BUILD.cpuSeconds * share * 1000)} of CPU time: at least ${formatDuration(floorSeconds * 1000)} ` +
    `on this machine's ${cores} core${cores === 1 ? '' : 's'}, more if they are busy.`
  );
}

/**
 * "412/1297 packages compiled, 1m40s, about 2m30s left". The estimate extrapolates the rate so far,
 * so it is rough while few packages are done; after the last package the binary is linked.
 */
export function progressText(compiled: number, total: number, elapsedMs: number): string {
  const done = Math.min(compiled, total);
  if (total === 0 || done >= total) return `${done}/${total} packages compiled in ${formatDuration(elapsedMs)}; linking the binary …`;
  const head = `${done}/${total} packages compiled, ${formatDuration(elapsedMs)}`;
  if (done < total / 20) return head;
  return `${head}, about ${formatDuration((elapsedMs / done) * (total - done))} left`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

interface RunGoOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  onStderrLine?: (line: string) => void;
  /** Calls onTick every this many ms while the command runs. */
  every?: number;
  onTick?: () => void;
}

function runGo(args: string[], opts: RunGoOptions): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) opts.onStderrLine?.(line.trim());
    });
    const ticker = opts.onTick && opts.every ? setInterval(opts.onTick, opts.every) : undefined;
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (partial) opts.onStderrLine?.(partial.trim());
      if (code === 0) resolve({ stdout });
      else reject(new Error(`go ${args.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}
