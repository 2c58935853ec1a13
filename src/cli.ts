// `npm run -s hookferry -- <command>`: admin tasks over the admin API of a running Hookferry.
//   create-team --name NAME --email EMAIL [--credits N] [--json]
//   grant-credits --team TEAM_ID --amount N [--json]
//   issue-key --team TEAM_ID [--label LABEL] [--json]
// HOOKFERRY_URL (default http://localhost:3000) and HOOKFERRY_ADMIN_KEY (default: npm start's development key).
//
// A new API key is printed to stdout as a shell line, `export KEY=hf_…`, and everything else to
// stderr, so `eval "$(npm run -s hookferry -- create-team …)"` sets KEY. --json prints the API's
// answer instead, for scripts.
import { parseArgs } from 'node:util';
import { DEV_ADMIN_KEY } from './devDefaults';

const USAGE = `usage:
  npm run -s hookferry -- create-team --name NAME --email EMAIL [--credits N] [--json]
  npm run -s hookferry -- grant-credits --team TEAM_ID --amount N [--json]
  npm run -s hookferry -- issue-key --team TEAM_ID [--label LABEL] [--json]`;

/** An error whose message is all the user needs (no stack trace). */
class CliError extends Error {}

function baseUrl(): string {
  return (process.env.HOOKFERRY_URL ?? 'http://localhost:3000').replace(/\/$/, '');
}

async function adminCall<T>(path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl()}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${process.env.HOOKFERRY_ADMIN_KEY ?? DEV_ADMIN_KEY}`, 'content-type': 'application/json' },
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
    default:
      throw new CliError(USAGE);
  }
}

main().catch((err) => {
  console.error(err instanceof CliError ? err.message : err);
  process.exit(1);
});
