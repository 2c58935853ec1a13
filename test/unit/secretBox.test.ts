import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../../src/config';
import { ensureDevSecretsKey } from '../../src/devSecretsKey';
import {
  generateKeySetting,
  isSealed,
  keyRingSettings,
  openSecret,
  parseKeyRing,
  parseSecretKey,
  sealSecret,
  SecretKeyConfigError,
  SecretUnavailableError,
  type KeyRing,
} from '../../src/domain/secretBox';
import { generateSecret } from '../../src/domain/secrets';
import { signatureHeaders } from '../../src/domain/signatures';
import { requireSecretKeys, signingSecrets, storedWebhookSecrets } from '../../src/services/webhookSecrets';

const ringOf = (current: string, older?: string) => parseKeyRing(current, older)!;
const keyA = generateKeySetting(new Date(), 'a');
const keyB = generateKeySetting(new Date(), 'b');

/** The SecretUnavailableError `fn` throws (fails the test if it throws anything else, or nothing). */
function unavailable(fn: () => unknown): SecretUnavailableError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecretUnavailableError) return err;
    throw err;
  }
  throw new Error('expected SecretUnavailableError');
}

test('any secret seals and opens back, and the stored form never contains it', () => {
  const ring = ringOf(keyA);
  fc.assert(
    fc.property(fc.oneof(fc.string({ minLength: 1, maxLength: 256 }), fc.constant(generateSecret())), fc.string({ minLength: 1, maxLength: 40 }), (secret, webhookId) => {
      const stored = sealSecret(ring, webhookId, secret);
      expect(isSealed(stored)).toBe(true);
      expect(stored.startsWith('hfenc1:a:')).toBe(true);
      if (secret.length >= 4) expect(stored).not.toContain(secret);
      expect(openSecret(ring, webhookId, stored)).toBe(secret);
    }),
    { numRuns: 300 },
  );
});

test('sealing the same secret twice gives different values (random IV)', () => {
  const ring = ringOf(keyA);
  const secret = generateSecret();
  expect(sealSecret(ring, 'wh_1', secret)).not.toBe(sealSecret(ring, 'wh_1', secret));
});

test('a value opens only for its own webhook: copied to another row it is refused', () => {
  const ring = ringOf(keyA);
  const stored = sealSecret(ring, 'wh_victim', generateSecret());
  const err = unavailable(() => openSecret(ring, 'wh_attacker', stored));
  expect(err.keyId).toBe('a');
  expect(err.message).toContain('wh_attacker');
});

test('any change to the stored value is detected (authenticated encryption)', () => {
  const ring = ringOf(keyA);
  const stored = sealSecret(ring, 'wh_1', generateSecret());
  const body = stored.slice('hfenc1:a:'.length);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: body.length - 1 }), fc.constantFrom(...'ABCDEFabcdef0123456789-_:'.split('')), (at, c) => {
      fc.pre(body[at] !== c);
      const tampered = `hfenc1:a:${body.slice(0, at)}${c}${body.slice(at + 1)}`;
      // A change in the last base64url character can fall in its unused bits and decode to the same bytes.
      let opened: string | undefined;
      try {
        opened = openSecret(ring, 'wh_1', tampered);
      } catch (err) {
        expect(err).toBeInstanceOf(SecretUnavailableError);
        return;
      }
      expect(opened).toBe(openSecret(ring, 'wh_1', stored));
    }),
    { numRuns: 200 },
  );
  unavailable(() => openSecret(ring, 'wh_1', 'hfenc1:a:'));
  unavailable(() => openSecret(ring, 'wh_1', 'hfenc1:a:xx:yy'));
  unavailable(() => openSecret(ring, 'wh_1', `${stored}:extra`));
});

