// `npm start`'s database: DATABASE_URL if set, else the local PostgreSQL if one answers, else an
// embedded PostgreSQL with its data in Hookferry's data directory.
import net from 'node:net';
import path from 'node:path';
import { startEmbeddedPostgres } from './embeddedPostgres';

export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/hookferry';

export interface DevDatabase {
  url: string;
  /** One line for the banner: which database this is and where its data lives. */
  description: string;
  stop(): Promise<void>;
}

export interface DevDatabaseOptions {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  /** Whether dataDir is the default one (neither HOOKFERRY_DATA_DIR nor XDG_DATA_HOME chose it). */
  dataDirIsDefault: boolean;
  log: (line: string) => void;
}

export async function chooseDevDatabase(opts: DevDatabaseOptions): Promise<DevDatabase> {
  const configured = opts.env.DATABASE_URL?.trim();
  if (configured) return { url: configured, description: `DATABASE_URL (${withoutPassword(configured)})`, stop: async () => undefined };

  const local = new URL(LOCAL_DATABASE_URL);
  if (await answers(local.hostname, Number(local.port))) {
    return { url: LOCAL_DATABASE_URL, description: `the local PostgreSQL (${LOCAL_DATABASE_URL})`, stop: async () => undefined };
  }

  opts.log(`Nothing answers at ${local.host} and DATABASE_URL is not set: starting the embedded PostgreSQL.`);
  const embedded = await startEmbeddedPostgres({
    dir: opts.dataDir,
    rootFallbackDir: opts.dataDirIsDefault ? path.join('/var/lib', 'hookferry') : undefined,
    log: opts.log,
  });
  return {
    url: embedded.url,
    description: `embedded ${embedded.version} on 127.0.0.1:${embedded.port}, data in ${embedded.clusterDir}`,
    stop: embedded.stop,
  };
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'unparsable URL';
  }
}

/** Whether anything accepts a TCP connection there within a second. */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
