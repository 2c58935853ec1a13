import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKeySetting, SECRETS_KEY_VARIABLE } from './domain/secretBox';

export const DEV_SECRETS_KEY_FILE = 'secrets.key';

export interface DevSecretsKey {
  /** The key setting (`<id>:<base64>`), for HOOKFERRY_SECRETS_KEY. */
  setting: string;
  file: string;
  created: boolean;
  /** Set when the file can be read by others than its owner. */
  warning?: string;
}

/**
 * `npm start` only: the development key for webhook secrets at rest, kept in `<dataDir>/secrets.key`
 * (owner-only, 0600) and made on first start. Production processes never do this: they
 * require HOOKFERRY_SECRETS_KEY, so a missing key cannot go unnoticed there.
 */
export function ensureDevSecretsKey(dataDir: string): DevSecretsKey {
  const file = path.join(dataDir, DEV_SECRETS_KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let created = false;
  try {
    // 'wx': never overwrite a key (another `npm start` may have just written it).
    writeFileSync(file, `${generateKeySetting()}\n`, { flag: 'wx', mode: 0o600 });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const setting = readFileSync(file, 'utf8').trim();
  const mode = statSync(file).mode & 0o777;
  const warning = mode & 0o077 ? `${file} can be read by other users (mode ${mode.toString(8)}); run \`chmod 600 ${file}\`` : undefined;
  return { setting, file, created, warning };
}

/** What `npm start` prints about the key. */
export function describeDevSecretsKey(key: DevSecretsKey | undefined): string {
  if (!key) return `from ${SECRETS_KEY_VARIABLE}`;
  return `${key.file} (development key${key.created ? ', generated now' : ''}; set ${SECRETS_KEY_VARIABLE} in production)`;
}
