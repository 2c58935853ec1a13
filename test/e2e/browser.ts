// Helpers for the dashboard end-to-end tests: build the dashboard, drive Debian's
// Chromium with playwright-core (never a downloaded browser), collect console
// errors and save screenshots under test-output/screenshots/ (not committed).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-output', 'screenshots');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(
      `Chromium not found (looked at ${candidates.join(', ')}). Install Debian's package: apt-get update && apt-get install -y chromium`,
    );
  }
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

/** Builds web/dist with Vite (the API serves it at `/`). Set HOOKFERRY_E2E_SKIP_BUILD=1 to reuse an existing build. */
export function buildDashboard(): void {
  if (process.env.HOOKFERRY_E2E_SKIP_BUILD === '1' && fs.existsSync(path.join(REPO_ROOT, 'web', 'dist', 'index.html'))) return;
  const vite = path.join(REPO_ROOT, 'node_modules', '.bin', 'vite');
  const r = spawnSync(vite, ['build', '--config', 'web/vite.config.mts', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}

export interface ConsoleWatch {
  /** Everything reported so far as `console.error`, uncaught exceptions and crashes. */
  errors: string[];
  /** Errors that were not explicitly expected. */
  unexpected(): string[];
  /** Tolerate errors matching `pattern` while `fn` runs (e.g. the browser's own log line for an expected 401). */
  expecting<T>(pattern: RegExp, fn: () => Promise<T>): Promise<T>;
}

export function watchConsole(page: Page): ConsoleWatch {
  const errors: string[] = [];
  const expected = new Set<string>();
  let tolerated: RegExp | null = null;
  const record = (text: string) => {
    errors.push(text);
    if (tolerated && tolerated.test(text)) expected.add(text);
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      record(`${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (err) => record(`uncaught: ${err.stack ?? err.message}`));
  page.on('crash', () => record('page crashed'));
  return {
    errors,
    unexpected: () => errors.filter((e) => !expected.has(e)),
    async expecting(pattern, fn) {
      tolerated = pattern;
      try {
        return await fn();
      } finally {
        // let late console messages of this phase arrive before closing the window
        await page.waitForTimeout(200);
        tolerated = null;
      }
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
