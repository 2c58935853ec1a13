// `npm run hookferry -- <command>`: admin tasks over the admin API of a running Hookferry.
//   create-team --name NAME --email EMAIL [--credits N]
//   grant-credits --team TEAM_ID --amount N
//   issue-key --team TEAM_ID [--label LABEL]
// HOOKFERRY_URL (default http://localhost:3000) and HOOKFERRY_ADMIN_KEY (default: npm start's development key).
import { parseArgs } from 'node:util';
import { DEV_ADMIN_KEY } from './devDefaults';

const USAGE = `usage:
  npm run hookferry -- create-team --name NAME --email EMAIL [--credits N]
  npm run hookferry -- grant-credits --team TEAM_ID --amount N
  npm run hookferry -- issue-key --team TEAM_ID [--label LABEL]`;

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
    options: { name: { type: 'string' }, email: { type: 'string' }, credits: { type: 'string' }, team: { type: 'string' }, amount: { type: 'string' }, label: { type: 'string' } },
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
    default:
      throw new Error(USAGE);
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
