import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import { Client as PgClient } from 'pg';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { generateKeySetting, openSecret, parseKeyRing, sealSecret } from '../../src/domain/secretBox';
import { generateSecret } from '../../src/domain/secrets';
import { newId } from '../../src/ids';
import { deliveryWorkflowId } from '../../src/temporal/names';
import { prepareStoredSecrets, resealSecrets, storedWebhookSecrets } from '../../src/services/webhookSecrets';
import { createWebhook, postEvent, verifySignatures } from '../helpers/fixtures';
import type { ReceivedRequest } from '../helpers/receiver';
import { startStack, type LogRecord, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait';

// Webhook signing secrets are stored encrypted (AES-256-GCM) under HOOKFERRY_SECRETS_KEY. This
// stack runs after a key rotation: the current key is B and the old key A still opens what was
// sealed before. `rekey-secrets` (resealSecrets) moves everything to B while deliveries go on.

const KEY_A = generateKeySetting(new Date(), 'key-a');
const KEY_B = generateKeySetting(new Date(), 'key-b');
const KEY_C = generateKeySetting(new Date(), 'key-c');
const ringA = parseKeyRing(KEY_A, undefined)!;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: { HOOKFERRY_SECRETS_KEY: KEY_B, HOOKFERRY_SECRETS_OLD_KEYS: KEY_A },
    // Receivers take a moment to answer, so deliveries are in flight while the rows are re-keyed.
    respond: async (_req, res) => {
      await sleep(40);
      res.writeHead(200).end('ok');
    },
  });
});
afterAll(async () => stack?.stop());

function capturingLog() {
  const records: LogRecord[] = [];
  return { records, log: pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) }) };
}

const webhookRow = (teamId: string, name: string, secret: string) => ({
  id: newId('wh'), team_id: teamId, name, url: `${stack.receiver.url}/rekey/${name}`, secret, events: ['*'], retry_schedule: JSON.stringify('exponential'),
});

/** Every form of a secret that must not appear in a database dump. */
const forms = (secret: string) => [secret.replace(/^whsec_/, ''), Buffer.from(secret.replace(/^whsec_/, ''), 'base64').toString('hex')];

