import { sql } from 'kysely';
import type { Config } from '../config';
import type { Db } from '../db/database';
import {
  isSealed,
  openSecret,
  SEALED_PREFIX,
  sealedPrefix,
  sealSecret,
  SECRETS_KEY_VARIABLE,
  SECRETS_OLD_KEYS_VARIABLE,
  SecretKeyConfigError,
  SecretUnavailableError,
  type KeyRing,
} from '../domain/secretBox';
import type { Logger } from '../logger';

// The database side of webhook signing secrets at rest (the crypto is src/domain/secretBox.ts):
// which secrets sign a delivery, the stored form of a row, and re-encrypting stored rows —
// plaintext ones at start-up, everything under older keys with `rekey-secrets`.

/** The configured key ring; a clear operator error when there is none (production entry points). */
export function requireSecretKeys(config: Pick<Config, 'secretKeys'>): KeyRing {
  if (config.secretKeys) return config.secretKeys;
  throw new SecretKeyConfigError(
    `${SECRETS_KEY_VARIABLE} is not set. Webhook signing secrets are stored encrypted under this key, and every API and worker ` +
      `process needs the same one. Generate a key once with \`npm run -s hookferry -- generate-secrets-key\`, keep it in your ` +
      `secret store and set ${SECRETS_KEY_VARIABLE} to it (\`npm start\` makes a development key by itself).`,
  );
}

/** The stored form of a webhook row's secrets: for code that inserts webhook rows directly (tests, the benchmark). */
export function storedWebhookSecrets<T extends { id: string; secret: string; previous_secret?: string | null }>(keys: KeyRing, row: T): T {
  return {
    ...row,
    secret: sealSecret(keys, row.id, row.secret),
    ...(row.previous_secret ? { previous_secret: sealSecret(keys, row.id, row.previous_secret) } : {}),
  };
}

/**
 * The secrets that sign a delivery now: the webhook's own and, during a rotation's grace period,
 * its previous one. Throws SecretUnavailableError (naming the key id and what to set) rather
 * than return fewer: a delivery waits for the operator, it never goes out unsigned.
 */
export function signingSecrets(
  keys: KeyRing,
  w: { webhook_id: string; secret: string; previous_secret: string | null; previous_secret_expires_at: Date | null },
  now = new Date(),
): string[] {
  const secrets = [openSecret(keys, w.webhook_id, w.secret)];
  if (w.previous_secret && w.previous_secret_expires_at && w.previous_secret_expires_at > now) secrets.push(openSecret(keys, w.webhook_id, w.previous_secret));
  return secrets;
}

export interface ResealReport {
  /** Rows whose stored secrets were rewritten. */
  resealed: number;
  /** Rows left as they were because a secret is sealed under a key this process does not have. */
  unreadable: Array<{ webhookId: string; keyId: string }>;
}

const DEFAULT_BATCH = 500;
// A row the API rewrote between our read and our update is re-read in another pass.
const MAX_PASSES = 5;

/**
 * Re-encrypts stored secrets (current and previous, of every row, deleted ones too) under the
 * current key, a batch at a time: `which: 'plaintext'` only rows from before encryption (start-up;
 * cheap when there are none), `'not-current'` everything not yet under the current key
 * (`rekey-secrets`). Each batch is one short UPDATE of its own rows, so deliveries and API
 * writes go on; the update compares the old values, so a secret the API changed meanwhile is
 * never overwritten. Idempotent: running it twice, or from two processes at once, is harmless.
 */
