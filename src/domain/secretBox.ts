import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { StartupProblem } from '../startupProblem';

// Webhook signing secrets at rest: AES-256-GCM (authenticated) under an operator's key. Signing
// needs the plaintext, so secrets are encrypted, not hashed. A stored value names the id of the
// key that sealed it, so keys can rotate: new values are sealed under the current key, values
// under older keys still open while `rekey-secrets` moves them over.
//
// Stored form: `hfenc1:<keyId>:<iv>:<ciphertext+tag>` (base64url). The additional authenticated
// data binds the value to its webhook: a value copied onto another webhook's row does not open.

export const SEALED_PREFIX = 'hfenc1:';
const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_.-]{1,40}$/;

export const SECRETS_KEY_VARIABLE = 'HOOKFERRY_SECRETS_KEY';
export const SECRETS_OLD_KEYS_VARIABLE = 'HOOKFERRY_SECRETS_OLD_KEYS';

/** One AES-256 key and the id stored with every value sealed under it. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

/** The key new values are sealed under, and older keys that still open values sealed before a rotation. */
export interface KeyRing {
  current: SecretKey;
  older: SecretKey[];
}

/** A key setting that cannot be used (operator error at start-up: its message says what to do). */
export class SecretKeyConfigError extends StartupProblem {
  override name = 'SecretKeyConfigError';
}

/**
 * A stored secret this process cannot open: its key is not configured, or is not the key that
 * sealed it. An operator error — the delivery must wait for the key, never go out unsigned.
 */
