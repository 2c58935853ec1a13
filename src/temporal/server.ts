import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { readSetting } from '../settings';
import { portAnswers, stopProcess } from './devServer';
import { goInstall, onPath, reportedVersion, sayOnStderr, temporalCacheDir, type MeasuredBuild, type Say } from './goInstall';

/**
 * The Temporal server release Hookferry runs in production: the one the CLI (v1.5.1) embeds for
 * the dev server, and the temporalio/server image docker-compose.yml uses. Its go.mod has no
 * `replace` and asks for Go 1.25, so `go install` builds it with the machine's Go (v1.30 and
 * later ask for Go 1.26.10).
 */
export const TEMPORAL_SERVER_VERSION = '1.29.1';

const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';

/** Each binary, by the name we cache it under: the package `go install` builds, and the variable that names a binary of its own. */
const SERVER_BINARIES = {
  'temporal-server': { pkg: `${TEMPORAL_SERVER_MODULE}/cmd/server`, envPath: 'TEMPORAL_SERVER_PATH' },
  'temporal-sql-tool': { pkg: `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql`, envPath: 'TEMPORAL_SQL_TOOL_PATH' },
} as const;
export type ServerBinary = keyof typeof SERVER_BINARIES;

/**
 * The cold build of both binaries measured on this project's machine (2 cores, Go 1.26, modules
 * already downloaded, empty build cache, 2026-12-03; see the README): 1,258 packages compiled and
 * the two binaries linked in 11m01s while other builds shared the cores (load average 6-16), using
 * 395 CPU-seconds (1,256 packages besides the two main ones); a rebuild that only relinks both used 8.
 */
export const SERVER_COLD_BUILD: MeasuredBuild = { packages: 1256, cpuSeconds: 395, linkCpuSeconds: 8, wallSeconds: 661, cores: 2 };

/** The repository's server config (config.yaml, dynamicconfig.yaml). */
export const TEMPORAL_CONFIG_DIR = path.resolve(__dirname, '../../deploy/temporal');
/** `--env config` makes the server read `config.yaml` from the config directory. */
const CONFIG_ENV_NAME = 'config';

/**
 * Finds the server's binaries: $TEMPORAL_SERVER_PATH / $TEMPORAL_SQL_TOOL_PATH, then PATH, then
 * the cache beside the CLI (~/.cache/hookferry/bin), each only if it reports
 * TEMPORAL_SERVER_VERSION; else builds the missing ones from Go modules into the cache, with
 * progress (about 3 minutes on these 2 cores once the CLI's build has filled Go's caches).
 */
export async function ensureTemporalServerBinaries<B extends ServerBinary>(
  wanted: readonly B[],
  say: Say = sayOnStderr,
): Promise<Record<B, string>> {
  const found = {} as Record<B, string>;
  const missing: B[] = [];
  for (const name of wanted) {
    const fromEnv = readSetting(SERVER_BINARIES[name].envPath);
    if (fromEnv) {
      if (!existsSync(fromEnv)) throw new Error(`${SERVER_BINARIES[name].envPath}=${fromEnv} does not exist`);
      found[name] = fromEnv;
      continue;
    }
    const candidate = [onPath(name), path.join(temporalCacheDir(), name)].find(
      (p) => p && existsSync(p) && reportedVersion(p) === TEMPORAL_SERVER_VERSION,
    );
    if (candidate) found[name] = candidate;
    else missing.push(name);
  }
  if (missing.length === 0) return found;

  await buildTemporalServerBinaries(missing, temporalCacheDir(), say);
  for (const name of missing) found[name] = path.join(temporalCacheDir(), name);
  return found;
}

/**
 * Builds the given binaries into `targetDir` with one `go install`, so the packages they share
 * compile once (exported so that a build can be checked without touching the cache).
 */
export function buildTemporalServerBinaries(names: readonly ServerBinary[], targetDir: string, say: Say = sayOnStderr): Promise<void> {
  return goInstall({
    module: TEMPORAL_SERVER_MODULE,
    version: `v${TEMPORAL_SERVER_VERSION}`,
    binaries: names.map((name) => ({ package: SERVER_BINARIES[name].pkg, installAs: name })),
    targetDir,
    what: `the Temporal server ${TEMPORAL_SERVER_VERSION} (${names.join(', ')})`,
    measured: SERVER_COLD_BUILD,
    say,
  });
}

/**
 * The settings the config file takes from the environment, with the defaults written in the file
 * itself (`{{ env "NAME" | default "VALUE" }}`), so the script and the server cannot disagree.
 */