test('secrets at rest: create, rotate and re-key with deliveries in flight; every delivery verifies, and pg_dump shows no secret', async () => {
  const team = await stack.createTeam({ credits: 1_000_000 });
  /** webhook name → its secrets, oldest first */
  const secrets = new Map<string, string[]>();

  // Rows the previous deployment sealed under key A, and one stored before encryption existed.
  const oldRows = Array.from({ length: 8 }, (_, i) => webhookRow(team.id, `old-${i}`, generateSecret()));
  await stack.db.insertInto('webhooks').values(oldRows.map((r) => storedWebhookSecrets(ringA, r))).execute();
  const legacy = webhookRow(team.id, 'legacy', generateSecret());
  await stack.db.insertInto('webhooks').values(legacy).execute();
  for (const r of [...oldRows, legacy]) secrets.set(r.name, [r.secret]);

  // Start-up seals the plaintext row (under the current key) and leaves sealed rows alone.
  await prepareStoredSecrets(stack.db, stack.secretKeys, capturingLog().log);
  const legacyStored = await stack.db.selectFrom('webhooks').select('secret').where('id', '=', legacy.id).executeTakeFirstOrThrow();
  expect(legacyStored.secret.startsWith('hfenc1:key-b:')).toBe(true);
  expect(openSecret(stack.secretKeys, legacy.id, legacyStored.secret)).toBe(legacy.secret);

  // Through the API (sealed under B): a generated secret, a chosen one, and a rotation.
  const generated = await createWebhook(stack, team.apiKey, { name: 'generated', url: `${stack.receiver.url}/rekey/generated` });
  const chosenSecret = generateSecret();
  const chosen = await createWebhook(stack, team.apiKey, { name: 'chosen', url: `${stack.receiver.url}/rekey/chosen`, secret: chosenSecret });
  secrets.set('generated', [generated.secret]);
  secrets.set('chosen', [chosenSecret]);
  const rotated = await stack.call('POST', `/v1/webhooks/${generated.id}/secret/rotate`, { key: team.apiKey });
  expect(rotated.status).toBe(200);
  secrets.get('generated')!.push(rotated.body.secret);
  const webhookCount = secrets.size;

  const received = () => stack.receiver.at('/rekey/');
  const nameOf = (r: ReceivedRequest) => r.path.slice('/rekey/'.length);
  let events = 0;
  /** Posts an event and returns once its first delivery has arrived: the others are still in flight. */
  const sendEvent = async () => {
    const before = received().length;
    await postEvent(stack, team.apiKey, 'prospect.qualified', { n: events++ });
    await waitFor(() => received().length > before, { what: 'a delivery of the event' });
  };
  await sendEvent();

  // Re-key two rows at a time; between batches an event goes out, and midway the API rotates an
  // old row's secret (its previous secret, sealed under A, must keep signing).
  let batches = 0;
  const report = await resealSecrets(stack.db, stack.secretKeys, {
    which: 'not-current',
    batchSize: 2,
    onBatch: async () => {
      batches++;
      if (batches === 2) {
        const r = await stack.call('POST', `/v1/webhooks/${oldRows[5]!.id}/secret/rotate`, { key: team.apiKey });
        expect(r.status).toBe(200);
        secrets.get('old-5')!.push(r.body.secret);
      }
      if (batches <= 6) await sendEvent();
    },
  });
  const ours = new Set([...oldRows.map((r) => r.id), legacy.id, generated.id, chosen.id]);
  expect(report.unreadable.filter((u) => ours.has(u.webhookId))).toEqual([]);
  expect(batches).toBeGreaterThanOrEqual(4);

  // Every row of the team, current and previous secret, is now under key B.
  const rows = await stack.db.selectFrom('webhooks').select(['id', 'secret', 'previous_secret']).where('team_id', '=', team.id).execute();
  expect(rows).toHaveLength(webhookCount);
  for (const r of rows) {
    expect(r.secret.startsWith('hfenc1:key-b:')).toBe(true);
    if (r.previous_secret !== null) expect(r.previous_secret.startsWith('hfenc1:key-b:')).toBe(true);
  }

  // Key A is no longer needed: a worker without it delivers the next event to every webhook.
  await stack.restartWorker({ HOOKFERRY_SECRETS_OLD_KEYS: '' });
  const lastEvent = await postEvent(stack, team.apiKey, 'prospect.qualified', { n: events++ });
  await waitFor(() => received().length === events * webhookCount, { timeoutMs: 60_000, what: `${events} events × ${webhookCount} webhooks delivered` });

  // Every request verifies with the official library, with the secret its webhook had when
  // it was created (rotations keep the old one signing); the last event also with the newest
  // secret, in every signature header.
  for (const request of received()) {
    const [original] = secrets.get(nameOf(request))!;
    expect(new Webhook(original!).verify(request.body, request.headers)).toMatchObject({ event: 'prospect.qualified' });
  }
  const lastRequests = received().filter((r) => JSON.parse(r.body).id === lastEvent.id);
  expect(lastRequests).toHaveLength(webhookCount);
  for (const request of lastRequests) verifySignatures(request, secrets.get(nameOf(request))!.at(-1)!);

  // A real dump of the whole database holds none of the secrets, in any form.
  const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', '--dbname', stack.config.databaseUrl], { maxBuffer: 1 << 30 }).toString('utf8');
  expect(dump).toContain(generated.id);
  expect(dump).toContain('hfenc1:key-b:');
  for (const secret of [...secrets.values()].flat()) {
    for (const form of forms(secret)) expect(dump.includes(form) ? `${form} found in the dump` : 'absent').toBe('absent');
  }
});

/**
 * The failure of the attempt that is waiting on a delivery: in its own workflow, or (a first
 * attempt made by the dispatch workflow) in its event's dispatch workflow.
 */
async function pendingFailure(on: Stack, eventId: string, webhookId: string): Promise<string | undefined> {
  const d = await on.db
    .selectFrom('deliveries')
    .select(['id', 'series', 'delivery_workflow_id', 'dispatch_workflow_id'])
    .where('event_id', '=', eventId)
    .where('webhook_id', '=', webhookId)
    .executeTakeFirst();
  if (!d) return undefined;
  for (const workflowId of new Set([d.delivery_workflow_id, deliveryWorkflowId(d.id, d.series), d.dispatch_workflow_id])) {
    if (!workflowId) continue;
    const described = await on.client.workflow.getHandle(workflowId).describe().catch(() => undefined);
    const message = described?.raw.pendingActivities?.find((a) => a.lastFailure?.message)?.lastFailure?.message;
    if (message) return message;
  }
  return undefined;
}

