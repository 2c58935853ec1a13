// The npm registry these machines reach lacks some platform-only optional packages (e.g.
// @swc/core-darwin-arm64), so `npm install` cannot record them and `npm ci` then refuses the
// lock file. This adds their lock entries (name, version, os, cpu, optional) so `npm ci` works
// here and on any other platform (where npm fetches them by name and version).
// Run after changing dependencies: `npx tsx scripts/lockfile-platform-stubs.ts`.
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'loong64', 'riscv64', 'mips64el'];

type Entry = { version?: string; optionalDependencies?: Record<string, string>; [k: string]: unknown };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, Entry> };
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
    const tokens = name.split('/').pop()!.split('-');
    const os = tokens.find((t) => OS.includes(t));
    const cpu = tokens.find((t) => CPU.includes(t) || t === 'arm' || t.startsWith('arm'));
    if (!os) continue; // not a platform package: leave it to npm
    const stub: Entry = { version, cpu: cpu ? [cpu === 'armv7' ? 'arm' : cpu] : undefined, os: [os], optional: true };
    if (tokens.includes('musl')) stub.libc = ['musl'];
    else if (os === 'linux' && tokens.some((t) => t.startsWith('gnu'))) stub.libc = ['glibc'];
    lock.packages[`node_modules/${name}`] = JSON.parse(JSON.stringify(stub));
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform-only optional packages to package-lock.json`);