export function clusterSettings(env: NodeJS.ProcessEnv = process.env) {
  const template = readFileSync(path.join(TEMPORAL_CONFIG_DIR, `${CONFIG_ENV_NAME}.yaml`), 'utf8');
  const defaults = new Map<string, string>();
  for (const m of template.matchAll(/env "(\w+)" \| default "([^"]*)"/g)) defaults.set(m[1]!, m[2]!);
  const setting = (name: string) => env[name] ?? defaults.get(name) ?? '';
  const offset = Number(setting('TEMPORAL_PORT_OFFSET'));
  // The server stores its ports in a smallint column (cluster_membership.rpc_port) and dies on a larger one.
  if (!Number.isInteger(offset) || offset < -6933 || 7243 + offset > 32_767) {
    throw new Error(`TEMPORAL_PORT_OFFSET=${setting('TEMPORAL_PORT_OFFSET')}: every port of the server must stay below 32768 (offset at most 25524)`);
  }
  return {
    db: {
      host: setting('TEMPORAL_DB_HOST'),
      port: Number(setting('TEMPORAL_DB_PORT')),
      user: setting('TEMPORAL_DB_USER'),
      password: setting('TEMPORAL_DB_PASSWORD'),
      databases: { persistence: setting('TEMPORAL_DB_NAME'), visibility: setting('TEMPORAL_VISIBILITY_DB_NAME') },
    },
    frontendAddress: `${setting('TEMPORAL_BIND_IP')}:${7233 + offset}`,
    /** The ports the server opens (gRPC and membership of each service, frontend HTTP). */
    ports: [7233, 7234, 7235, 7239, 7243, 6933, 6934, 6935, 6939].map((p) => p + offset),
  };
}
export type ClusterSettings = ReturnType<typeof clusterSettings>;

/** The embedded schema of each database (`temporal-sql-tool --schema-name`). */
const SCHEMAS = { persistence: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;

/**
 * Creates the two databases if needed and brings their schemas to the version this server
 * release embeds. Idempotent: `setup-schema -v 0.0` leaves a versioned schema alone, and
 * `update-schema` applies only the versions a database has not had yet.
 */
export async function setupTemporalSchemas(sqlTool: string, settings: ClusterSettings, say: Say = sayOnStderr): Promise<void> {
  const { db } = settings;
  const common = ['--plugin', 'postgres12', '--ep', db.host, '--port', String(db.port), '--user', db.user];
  // The password goes in the tool's environment, not on its command line where `ps` shows it.
  const toolEnv = { ...process.env, SQL_PASSWORD: db.password };
  const connect = (database: string) => new PgClient({ host: db.host, port: db.port, user: db.user, password: db.password, database });
  const admin = connect('postgres');
  await admin.connect();
  try {
    for (const kind of ['persistence', 'visibility'] as const) {
      const name = db.databases[kind];
      const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) {
        say(`Creating database ${name}`);
        runSqlTool(sqlTool, [...common, '--db', name, 'create-database'], toolEnv);
      }
      runSqlTool(sqlTool, [...common, '--db', name, 'setup-schema', '-v', '0.0'], toolEnv);
      runSqlTool(sqlTool, [...common, '--db', name, 'update-schema', '--schema-name', SCHEMAS[kind]], toolEnv);
      const schemaDb = connect(name);
      await schemaDb.connect();
      const row = await schemaDb
        .query<{ curr_version: string }>('select curr_version from schema_version where version_partition = 0 and db_name = $1', [name])
        .finally(() => schemaDb.end());
      say(`Database ${name}: schema ${SCHEMAS[kind]} at version ${row.rows[0]?.curr_version ?? '?'}`);
    }
  } finally {
    await admin.end();
  }
}

function runSqlTool(sqlTool: string, args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(sqlTool, ['--quiet', ...args], { encoding: 'utf8', env });
  if (result.status !== 0) {
    throw new Error(`temporal-sql-tool ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
  }
}

export interface RunningTemporalServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal-server` on the repository's config; resolves once the frontend accepts
 * connections. Its output goes to `log` (line by line).
 */
export async function startTemporalServer(opts: {
  serverPath: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  timeoutMs?: number;
}): Promise<RunningTemporalServer> {
  const env = {
    // The repository's file wherever the server is started from (the template's default is relative).
    TEMPORAL_DYNAMIC_CONFIG_FILE: path.join(TEMPORAL_CONFIG_DIR, 'dynamicconfig.yaml'),
    ...process.env,
    ...opts.env,
  };
  const settings = clusterSettings(env);
  const [host, port] = [settings.frontendAddress.split(':')[0]!, Number(settings.frontendAddress.split(':')[1])];
  for (const p of settings.ports) {
    if (await portAnswers(p, host)) throw new Error(`port ${p} on ${host} is in use; is a Temporal server already running? (TEMPORAL_PORT_OFFSET moves every port)`);
  }
  // --root / makes the absolute config directory usable as it is (the server joins root and config).
  const child = spawn(opts.serverPath, ['--root', '/', '--config', TEMPORAL_CONFIG_DIR, '--env', CONFIG_ENV_NAME, '--allow-no-auth', 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let partial = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-8000);
    if (!opts.log) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) opts.log(line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (!(await portAnswers(port, host))) {
    if (exited) throw new Error(`temporal-server exited early:\n${tail}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal-server did not open ${settings.frontendAddress} in time:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { address: settings.frontendAddress, process: child, stop: () => stopProcess(child, 30_000) };
}
