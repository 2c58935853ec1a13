import { existsSync } from 'node:fs';
import path from 'node:path';
import { readSetting } from '../settings';
import { StartupProblem } from '../startupProblem';
import { goInstall, onPath, sayOnStderr, temporalCacheDir, type MeasuredBuild, type Say } from './goInstall';

/** The newest Temporal CLI release whose go.mod has no `replace`, so `go install` works. */
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli';
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_PACKAGE = `${TEMPORAL_CLI_MODULE}/cmd/temporal`;

/**
 * The CLI's cold build measured on this project's machine (2 cores, Go 1.26, empty module and build
 * caches, 2026-12-03; see the README): 159 modules downloaded in 35 s, then 1,297 packages compiled
 * and linked in 8m25s while other builds and tests shared the cores (load average 4-10); the whole
 * build used 430 CPU-seconds (1,296 packages besides the CLI's main package). A rebuild that only
 * relinks (2026-12-03, warm caches) used 6 CPU-seconds.
 */
export const CLI_COLD_BUILD: MeasuredBuild = { packages: 1296, cpuSeconds: 430, linkCpuSeconds: 6, wallSeconds: 540, cores: 2 };

/**
 * Finds the Temporal CLI: $TEMPORAL_CLI_PATH, then PATH, then the cache directory, else
 * builds it from Go modules into the cache (minutes on a first run; progress is shown).
 */
export async function ensureTemporalCli(say: Say = sayOnStderr): Promise<string> {
  const fromEnv = readSetting('TEMPORAL_CLI_PATH');
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
        `  - or install Go (https://go.dev/dl/): Hookferry then builds the CLI once (go install ${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION}).`,
      ].join('\n'),
    );
  }
  await buildTemporalCli(temporalCacheDir(), say);
  return cached;
}

/** Builds the CLI into `targetDir` as `temporal` (exported so that a build can be checked without touching the cache). */
export function buildTemporalCli(targetDir: string, say: Say = sayOnStderr): Promise<void> {
  return goInstall({
    module: TEMPORAL_CLI_MODULE,
    version: TEMPORAL_CLI_VERSION,
    binaries: [{ package: TEMPORAL_CLI_PACKAGE, installAs: 'temporal' }],
    targetDir,
    what: 'the Temporal CLI',
    measured: CLI_COLD_BUILD,
    say,
  });
}
