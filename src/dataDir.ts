import os from 'node:os';
import path from 'node:path';
import { readSetting } from './settings';

/**
 * Where `npm start` keeps state that must survive a restart (an embedded PostgreSQL's data, the
 * Temporal dev server's SQLite file, the development secrets key): `HOOKFERRY_DATA_DIR`, else the
 * XDG data directory (`$XDG_DATA_HOME/hookferry`, by default `~/.local/share/hookferry`).
 */
export function hookferryDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = readSetting('HOOKFERRY_DATA_DIR', env);
  if (chosen) return path.resolve(chosen);
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'hookferry');
}

/** Whether hookferryDataDir() is the default one, i.e. no variable chose it. */
export function isDefaultDataDir(env: NodeJS.ProcessEnv = process.env): boolean {
  return !readSetting('HOOKFERRY_DATA_DIR', env) && !env.XDG_DATA_HOME;
}
