// `npm start`'s Temporal: TEMPORAL_ADDRESS if set, else a local dev server whose state (an SQLite
// file) lives in Hookferry's data directory, so a restart resumes every workflow where it was.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { readSetting } from '../settings';
import { ensureTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/devServer';

/** TEMPORAL_DB_FILE value for a dev server that keeps its state in memory (gone when it stops). */
export const IN_MEMORY = ':memory:';

export interface DevTemporal {
  address: string;
  uiUrl: string;
  /** One line for the banner: where Temporal's state is. */
  description: string;
  stop(): Promise<void>;
}

/**
 * The dev server's SQLite file: TEMPORAL_DB_FILE if set (`:memory:` for none), else `fallback`
 * (`<data dir>/temporal.db` for npm start; none, i.e. in memory, for `npm run temporal`).
 */
export function temporalStateFile(env: NodeJS.ProcessEnv, fallback: string | undefined): string | undefined {
  const chosen = readSetting('TEMPORAL_DB_FILE', env)?.trim();
  if (chosen === IN_MEMORY) return undefined;
  if (chosen) return path.resolve(chosen);
  return fallback;
}

export async function chooseDevTemporal(opts: { env: NodeJS.ProcessEnv; temporalAddress: string | undefined; temporalUiUrl: string; dataDir: string; log: (line: string) => void }): Promise<DevTemporal> {
  if (opts.temporalAddress) {
    return { address: opts.temporalAddress, uiUrl: opts.temporalUiUrl, description: `TEMPORAL_ADDRESS (${opts.temporalAddress})`, stop: async () => undefined };
  }
  const cliPath = await ensureTemporalCli(opts.log);
  const dbFile = temporalStateFile(opts.env, path.join(opts.dataDir, 'temporal.db'));
  if (dbFile) mkdirSync(path.dirname(dbFile), { recursive: true });
  const server = await startDevServer({ cliPath, dbFile });
  return {
    address: server.address,
    uiUrl: server.uiUrl ?? opts.temporalUiUrl,
    description: dbFile
      ? `dev server on ${server.address}, state in ${dbFile}`
      : `dev server on ${server.address}, state in memory (TEMPORAL_DB_FILE=${IN_MEMORY}): lost when it stops`,
    stop: server.stop,
  };
}
