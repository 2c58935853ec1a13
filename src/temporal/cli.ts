import { existsSync } from 'node:fs';
import path from 'node:path';
import { goInstall, onPath, sayOnStderr, temporalCacheDir, type Say } from './goInstall';

export { temporalCacheDir };

/** The newest Temporal CLI release whose go.mod has no `replace`, so `go install` works. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/**
 * Finds the Temporal CLI: $TEMPORAL_CLI_PATH, then PATH, then the cache directory, else
 * builds it from Go modules into the cache (minutes on a first run; progress is shown).
 */
export async function ensureTemporalCli(say: Say = sayOnStderr): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const inPath = onPath('temporal');
  if (inPath) return inPath;
  const cached = path.join(temporalCacheDir(), 'temporal');
  if (existsSync(cached)) return cached;

  if (!onPath('go')) {
    throw new Error(
      [
        'The Temporal CLI was not found and Go is not installed to build it. Either:',
        `  - install Go (https://go.dev/dl/) and run: GOBIN=${temporalCacheDir()} go install ${TEMPORAL_CLI_MODULE}`,
        '  - or install the Temporal CLI (https://docs.temporal.io/cli) and put it on PATH or in TEMPORAL_CLI_PATH,',
        '  - or point Hookferry at an existing server with TEMPORAL_ADDRESS=host:7233.',
      ].join('\n'),
    );
  }
  say(`Building the Temporal CLI from Go modules (${TEMPORAL_CLI_MODULE}) into ${temporalCacheDir()}.`);
  say('This happens once per machine and takes about 3-5 minutes; later starts reuse the binary.');
  await goInstall({ packages: [TEMPORAL_CLI_MODULE], installAs: { temporal: 'temporal' }, targetDir: temporalCacheDir(), what: 'The Temporal CLI', say });
  return cached;
}
