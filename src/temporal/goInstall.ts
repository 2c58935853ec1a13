import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where Hookferry keeps the Temporal binaries it builds: outside the repository, once per user. */
export function temporalCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'hookferry', 'bin');
}

export function onPath(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const p = found.stdout.trim();
  return found.status === 0 && p ? p : undefined;
}

export type Say = (line: string) => void;
export const sayOnStderr: Say = (line) => process.stderr.write(`${line}\n`);

/** The version a Temporal binary reports (`temporal version 1.29.1` → `1.29.1`), or undefined. */
export function reportedVersion(binary: string): string | undefined {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return out.status === 0 ? /version (\S+)/.exec(out.stdout)?.[1] : undefined;
}

/**
 * A build timed from empty Go build caches on a known machine: the basis of the estimate shown
 * before compiling. `linkCpuSeconds` (from a rebuild that only relinks) is the part that does not
 * shrink when fewer packages need compiling.
 */
export interface MeasuredBuild {
  /** The packages it compiled besides the main ones (those are compiled and linked last). */
  packages: number;
  cpuSeconds: number;
  linkCpuSeconds: number;
  wallSeconds: number;
  cores: number;
}

export interface GoInstallOptions {
  /** The module the binaries come from, and its version: `go.temporal.io/server`, `v1.29.1`. */
  module: string;
  version: string;
  /**
   * The main packages to build (import paths inside `module`), each with the file name its binary
   * gets in `targetDir`. They are built by one `go install`, so the packages they share compile once.
   */
  binaries: { package: string; installAs: string }[];
  targetDir: string;
  /** What is being built, for the messages: `the Temporal CLI`. */
  what: string;
  measured: MeasuredBuild;
  say: Say;
}

/** No symbol table, no DWARF debug info: the CLI is 213 MB instead of 252 MB (stack traces keep their function names). */
const STRIP_LDFLAGS = '-ldflags=-s -w';
const PROGRESS_EVERY_MS = 10_000;

/**
 * `go install` of some main packages of one module at one version, in three steps so that the slow
 * one shows progress against a known total: fetch the module; list the packages the build must
 * compile (`go list -deps` in the module, which also downloads every dependency module); install,
 * counting packages as `go install -v` names them. Builds into a private directory and renames each
 * binary into place, so an interrupted build never leaves a half-written binary for the next start
 * (or a concurrent build) to pick up.
 */