test('an unknown key id and a wrong key under a known id are operator errors that name the key id and what to set', () => {
  const stored = sealSecret(ringOf(keyA), 'wh_1', 'a-secret-of-some-length');
  const missing = unavailable(() => openSecret(ringOf(keyB), 'wh_1', stored));
  expect(missing.keyId).toBe('a');
  expect(missing.message).toMatch(/key id "a"/);
  expect(missing.message).toMatch(/HOOKFERRY_SECRETS_KEY/);
  expect(missing.message).toMatch(/HOOKFERRY_SECRETS_OLD_KEYS/);

  const impostor = generateKeySetting(new Date(), 'a'); // same id, another key
  const wrong = unavailable(() => openSecret(ringOf(impostor), 'wh_1', stored));
  expect(wrong.keyId).toBe('a');
  expect(wrong.message).toMatch(/does not decrypt with the key configured as id "a"/);
});

test('rotation: values under an older key still open; new ones are sealed under the current key', () => {
  const before = ringOf(keyA);
  const after = ringOf(keyB, keyA);
  const old = sealSecret(before, 'wh_1', 'old-secret-1234567');
  expect(openSecret(after, 'wh_1', old)).toBe('old-secret-1234567');
  expect(sealSecret(after, 'wh_1', 'x').startsWith('hfenc1:b:')).toBe(true);
});

test('a plaintext row from before encryption is read as it is', () => {
  expect(openSecret(ringOf(keyA), 'wh_1', 'whsec_legacyplaintext')).toBe('whsec_legacyplaintext');
});

test('key settings: <id>:<base64>, <id>:<hex> or a bare key (id from its fingerprint); anything else is refused with the variable named', () => {
  const raw = Buffer.alloc(32, 7);
  expect(parseSecretKey(`k1:${raw.toString('base64')}`, 'X')).toEqual({ id: 'k1', key: raw });
  expect(parseSecretKey(`k1:${raw.toString('base64url')}`, 'X')).toEqual({ id: 'k1', key: raw });
  expect(parseSecretKey(`2026-01.prod_k:${raw.toString('hex')}`, 'X')).toEqual({ id: '2026-01.prod_k', key: raw });
  const bare = parseSecretKey(raw.toString('base64'), 'X');
  expect(bare.key).toEqual(raw);
  expect(bare.id).toMatch(/^k[0-9a-f]{10}$/);
  expect(parseSecretKey(raw.toString('hex'), 'X').id).toBe(bare.id);

  for (const bad of ['', 'short', `k1:${Buffer.alloc(16).toString('base64')}`, `k1:${Buffer.alloc(33).toString('base64')}`, `bad id:${raw.toString('base64')}`, `:${raw.toString('base64')}`, 'k1:not base64!']) {
    expect(() => parseSecretKey(bad, 'HOOKFERRY_SECRETS_KEY')).toThrow(SecretKeyConfigError);
    expect(() => parseSecretKey(bad, 'HOOKFERRY_SECRETS_KEY')).toThrow(/HOOKFERRY_SECRETS_KEY/);
  }
});

test('key rings: old keys separated by commas or spaces; one id, one key; old keys need a current one', () => {
  const c = generateKeySetting(new Date(), 'c');
  expect(ringOf(keyA, ` ${keyB},${c} `).older.map((k) => k.id)).toEqual(['b', 'c']);
  expect(ringOf(keyA, `${keyB} ${c}`).older.map((k) => k.id)).toEqual(['b', 'c']);
  expect(ringOf(keyA, keyA).older.map((k) => k.id)).toEqual(['a']); // the same key twice is harmless
  expect(() => parseKeyRing(keyA, generateKeySetting(new Date(), 'a'))).toThrow(/two different keys have the id "a"/);
  expect(() => parseKeyRing(undefined, keyB)).toThrow(/HOOKFERRY_SECRETS_KEY is not/);
  expect(parseKeyRing('', undefined)).toBeUndefined();
});