for (const mode of ['as-needed', 'every'] as const) {
  test(`a worker without the key sends nothing: the attempt fails naming the key id and what to set; with the key back it goes out signed (HOOKFERRY_DELIVERY_WORKFLOWS=${mode})`, async () => {
    const on =
      mode === 'as-needed'
        ? stack
        : await startStack({ env: { HOOKFERRY_SECRETS_KEY: KEY_B, HOOKFERRY_SECRETS_OLD_KEYS: KEY_A, HOOKFERRY_DELIVERY_WORKFLOWS: 'every' } });
    try {
      const team = await on.createTeam();
      const webhook = await createWebhook(on, team.apiKey, { url: `${on.receiver.url}/no-key` });

      // Start-up says which key ids in use this process lacks.
      const { records, log } = capturingLog();
      await prepareStoredSecrets(on.db, parseKeyRing(KEY_C, undefined)!, log);
      const complaint = records.find((r) => r.keyId === 'key-b');
      expect(complaint?.level).toBe(50);
      expect(complaint?.msg).toMatch(/HOOKFERRY_SECRETS_KEY/);

      await on.restartWorker({ HOOKFERRY_SECRETS_KEY: KEY_C, HOOKFERRY_SECRETS_OLD_KEYS: '' });
      const event = await postEvent(on, team.apiKey, 'prospect.qualified', { order: 1 });
      const failure = await waitFor(() => pendingFailure(on, event.id, webhook.id), { timeoutMs: 30_000, what: 'the attempt to fail for want of the key' });
      expect(failure).toMatch(/key id "key-b"/);
      expect(failure).toMatch(/HOOKFERRY_SECRETS_KEY/);
      // The attempt ran and failed before any POST: nothing unsigned (or otherwise) went out.
      expect(on.receiver.at('/no-key')).toHaveLength(0);
      expect((await on.call('GET', `/v1/events/${event.id}`, { key: team.apiKey })).body.deliveries[0].status).toBe('pending');

      await on.restartWorker();
      const request = await waitFor(() => on.receiver.at('/no-key')[0], { timeoutMs: 90_000, what: 'the delivery once the key is back' });
      expect(verifySignatures(request, webhook.secret)).toMatchObject({ id: event.id, data: { order: 1 } });
    } finally {
      if (on !== stack) await on.stop();
    }
  });
}

test('after a lost key, rotating the secret recovers the webhook: the old secret is dropped and the waiting delivery goes out under the new one', async () => {
  const team = await stack.createTeam();
  const lostRing = parseKeyRing(generateKeySetting(new Date(), 'key-lost'), undefined)!;
  const row = webhookRow(team.id, 'lost', generateSecret());
  await stack.db.insertInto('webhooks').values(storedWebhookSecrets(lostRing, row)).execute();

  const event = await postEvent(stack, team.apiKey, 'prospect.qualified', { order: 2 });
  await waitFor(async () => /key id "key-lost"/.test((await pendingFailure(stack, event.id, row.id)) ?? ''), { what: 'the attempt to fail for want of the lost key' });
  expect(stack.receiver.at('/rekey/lost')).toHaveLength(0);

  const rotated = await stack.call('POST', `/v1/webhooks/${row.id}/secret/rotate`, { key: team.apiKey });
  expect(rotated.status).toBe(200);
  expect(rotated.body.previousSecretExpiresAt).toBeNull();
  const stored = await stack.db.selectFrom('webhooks').select(['secret', 'previous_secret']).where('id', '=', row.id).executeTakeFirstOrThrow();
  expect(stored.previous_secret).toBeNull();
  expect(stored.secret.startsWith('hfenc1:key-b:')).toBe(true);

  const request = await waitFor(() => stack.receiver.at('/rekey/lost')[0], { timeoutMs: 60_000, what: 'the delivery under the new secret' });
  expect(verifySignatures(request, rotated.body.secret)).toMatchObject({ id: event.id });
});

test('re-keying never overwrites a secret the API changes at the same moment', async () => {
  const team = await stack.createTeam();
  const row = webhookRow(team.id, 'raced', generateSecret());
  await stack.db.insertInto('webhooks').values(storedWebhookSecrets(ringA, row)).execute();

  // The API's change, committed only once the re-key's update waits on the row.
  const newSecret = generateSecret();
  const apiWrite = new PgClient({ connectionString: stack.config.databaseUrl });
  await apiWrite.connect();
  try {
    await apiWrite.query('begin');
    await apiWrite.query('update webhooks set secret = $1, previous_secret = null where id = $2', [sealSecret(stack.secretKeys, row.id, newSecret), row.id]);
    const rekey = resealSecrets(stack.db, stack.secretKeys, { which: 'not-current' });
    // (Asked on another connection: inside a transaction pg_stat_activity is a snapshot.)
    await waitFor(async () => {
      const { rows } = await sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%update webhooks w set secret%'`.execute(stack.db);
      return rows.length > 0;
    }, { what: 're-key to wait on the row lock' });
    await apiWrite.query('commit');
    await rekey;
  } finally {
    await apiWrite.end();
  }
  const stored = await stack.db.selectFrom('webhooks').select('secret').where('id', '=', row.id).executeTakeFirstOrThrow();
  expect(openSecret(stack.secretKeys, row.id, stored.secret)).toBe(newSecret);
});
