// `npm run hookferry -- <command>`: admin tasks.
// Over the admin API of a running Hookferry (HOOKFERRY_URL, default http://localhost:3000, and
// HOOKFERRY_ADMIN_KEY, default npm start's development key):
//   create-team --name NAME --email EMAIL [--credits N]
//   grant-credits --team TEAM_ID --amount N
//   issue-key --team TEAM_ID [--label LABEL]
// On the database directly (DATABASE_URL, HOOKFERRY_SECRETS_KEY, HOOKFERRY_SECRETS_OLD_KEYS):
//   rekey-secrets [--batch-size N]   re-encrypt every stored webhook secret under the current key
// Neither:
//   generate-secrets-key [--id ID]   print a new key setting for HOOKFERRY_SECRETS_KEY
import { parseArgs } from 'node:util';
import { loadConfig } from './config';
import { createDb } from './db/database';
import { DEV_ADMIN_KEY } from './devDefaults';
import { generateKeySetting } from './domain/secretBox';
import { requireSecretKeys, resealSecrets } from './services/webhookSecrets';

const USAGE = `usage:
  npm run hookferry -- create-team --name NAME --email EMAIL [--credits N]
  npm run hookferry -- grant-credits --team TEAM_ID --amount N
  npm run hookferry -- issue-key --team TEAM_ID [--label LABEL]
  npm run hookferry -- rekey-secrets [--batch-size N]
  npm run hookferry -- generate-secrets-key [--id ID]`;

async function adminCall(path: string, body: unknown): Promise<unknown> {
  const base = (process.env.HOOKFERRY_URL ?? 'http://localhost:3000').replace(/\/$/, '');
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${process.env.HOOKFERRY_ADMIN_KEY ?? DEV_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${text}`);
  return JSON.parse(text);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' }, email: { type: 'string' }, credits: { type: 'string' }, team: { type: 'string' }, amount: { type: 'string' }, label: { type: 'string' },
      'batch-size': { type: 'string' }, id: { type: 'string' },
    },
  });
  const need = (v: string | undefined, flag: string) => {
    if (!v) throw new Error(`--${flag} is required\n${USAGE}`);
    return v;
  };
  let result: unknown;
  switch (command) {
    case 'create-team':
      result = await adminCall('/admin/v1/teams', {
        name: need(values.name, 'name'),
        notificationEmail: need(values.email, 'email'),
        ...(values.credits ? { credits: Number(values.credits) } : {}),
      });
      break;
    case 'grant-credits':
      result = await adminCall(`/admin/v1/teams/${encodeURIComponent(need(values.team, 'team'))}/credits`, { amount: Number(need(values.amount, 'amount')) });
      break;
    case 'issue-key':
      result = await adminCall(`/admin/v1/teams/${encodeURIComponent(need(values.team, 'team'))}/api-keys`, values.label ? { label: values.label } : {});
      break;
    case 'rekey-secrets':
      process.exitCode = await rekeySecrets(values['batch-size'] ? Number(values['batch-size']) : undefined);
      return;
    case 'generate-secrets-key':
      console.log(generateKeySetting(new Date(), values.id));
      return;
    default:
      throw new Error(USAGE);
  }
  console.log(JSON.stringify(result, null, 2));
}

/**
 * Re-encrypts every stored webhook secret (current and previous) under HOOKFERRY_SECRETS_KEY,
 * opening the old ones with HOOKFERRY_SECRETS_OLD_KEYS. Safe while deliveries go on (short
 * batches, see resealSecrets) and safe to run again. Exit code 1 while some secret could not be
 * opened (its key is not configured).
 */
async function rekeySecrets(batchSize: number | undefined): Promise<number> {
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new Error('--batch-size must be a positive integer');
  const config = loadConfig();
  const keys = requireSecretKeys(config);
  const db = createDb(config.databaseUrl, 2);
  try {
    console.error(`re-encrypting webhook secrets under key id "${keys.current.id}" (opening old ones with: ${keys.older.map((k) => k.id).join(', ') || 'no older keys'})`);
    const report = await resealSecrets(db, keys, {
      which: 'not-current',
      batchSize,
      onBatch: ({ resealed }) => console.error(`  ${resealed} webhooks re-encrypted so far`),
    });
    const unreadableByKeyId: Record<string, number> = {};
    for (const u of report.unreadable) unreadableByKeyId[u.keyId] = (unreadableByKeyId[u.keyId] ?? 0) + 1;
    console.log(
      JSON.stringify(
        { keyId: keys.current.id, reencryptedWebhooks: report.resealed, unreadableWebhooks: report.unreadable.length, unreadableByKeyId, someUnreadableWebhookIds: report.unreadable.slice(0, 20).map((u) => u.webhookId) },
        null,
        2,
      ),
    );
    if (report.unreadable.length === 0) return 0;
    const keyIds = Object.keys(unreadableByKeyId);
    console.error(
      `${report.unreadable.length} webhooks have secrets under key ids not configured here (${keyIds.join(', ')}): add those keys to HOOKFERRY_SECRETS_OLD_KEYS and run this again. ` +
        'If a key is lost, its webhooks cannot be signed until their owners set new secrets (PATCH secret or rotate).',
    );
    return 1;
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