test('config: HOOKFERRY_SECRETS_KEY is parsed at load; the API and worker refuse to start without it', () => {
  expect(loadConfig({}).secretKeys).toBeUndefined();
  expect(() => requireSecretKeys(loadConfig({}))).toThrow(/HOOKFERRY_SECRETS_KEY is not set.*generate-secrets-key/s);
  expect(requireSecretKeys(loadConfig({ HOOKFERRY_SECRETS_KEY: keyA, HOOKFERRY_SECRETS_OLD_KEYS: keyB })).older[0]!.id).toBe('b');
  expect(() => loadConfig({ HOOKFERRY_SECRETS_KEY: 'nope' })).toThrow(/HOOKFERRY_SECRETS_KEY: the key must be 32 bytes/);
});

test('a ring written back as settings parses to the same ring (for spawning processes with it)', () => {
  const ring = ringOf(keyA, keyB);
  const settings = keyRingSettings(ring);
  expect(parseKeyRing(settings.HOOKFERRY_SECRETS_KEY, settings.HOOKFERRY_SECRETS_OLD_KEYS)).toEqual(ring);
});

test('generated keys are 32 random bytes with a dated id, and parse back', () => {
  const setting = generateKeySetting(new Date('2026-03-04T05:06:07Z'));
  const key = parseSecretKey(setting, 'X');
  expect(key.id).toMatch(/^key-20260304-[0-9a-f]{6}$/);
  expect(key.key).toHaveLength(32);
  expect(generateKeySetting()).not.toBe(generateKeySetting());
});

describe('signing secrets', () => {
  const ring: KeyRing = ringOf(keyB, keyA);
  const now = new Date('2026-01-01T00:00:00Z');
  const row = (secret: string, previous: string | null, expires: Date | null) => ({ webhook_id: 'wh_1', secret, previous_secret: previous, previous_secret_expires_at: expires });

  test('the current secret, and the previous one during its grace period, opened; they verify with standardwebhooks', () => {
    const current = generateSecret();
    const previous = generateSecret();
    const stored = storedWebhookSecrets(ringOf(keyA), { id: 'wh_1', secret: current, previous_secret: previous });
    const secrets = signingSecrets(ring, row(stored.secret, stored.previous_secret, new Date(now.getTime() + 1000)), now);
    expect(secrets).toEqual([current, previous]);
    const body = '{"id":"evt_1"}';
    const headers = signatureHeaders({ msgId: 'msg_1', timestampSeconds: Math.floor(Date.now() / 1000), body, secrets });
    expect(new Webhook(current).verify(body, headers)).toEqual({ id: 'evt_1' });
    expect(new Webhook(previous).verify(body, headers)).toEqual({ id: 'evt_1' });
    expect(signingSecrets(ring, row(stored.secret, stored.previous_secret, new Date(now.getTime() - 1)), now)).toEqual([current]);
  });

  test('a secret no key opens throws, whether current or previous: never fewer secrets, never none', () => {
    const lost = ringOf(generateKeySetting(new Date(), 'lost'));
    const good = sealSecret(ring, 'wh_1', 'good-secret-123456');
    const unreadable = sealSecret(lost, 'wh_1', 'lost-secret-123456');
    expect(unavailable(() => signingSecrets(ring, row(unreadable, null, null), now)).keyId).toBe('lost');
    expect(unavailable(() => signingSecrets(ring, row(good, unreadable, new Date(now.getTime() + 1000)), now)).keyId).toBe('lost');
    // Once the grace period is over the previous secret is not needed, so it does not matter.
    expect(signingSecrets(ring, row(good, unreadable, new Date(now.getTime() - 1000)), now)).toEqual(['good-secret-123456']);
  });
});

describe('npm start development key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hookferry-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('made once, owner-only (0600), in its own 0700 directory, and kept', () => {
    const dataDir = path.join(dir, 'data');
    const first = ensureDevSecretsKey(dataDir);
    expect(first.created).toBe(true);
    expect(first.file).toBe(path.join(dataDir, 'secrets.key'));
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(first.warning).toBeUndefined();
    expect(parseKeyRing(first.setting, undefined)!.current.key).toHaveLength(32);
    const second = ensureDevSecretsKey(dataDir);
    expect(second).toEqual({ ...first, created: false });
  });
});
