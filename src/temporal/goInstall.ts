import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
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

export interface GoInstallOptions {
  /** Packages at one version, e.g. `go.temporal.io/server/cmd/server@v1.29.1`. */
  packages: string[];
  /** The name each package's binary gets in `targetDir` (go install names it after the package's last path element). */
  installAs: Record<string, string>;
  targetDir: string;
  what: string;
  say: Say;
}

/**
 * `go install` with progress lines, stripped binaries (-s -w: a third smaller, the same code), and an
 * atomic move into `targetDir`: a build killed half-way leaves nothing that looks finished.
 */
export async function goInstall(opts: GoInstallOptions): Promise<void> {
  if (!onPath('go')) throw new Error(`Go is not installed, so ${opts.what} cannot be built (https://go.dev/dl/).`);
  mkdirSync(opts.targetDir, { recursive: true });
  const buildDir = mkdtempSync(path.join(opts.targetDir, '.build-'));
  const started = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('go', ['install', '-x', '-ldflags=-s -w', ...opts.packages], {
        env: { ...process.env, GOBIN: buildDir, GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') },
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
          opts.say(`  … ${Math.round((Date.now() - started) / 1000)}s: ${downloads} modules downloaded, ${compiled} packages compiled`);
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install failed (exit ${code}):\n${tail}`))));
    });
    for (const [built, name] of Object.entries(opts.installAs)) {
      const from = path.join(buildDir, built);
      if (!existsSync(from)) throw new Error(`go install did not produce ${built}`);
      renameSync(from, path.join(opts.targetDir, name));
    }
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  opts.say(`${opts.what} built in ${Math.round((Date.now() - started) / 1000)}s into ${opts.targetDir}`);
}

/** The version a Temporal binary reports (`temporal version 1.29.1` → `1.29.1`), or undefined. */
export function reportedVersion(binary: string): string | undefined {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return out.status === 0 ? /version (\S+)/.exec(out.stdout)?.[1] : undefined;
}
