import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { Database } from './schema';

export type Db = Kysely<Database>;

export function createDb(databaseUrl: string, maxConnections = 10): Db {
  const pool = new Pool({ connectionString: databaseUrl, max: maxConnections, connectionTimeoutMillis: 5_000 });
  // A client losing its connection (e.g. PostgreSQL restarting) must not crash the process.
  // Idle clients report it on the pool; checked-out clients emit 'error' on themselves (even
  // after failing their active query), which would be an unhandled 'error' event without this.
  // The query that was running rejects as usual, and pg-pool discards the dead client on release.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