export class SecretUnavailableError extends Error {
  override name = 'SecretUnavailableError';
  constructor(
    readonly keyId: string,
    readonly webhookId: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses one key setting: `<id>:<key>` or a bare `<key>`, the key being 32 bytes as base64
 * (`openssl rand -base64 32`) or hex (`openssl rand -hex 32`). A bare key gets an id derived
 * from its fingerprint, so the same key always has the same id.
 */
export function parseSecretKey(setting: string, variable: string): SecretKey {
  const text = setting.trim();
  const colon = text.lastIndexOf(':');
  const id = colon === -1 ? undefined : text.slice(0, colon);
  const encoded = colon === -1 ? text : text.slice(colon + 1);
  const key = /^[0-9a-fA-F]{64}$/.test(encoded) ? Buffer.from(encoded, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
  if (!key || key.length !== KEY_BYTES) {
    throw new SecretKeyConfigError(`${variable}: the key must be ${KEY_BYTES} bytes as base64 or hex, optionally prefixed with "<id>:" (generate one with \`npm run -s hookferry -- generate-secrets-key\`)`);
  }
  if (id !== undefined && !KEY_ID.test(id)) throw new SecretKeyConfigError(`${variable}: the key id "${id.slice(0, 60)}" must be 1-40 characters of A-Z a-z 0-9 _ . -`);
  return { id: id ?? fingerprintId(key), key };
}

function fingerprintId(key: Buffer): string {
  return `k${createHash('sha256').update('hookferry secrets key id\0').update(key).digest('hex').slice(0, 10)}`;
}

/** The key ring from the two settings; undefined when no current key is set. */
export function parseKeyRing(current: string | undefined, older: string | undefined): KeyRing | undefined {
  const olderSettings = (older ?? '').split(/[,\s]+/).filter(Boolean);
  if (!current?.trim()) {
    if (olderSettings.length > 0) throw new SecretKeyConfigError(`${SECRETS_OLD_KEYS_VARIABLE} is set but ${SECRETS_KEY_VARIABLE} is not: new secrets need a current key`);
    return undefined;
  }
  const ring: KeyRing = { current: parseSecretKey(current, SECRETS_KEY_VARIABLE), older: olderSettings.map((s) => parseSecretKey(s, SECRETS_OLD_KEYS_VARIABLE)) };
  const seen = new Map<string, Buffer>();
  for (const k of [ring.current, ...ring.older]) {
    const other = seen.get(k.id);
    if (other && !other.equals(k.key)) throw new SecretKeyConfigError(`two different keys have the id "${k.id}": every key needs its own id`);
    seen.set(k.id, k.key);
  }
  return ring;
}

/** A new random key as a setting for HOOKFERRY_SECRETS_KEY: `<id>:<base64>`, the id naming the day it was made. */
export function generateKeySetting(now = new Date(), id?: string): string {
  const keyId = id ?? `key-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  if (!KEY_ID.test(keyId)) throw new SecretKeyConfigError(`the key id "${keyId.slice(0, 60)}" must be 1-40 characters of A-Z a-z 0-9 _ . -`);
  return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** The settings that give another process the same ring (HOOKFERRY_SECRETS_KEY, HOOKFERRY_SECRETS_OLD_KEYS). */
export function keyRingSettings(ring: KeyRing): { HOOKFERRY_SECRETS_KEY: string; HOOKFERRY_SECRETS_OLD_KEYS: string } {
  const setting = (k: SecretKey) => `${k.id}:${k.key.toString('base64')}`;
  return { HOOKFERRY_SECRETS_KEY: setting(ring.current), HOOKFERRY_SECRETS_OLD_KEYS: ring.older.map(setting).join(',') };
}

/** Sealed values start with the prefix; anything else is a plaintext row from before encryption. */
export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/** The prefix of every value sealed under `key` (for finding the rows that still need re-keying). */
export function sealedPrefix(key: SecretKey): string {
  return `${SEALED_PREFIX}${key.id}:`;
}

function additionalData(webhookId: string): Buffer {
  return Buffer.from(`hookferry webhook secret\0${webhookId}`, 'utf8');
}

/** Encrypts a webhook's secret under the ring's current key. */
export function sealSecret(ring: KeyRing, webhookId: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, ring.current.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(webhookId));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${sealedPrefix(ring.current)}${iv.toString('base64url')}:${sealed.toString('base64url')}`;
}

/**
 * The plaintext of a stored secret. A value without the prefix is a row from before encryption
 * and is returned as it is (start-up and `rekey-secrets` seal such rows). Throws
 * SecretUnavailableError, naming the key id and what to set, when the value cannot be opened.
 */
export function openSecret(ring: KeyRing, webhookId: string, stored: string): string {
  if (!isSealed(stored)) return stored;
  const parts = stored.slice(SEALED_PREFIX.length).split(':');
  const [keyId = '', ivText = '', sealedText = ''] = parts.length === 3 ? parts : [parts[0], '', ''];
  const key = [ring.current, ...ring.older].find((k) => k.id === keyId);
  if (!key) {
    throw new SecretUnavailableError(
      keyId,
      webhookId,
      `the signing secret of webhook ${webhookId} is encrypted under key id "${keyId}", which this process does not have: ` +
        `set ${SECRETS_KEY_VARIABLE} (or add to ${SECRETS_OLD_KEYS_VARIABLE}) the key with id "${keyId}". ` +
        `If that key is lost, the secret cannot be recovered: its owner must set a new one (PATCH secret or rotate).`,
    );
  }
  const iv = Buffer.from(ivText, 'base64url');
  const sealed = Buffer.from(sealedText, 'base64url');
  try {
    if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) throw new Error('malformed');
    const decipher = createDecipheriv(CIPHER, key.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(webhookId));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretUnavailableError(
      keyId,
      webhookId,
      `the signing secret of webhook ${webhookId} does not decrypt with the key configured as id "${keyId}": ` +
        `that is not the key it was encrypted with, or the stored value was altered. Set the original key with id "${keyId}" ` +
        `in ${SECRETS_KEY_VARIABLE} or ${SECRETS_OLD_KEYS_VARIABLE}; if it is lost, the owner must set a new secret (PATCH secret or rotate).`,
    );
  }
}
