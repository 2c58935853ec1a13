import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { freePort } from './globalSetup';

/**
 * A PostgreSQL cluster of a test's own (initdb into a temp dir, a free loopback port, trust
 * auth, fsync off), so a test can stop and start it without touching anyone else's database.
 * The machine's shared PostgreSQL is never touched.
 */
export interface PrivatePostgres {
  port: number;
  dataDir: string;
  /** postgres://postgres@127.0.0.1:<port>/hookferry, migrated. */
  url: string;
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  /** Stops the cluster (if running) and deletes its files. */
  destroy(): void;
  log(): string;
}

function binDir(): string {
  if (process.env.TEST_PG_BIN_DIR) return process.env.TEST_PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL binaries found in /usr/lib/postgresql/*/bin (set TEST_PG_BIN_DIR)');
  versions.sort((a, b) => Number(b) - Number(a));
  return path.join(root, versions[0]!, 'bin');
}

/** initdb and postgres refuse to run as root: then they run as the `postgres` OS user. */
function osUser(): { uid: number; gid: number; prefix: string[] } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root and there is no `postgres` OS user to run a private PostgreSQL as');
  return { uid, gid, prefix: ['runuser', '-u', 'postgres', '--'] };
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const user = osUser();
  const root = mkdtempSync(path.join(os.tmpdir(), 'hookferry-pg-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  if (user) chownSync(root, user.uid, user.gid);

  const run = (cmd: string, args: string[], timeoutMs = 60_000) => {
    const argv = [...(user?.prefix ?? []), path.join(bin, cmd), ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}\n${readLog()}`);
    return r.stdout;
  };
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '');

  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${root}'`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  let running = false;
  const start = () => {
    run('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options], 90_000);
    running = true;
  };
  const stop = (mode: 'fast' | 'immediate' = 'fast') => {
    run('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60'], 90_000);
    running = false;
  };
  start();
  try {
    run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'hookferry']);
    const url = `postgres://postgres@127.0.0.1:${port}/hookferry`;
    const db = createDb(url, 1);
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
    return {
      port,
      dataDir,
      url,
      start,
      stop,
      log: readLog,
      destroy() {
        try {
          if (running) stop('immediate');
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    try {
      stop('immediate');
    } catch {
      // already down
    }
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
