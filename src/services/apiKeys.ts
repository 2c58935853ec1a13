import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database';
import { notFound } from '../domain/errors';
import { newId } from '../ids';

/**
 * API keys look like `hf_<prefix>_<secret>`. Only a SHA-256 of the secret is stored; the
 * prefix finds the row and the hashes are compared in constant time.
 */
export function generateApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  return { key: `hf_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const KEY_FORMAT = /^hf_([0-9a-f]{12})_([A-Za-z0-9_-]{16,64})$/;

export async function issueApiKey(db: Db, teamId: string, label: string | null): Promise<{ id: string; key: string; prefix: string }> {
  const { key, prefix, secretHash } = generateApiKey();
  const id = newId('key');
  await db.insertInto('api_keys').values({ id, team_id: teamId, prefix, secret_hash: secretHash, label }).execute();
  return { id, key, prefix };
}

/** The team an API key belongs to, or undefined for unknown, malformed or revoked keys. */
/** Revokes a team's API key; revoking twice is harmless and keeps the first revocation time. */
export async function revokeApiKey(db: Db, teamId: string, keyId: string): Promise<void> {
  const r = await db.updateTable('api_keys').set({ revoked_at: sql`coalesce(revoked_at, now())` }).where('id', '=', keyId).where('team_id', '=', teamId).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw notFound('api key');
}

export async function teamForApiKey(db: Db, key: string): Promise<{ teamId: string; keyId: string } | undefined> {
  const match = KEY_FORMAT.exec(key);
  if (!match) return undefined;
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'team_id', 'secret_hash', 'revoked_at'])
    .where('prefix', '=', match[1]!)
    .executeTakeFirst();
  if (!row || row.revoked_at) return undefined;
  const expected = Buffer.from(row.secret_hash, 'hex');
  const actual = Buffer.from(hashSecret(match[2]!), 'hex');
  return timingSafeEqual(expected, actual) ? { teamId: row.team_id, keyId: row.id } : undefined;
}

export function constantTimeEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Keys remembered at most; the oldest is forgotten first. */
const MAX_CACHED_KEYS = 10_000;

/**
 * teamForApiKey with a short memory: a key that was valid is trusted for `ttlMs` without asking
 * the database again (one query less per request). A revoked key therefore keeps working for up
 * to `ttlMs` on other API instances; on the instance that revoked it, `forget` ends it at once.
 * Unknown keys are never remembered, so guessing cannot fill the cache. 0 turns it off.
 */
export function createApiKeyCache(db: Db, ttlMs: number) {
  const cache = new Map<string, { found: { teamId: string; keyId: string }; expiresAt: number }>();
  return {
    async teamFor(key: string): Promise<{ teamId: string; keyId: string } | undefined> {
      if (ttlMs <= 0) return teamForApiKey(db, key);
      // Held by digest, not as the key itself.
      const id = createHash('sha256').update(key).digest('base64');
      const hit = cache.get(id);
      if (hit && hit.expiresAt > Date.now()) return hit.found;
      cache.delete(id);
      const found = await teamForApiKey(db, key);
      if (found) {
        if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value!);
        cache.set(id, { found, expiresAt: Date.now() + ttlMs });
      }
      return found;
    },
    /** Ends a revoked key's cached validity on this instance. */
    forget(keyId: string): void {
      for (const [id, entry] of cache) if (entry.found.keyId === keyId) cache.delete(id);
    },
  };
}

export type ApiKeyCache = ReturnType<typeof createApiKeyCache>;
