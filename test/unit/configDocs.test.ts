import { readFileSync } from 'node:fs';
import path from 'node:path';
import { README_PATH, withConfigTable } from '../../scripts/config-docs';
import { SETTING_NAMES, SETTINGS } from '../../src/settings';

const ROOT = path.resolve(__dirname, '../..');

test("README's configuration table is the one `npm run docs:config` generates from src/settings.ts", () => {
  const readme = readFileSync(README_PATH, 'utf8');
  const generated = withConfigTable(readme);
  if (generated !== readme) {
    const have = readme.split('\n');
    const want = generated.split('\n');
    const line = want.findIndex((l, i) => l !== have[i]);
    throw new Error(
      `README.md's configuration table differs from src/settings.ts: run \`npm run docs:config\` and commit README.md.\n` +
        `first difference at README.md:${line + 1}\n  README:    ${have[line] ?? '(end of file)'}\n  generated: ${want[line] ?? '(end of file)'}`,
    );
  }
});

test('every setting has a one-line description and at least one reader', () => {
  for (const name of SETTING_NAMES) {
    const s = SETTINGS[name];
    expect({ name, ok: s.description.trim().length > 0 && !s.description.includes('\n') }).toEqual({ name, ok: true });
    expect({ name, readers: s.readBy.length > 0 }).toEqual({ name, readers: true });
  }
});

test("docker-compose.yml passes only settings of the table to Hookferry's processes", () => {
  const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  // The block every Hookferry service (api, worker) takes its environment from.
  const block = compose.split(/^x-hookferry-env: &hookferry-env\n/m)[1]!.split(/^\S/m)[0]!;
  const anchored = [...block.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
  // Any HOOKFERRY_* variable given to a service anywhere in the file (e.g. the worker's metrics port).
  const hookferryKeys = [...compose.matchAll(/^\s+(HOOKFERRY_[A-Z0-9_]+):/gm)].map((m) => m[1]!);
  const passed = [...new Set([...anchored, ...hookferryKeys])];
  expect(anchored.length).toBeGreaterThan(5);
  expect(passed.filter((name) => !(name in SETTINGS))).toEqual([]);
});
