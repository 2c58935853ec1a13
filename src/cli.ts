// `npm run -s hookferry -- <command>`: admin tasks over the admin API of a running Hookferry.
//   create-team --name NAME --email EMAIL [--credits N] [--json]
//   grant-credits --team TEAM_ID --amount N [--json]
//   issue-key --team TEAM_ID [--label LABEL] [--json]
// HOOKFERRY_URL (default http://localhost:3000) and HOOKFERRY_ADMIN_KEY (default: npm start's development key).
// On the database directly (DATABASE_URL, HOOKFERRY_SECRETS_KEY, HOOKFERRY_SECRETS_OLD_KEYS):
//   rekey-secrets [--batch-size N]   re-encrypt every stored webhook secret under the current key
// Neither:
//   generate-secrets-key [--id ID]   print a new key setting for HOOKFERRY_SECRETS_KEY
//
// A new API key is printed to stdout as a shell line, `export KEY=hf_…`, and everything else to
// stderr, so `eval "$(npm run -s hookferry -- create-team …)"` sets KEY. --json prints the API's
// answer instead, for scripts.
import { parseArgs } from 'node:util';
import { loadConfig } from './config';
import { createDb } from './db/database';
import { DEV_ADMIN_KEY } from './devDefaults';
import { generateKeySetting, SecretKeyConfigError } from './domain/secretBox';
import { readSetting } from './settings';
import { requireSecretKeys, resealSecrets } from './services/webhookSecrets';

const USAGE = `usage:
  npm run -s hookferry -- create-team --name NAME --email EMAIL [--credits N] [--json]
  npm run -s hookferry -- grant-credits --team TEAM_ID --amount N [--json]
  npm run -s hookferry -- issue-key --team TEAM_ID [--label LABEL] [--json]
  npm run -s hookferry -- rekey-secrets [--batch-size N]
  npm run -s hookferry -- generate-secrets-key [--id ID]`;

/** An error whose message is all the user needs (no stack trace). */
class CliError extends Error {}

function baseUrl(): string {
  return readSetting('HOOKFERRY_URL').replace(/\/$/, '');
}

async function adminCall<T>(path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl()}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readSetting('HOOKFERRY_ADMIN_KEY') ?? DEV_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach Hookferry at ${baseUrl()} (${cause?.code ?? cause?.message ?? (err as Error).message}): is it running? HOOKFERRY_URL names another address.`);
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try {
      const { error } = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
      if (error) detail = `${error.code}: ${error.message}${error.details ? ` ${JSON.stringify(error.details)}` : ''}`;
    } catch {
      // not JSON: show it as it came
    }
    throw new CliError(`Hookferry answered ${res.status}, ${detail}`);
  }
  return JSON.parse(text) as T;
}

/** `export KEY=…`, quoted for a POSIX shell if the value ever needs it. */
function exportLine(name: string, value: string): string {
  return /^[A-Za-z0-9_\-.:/+=]+$/.test(value) ? `export ${name}=${value}` : `export ${name}='${value.replace(/'/g, `'\\''`)}'`;
}

function nonNegativeInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new CliError(`--${flag} must be a whole number ≥ 0, not "${value}"`);
  return n;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        name: { type: 'string' },
        email: { type: 'string' },
        credits: { type: 'string' },
        team: { type: 'string' },
        amount: { type: 'string' },
        label: { type: 'string' },
        json: { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        id: { type: 'string' },
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values } = parsed;
  const need = (v: string | undefined, flag: string) => {
    if (!v) throw new CliError(`--${flag} is required\n${USAGE}`);
    return v;
  };
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const print = (line: string) => process.stdout.write(`${line}\n`);

  switch (command) {
    case 'create-team': {
      const body = {
        name: need(values.name, 'name'),
        notificationEmail: need(values.email, 'email'),
        ...(values.credits !== undefined ? { credits: nonNegativeInteger(values.credits, 'credits') } : {}),
      };
      const team = await adminCall<{ id: string; name: string; credits: number; apiKey: string }>('/admin/v1/teams', body);
      if (values.json) return print(JSON.stringify(team, null, 2));
      say(`Created team ${team.name} (${team.id}) with ${team.credits} credits. Its API key is shown only now:`);
      return print(exportLine('KEY', team.apiKey));
    }
    case 'issue-key': {
      const team = need(values.team, 'team');
      const key = await adminCall<{ id: string; apiKey: string }>(`/admin/v1/teams/${encodeURIComponent(team)}/api-keys`, values.label ? { label: values.label } : {});
      if (values.json) return print(JSON.stringify(key, null, 2));
      say(`Issued API key ${key.id} for ${team}. It is shown only now:`);
      return print(exportLine('KEY', key.apiKey));
    }
    case 'grant-credits': {
      const team = need(values.team, 'team');
      const result = await adminCall<{ balance: number; releasedDeliveries: number }>(`/admin/v1/teams/${encodeURIComponent(team)}/credits`, {
        amount: nonNegativeInteger(need(values.amount, 'amount'), 'amount'),
      });
      if (values.json) return print(JSON.stringify(result, null, 2));
      return print(`${team} now has ${result.balance} credits; ${result.releasedDeliveries} held deliveries released.`);
    }
    case 'rekey-secrets':
      process.exitCode = await rekeySecrets(values['batch-size'] === undefined ? undefined : nonNegativeInteger(values['batch-size'], 'batch-size'), say, print);
      return;
    case 'generate-secrets-key':
      say('A new key for HOOKFERRY_SECRETS_KEY (keep it in your secret store; every API and worker needs it):');
      return print(asCliError(() => generateKeySetting(new Date(), values.id)));
    default:
      throw new CliError(USAGE);
  }
}

/** Key settings that cannot be used are the user's to fix: their message, without a stack trace. */
function asCliError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SecretKeyConfigError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * Re-encrypts every stored webhook secret (current and previous) under HOOKFERRY_SECRETS_KEY,
 * opening the old ones with HOOKFERRY_SECRETS_OLD_KEYS. Safe while deliveries go on (short
 * batches, see resealSecrets) and safe to run again. Exit code 1 while some secret could not be
 * opened (its key is not configured).
 */
async function rekeySecrets(batchSize: number | undefined, say: (line: string) => void, print: (line: string) => void): Promise<number> {
  if (batchSize === 0) throw new CliError('--batch-size must be at least 1');
  const keys = asCliError(() => requireSecretKeys(loadConfig()));
  const db = createDb(loadConfig().databaseUrl, 2);
  try {
    say(`re-encrypting webhook secrets under key id "${keys.current.id}" (opening old ones with: ${keys.older.map((k) => k.id).join(', ') || 'no older keys'})`);
    const report = await resealSecrets(db, keys, { which: 'not-current', batchSize, onBatch: ({ resealed }) => say(`  ${resealed} webhooks re-encrypted so far`) });
    const unreadableByKeyId: Record<string, number> = {};
    for (const u of report.unreadable) unreadableByKeyId[u.keyId] = (unreadableByKeyId[u.keyId] ?? 0) + 1;
    print(
      JSON.stringify(
        { keyId: keys.current.id, reencryptedWebhooks: report.resealed, unreadableWebhooks: report.unreadable.length, unreadableByKeyId, someUnreadableWebhookIds: report.unreadable.slice(0, 20).map((u) => u.webhookId) },
        null,
        2,
      ),
    );
    if (report.unreadable.length === 0) return 0;
    say(
      `${report.unreadable.length} webhooks have secrets under key ids not configured here (${Object.keys(unreadableByKeyId).join(', ')}): add those keys to HOOKFERRY_SECRETS_OLD_KEYS and run this again. ` +
        'If a key is lost, its webhooks cannot be signed until their owners set new secrets (PATCH secret or rotate).',
    );
    return 1;
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof CliError ? err.message : err);
  process.exit(1);
});