export async function resealSecrets(
  db: Db,
  keys: KeyRing,
  opts: { which: 'plaintext' | 'not-current'; batchSize?: number; onBatch?: (progress: { resealed: number; unreadable: number }) => void | Promise<void> },
): Promise<ResealReport> {
  const prefix = opts.which === 'plaintext' ? SEALED_PREFIX : sealedPrefix(keys.current);
  const reseal = (webhookId: string, stored: string) => {
    if (stored.startsWith(prefix)) return stored;
    return sealSecret(keys, webhookId, opts.which === 'plaintext' || !isSealed(stored) ? stored : openSecret(keys, webhookId, stored));
  };
  const unreadable = new Map<string, string>();
  let resealed = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let after = '';
    let changedMeanwhile = 0;
    for (;;) {
      const rows = await db
        .selectFrom('webhooks')
        .select(['id', 'secret', 'previous_secret'])
        .where('id', '>', after)
        .where(sql<boolean>`(not starts_with(secret, ${prefix}) or not starts_with(coalesce(previous_secret, ${prefix}), ${prefix}))`)
        .orderBy('id')
        .limit(opts.batchSize ?? DEFAULT_BATCH)
        .execute();
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      const updates: Array<{ id: string; oldSecret: string; oldPrevious: string | null; secret: string; previous: string | null }> = [];
      for (const r of rows) {
        try {
          updates.push({ id: r.id, oldSecret: r.secret, oldPrevious: r.previous_secret, secret: reseal(r.id, r.secret), previous: r.previous_secret === null ? null : reseal(r.id, r.previous_secret) });
          unreadable.delete(r.id);
        } catch (err) {
          if (!(err instanceof SecretUnavailableError)) throw err;
          unreadable.set(r.id, err.keyId);
        }
      }
      if (updates.length > 0) {
        const values = sql.join(updates.map((u) => sql`(${u.id}::text, ${u.oldSecret}::text, ${u.oldPrevious}::text, ${u.secret}::text, ${u.previous}::text)`));
        const result = await sql`
          update webhooks w set secret = v.secret, previous_secret = v.previous
          from (values ${values}) as v (id, old_secret, old_previous, secret, previous)
          where w.id = v.id and w.secret = v.old_secret and w.previous_secret is not distinct from v.old_previous
        `.execute(db);
        const updated = Number(result.numAffectedRows ?? 0);
        resealed += updated;
        changedMeanwhile += updates.length - updated;
      }
      await opts.onBatch?.({ resealed, unreadable: unreadable.size });
    }
    if (changedMeanwhile === 0) break;
  }
  return { resealed, unreadable: [...unreadable].map(([webhookId, keyId]) => ({ webhookId, keyId })) };
}

/** Live webhooks' stored secrets by the id of the key that sealed them. */
export async function secretKeyIdsInUse(db: Db): Promise<Map<string, number>> {
  const { rows } = await sql<{ key_id: string; n: string }>`
    select split_part(stored, ':', 2) as key_id, count(*) as n from (
      select secret as stored from webhooks where deleted_at is null
      union all
      select previous_secret from webhooks where deleted_at is null and previous_secret_expires_at > now()
    ) s
    where starts_with(stored, ${SEALED_PREFIX})
    group by 1
  `.execute(db);
  return new Map(rows.map((r) => [r.key_id, Number(r.n)]));
}

/**
 * Start-up of every process that reads or writes secrets (API, worker, `npm start`): seals rows
 * stored in plain text (from before encryption, or inserted by an older version), and says
 * loudly which live secrets this process could not open, before any delivery needs them.
 */
export async function prepareStoredSecrets(db: Db, keys: KeyRing, log: Logger): Promise<void> {
  const { resealed } = await resealSecrets(db, keys, { which: 'plaintext' });
  if (resealed > 0) log.info({ webhooks: resealed, keyId: keys.current.id }, 'encrypted webhook secrets that were stored in plain text');
  const known = new Set([keys.current.id, ...keys.older.map((k) => k.id)]);
  for (const [keyId, count] of await secretKeyIdsInUse(db)) {
    if (known.has(keyId)) continue;
    log.error(
      { keyId, secrets: count },
      `${count} webhook signing secrets are encrypted under key id "${keyId}", which this process does not have: their deliveries wait ` +
        `(they are never sent unsigned) until ${SECRETS_KEY_VARIABLE} or ${SECRETS_OLD_KEYS_VARIABLE} provides that key. ` +
        `If it is lost, the owners must set new secrets (PATCH secret or rotate).`,
    );
  }
}