export async function goInstall(opts: GoInstallOptions): Promise<void> {
  if (!onPath('go')) throw new Error(`Go is not installed, so ${opts.what} cannot be built (https://go.dev/dl/).`);
  const { say } = opts;
  const packages = opts.binaries.map((b) => b.package);
  mkdirSync(opts.targetDir, { recursive: true });
  // Inside the target directory, so the final rename stays on one filesystem and is atomic.
  const buildDir = mkdtempSync(path.join(opts.targetDir, '.build-'));
  const env = goEnv(buildDir);
  const started = Date.now();
  say(`Building ${opts.what} from Go modules (go install ${packages.map((p) => `${p}@${opts.version}`).join(' ')}) into ${opts.targetDir}.`);
  say('This happens once per machine; later starts reuse what it builds.');
  try {
    const downloaded = await runGo(['mod', 'download', '-json', `${opts.module}@${opts.version}`], { env });
    const moduleDir = (JSON.parse(downloaded.stdout) as { Dir?: string }).Dir;
    if (!moduleDir) throw new Error(`go mod download gave no directory for ${opts.module}@${opts.version}:\n${downloaded.stdout}`);

    say('  Downloading the modules it depends on and listing the packages to compile …');
    let downloads = 0;
    // In the module's own directory its go.mod is the main module, as it is for `go install pkg@version`;
    // the same flags as the install, so that .Stale means "the install will compile this".
    const listed = await runGo(['list', '-deps', STRIP_LDFLAGS, '-f', '{{if .Stale}}{{.ImportPath}}{{end}}', ...packages], {
      env,
      cwd: moduleDir,
      onStderrLine: (line) => {
        if (line.startsWith('go: downloading ')) downloads++;
      },
      onTick: () => say(`  … ${formatDuration(Date.now() - started)}: ${downloads} modules downloaded`),
    });
    // A main package is stale whenever its binary is missing, also when only the link is left to
    // do, and `go install -v` names it only if it compiles it: counting the main packages would leave
    // a warm rebuild at "0/2 compiled" while it links. They are the link step instead.
    const mainPackages = new Set(packages);
    const total = listed.stdout.split('\n').filter((p) => p && !mainPackages.has(p)).length;
    say(
      `  ${downloads} modules downloaded in ${formatDuration(Date.now() - started)}; ${total} package${total === 1 ? '' : 's'} to compile, ` +
        `then ${packages.length === 1 ? 'the binary' : `${packages.length} binaries`} to link. ${estimateText(total, opts.measured)}`,
    );

    const compileStarted = Date.now();
    let compiled = 0;
    await runGo(['install', '-v', STRIP_LDFLAGS, ...packages.map((p) => `${p}@${opts.version}`)], {
      env,
      onStderrLine: (line) => {
        if (line && !line.startsWith('go: ') && !mainPackages.has(line)) compiled++;
      },
      onTick: () => say(`  … ${progressText(compiled, total, Date.now() - compileStarted)}`),
    });

    const installed: string[] = [];
    for (const { package: pkg, installAs } of opts.binaries) {
      // go install names a binary after the last element of its package path.
      const built = path.join(buildDir, path.posix.basename(pkg));
      if (!existsSync(built)) throw new Error(`go install ${pkg}@${opts.version} did not produce ${built}`);
      const target = path.join(opts.targetDir, installAs);
      renameSync(built, target);
      installed.push(`${target} (${Math.round(statSync(target).size / 1e6)} MB)`);
    }
    say(`${capitalised(opts.what)} built in ${formatDuration(Date.now() - started)}: ${installed.join(', ')}`);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

/** Environment for every `go` command of a build: GOBIN the private build directory, no VCS stamping, no workspace. */
function goEnv(gobin: string): NodeJS.ProcessEnv {
  return { ...process.env, GOBIN: gobin, GOWORK: 'off', GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') };
}

/**
 * What the measured build says about compiling `packages` and linking here: the measured cold build
 * and a floor (the CPU time spread over every core), not a promise; the progress lines extrapolate
 * as it goes. Compiling scales with the number of packages, linking does not.
 */
export function estimateText(packages: number, measured: MeasuredBuild, cores = os.availableParallelism()): string {
  const compileCpuSeconds = ((measured.cpuSeconds - measured.linkCpuSeconds) * packages) / measured.packages;
  const cpuSeconds = compileCpuSeconds + measured.linkCpuSeconds;
  const floorSeconds = cpuSeconds / Math.max(1, cores);
  return (
    `A cold build took ${formatDuration(measured.wallSeconds * 1000)} on a ${measured.cores}-core machine shared with other work; ` +
    `this one needs about ${formatDuration(cpuSeconds * 1000)} of CPU time: at least ${formatDuration(floorSeconds * 1000)} ` +
    `on this machine's ${cores} core${cores === 1 ? '' : 's'}, more if they are busy.`
  );
}

/**
 * "412/1296 packages compiled, 1m40s, about 2m30s left". The estimate extrapolates the rate so far,
 * so it is rough while few packages are done; after the last package come the main packages and the link.
 */
export function progressText(compiled: number, total: number, elapsedMs: number): string {
  const done = Math.min(compiled, total);
  if (total === 0 || done >= total) return `${done}/${total} packages compiled in ${formatDuration(elapsedMs)}; linking …`;
  const head = `${done}/${total} packages compiled, ${formatDuration(elapsedMs)}`;
  if (done < total / 20) return head;
  return `${head}, about ${formatDuration((elapsedMs / done) * (total - done))} left`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

interface RunGoOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  onStderrLine?: (line: string) => void;
  /** Called every PROGRESS_EVERY_MS while the command runs, also when it prints nothing (linking). */
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
    const ticker = opts.onTick ? setInterval(opts.onTick, PROGRESS_EVERY_MS) : undefined;
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
