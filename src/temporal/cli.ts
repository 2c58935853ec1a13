import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The newest Temporal CLI release whose go.mod has no `replace`, so `go install` works. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export function temporalCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'hookferry', 'bin');
}

function onPath(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const p = found.stdout.trim();
  return found.status === 0 && p ? p : undefined;
}

/**
 * Finds the Temporal CLI: $TEMPORAL_CLI_PATH, then PATH, then the cache directory, else
 * builds it from Go modules into the cache (minutes on a first run; progress is shown).
 */
export async function ensureTemporalCli(say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
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
  mkdirSync(temporalCacheDir(), { recursive: true });
  say(`Building the Temporal CLI from Go modules (${TEMPORAL_CLI_MODULE}) into ${temporalCacheDir()}.`);
  say('This happens once per machine and takes about 3-5 minutes; later starts reuse the binary.');
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', '-x', TEMPORAL_CLI_MODULE], {
      env: { ...process.env, GOBIN: temporalCacheDir(), GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let downloads = 0;
    let compiled = 0;
    let lastReport = 0;
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      downloads += (text.match(/^go: downloading /gm) ?? []).length;
      compiled += (text.match(/\/compile /g) ?? []).length;
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        say(`  … ${Math.round((Date.now() - started) / 1000)}s: ${downloads} modules downloaded, ${compiled} packages compiled`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install failed (exit ${code}):\n${tail}`))));
  });
  say(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)}s: ${cached}`);
  return cached;
}
