import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { openSecret } from '../../src/domain/secretBox';
import { expectError, expectErrorShape } from '../helpers/apiAssertions';
import { startStack, type ApiResponse, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

// The webhook management API over real HTTP: every route's success path, every error class,
// and the cross-team 404 matrix.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const hex = (n = 4) => randomBytes(n).toString('hex');
const randomWebhookId = () => `wh_${randomBytes(12).toString('base64url')}`;
const admin = () => stack.adminKey;

async function createWebhook(key: string, overrides: Record<string, unknown> = {}): Promise<ApiResponse> {
  const res = await stack.call('POST', '/v1/webhooks', {
    key,
    body: { name: `Hook ${hex()}`, url: `${stack.receiver.url}/hooks/${hex()}`, events: ['prospect.qualified'], ...overrides },
  });
  return res;
}

async function mustCreateWebhook(key: string, overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const res = await createWebhook(key, overrides);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function expectNoSecret(view: Record<string, unknown>): void {
  expect(view).not.toHaveProperty('secret');
  expect(view).not.toHaveProperty('previousSecret');
  expect(JSON.stringify(view)).not.toMatch(/whsec_/);
}

describe('admin API', () => {
  test('admin routes need the admin key', async () => {
    const team = await stack.createTeam();
    expectError(await stack.call('POST', '/admin/v1/teams', { body: { name: 'x', notificationEmail: 'a@example.com' } }), 401, 'unauthorized');
    expectError(await stack.call('POST', '/admin/v1/teams', { key: team.apiKey, body: { name: 'x', notificationEmail: 'a@example.com' } }), 401, 'unauthorized');
    expectError(await stack.call('POST', '/admin/v1/teams', { key: 'wrong-admin-key', body: { name: 'x', notificationEmail: 'a@example.com' } }), 401, 'unauthorized');
  });

  test('create team: the first API key works and the starting credits are granted', async () => {
    const res = await stack.call('POST', '/admin/v1/teams', { key: admin(), body: { name: 'Acme Outreach', notificationEmail: 'ops@acme.example', credits: 250 } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^team_/),
      name: 'Acme Outreach',
      notificationEmail: 'ops@acme.example',
      credits: 250,
      apiKey: expect.stringMatching(/^hf_[0-9a-f]{12}_/),
      apiKeyId: expect.stringMatching(/^key_/),
    });
    const me = await stack.call('GET', '/v1/me', { key: res.body.apiKey });
    expect(me.status).toBe(200);
    expect(me.body.team).toEqual({ id: res.body.id, name: 'Acme Outreach', notificationEmail: 'ops@acme.example' });
    const credits = await stack.call('GET', '/v1/credits', { key: res.body.apiKey });
    expect(credits.status).toBe(200);
    expect(credits.body.balance).toBe(250);

    // The key is stored hashed: neither the key nor its secret part is in the database.
    const rows = await stack.db.selectFrom('api_keys').selectAll().where('team_id', '=', res.body.id).execute();
    expect(rows).toHaveLength(1);
    // hf_<prefix>_<secret>: the secret is base64url, so it may itself contain '_'.
    const secret = /^hf_[0-9a-f]{12}_(.+)$/.exec(res.body.apiKey)![1]!;
    expect(JSON.stringify(rows)).not.toContain(secret);

    expectError(await stack.call('POST', '/admin/v1/teams', { key: admin(), body: { name: 'No email' } }), 400, 'validation_error');
    expectError(await stack.call('POST', '/admin/v1/teams', { key: admin(), body: { name: 'Bad email', notificationEmail: 'not-an-email' } }), 400, 'validation_error');
  });

  test('issue and revoke API keys; a revoked key is refused with 401', async () => {
    const team = await stack.createTeam();
    const issued = await stack.call('POST', `/admin/v1/teams/${team.id}/api-keys`, { key: admin(), body: { label: 'ci' } });
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual({ id: expect.stringMatching(/^key_/), apiKey: expect.stringMatching(/^hf_/) });
    const second = issued.body.apiKey as string;
    expect((await stack.call('GET', '/v1/me', { key: second })).body.team.id).toBe(team.id);

    // An empty body is fine too (the label is optional).
    const third = await stack.call('POST', `/admin/v1/teams/${team.id}/api-keys`, { key: admin(), body: {} });
    expect(third.status).toBe(201);

    const revoked = await stack.call('DELETE', `/admin/v1/teams/${team.id}/api-keys/${issued.body.id}`, { key: admin() });
    expect(revoked.status).toBe(204);
    expectError(await stack.call('GET', '/v1/webhooks', { key: second }), 401, 'unauthorized');
    expectError(await stack.call('GET', '/v1/me', { key: second }), 401, 'unauthorized');
    // Revoking again is harmless; the key stays revoked.
    expect((await stack.call('DELETE', `/admin/v1/teams/${team.id}/api-keys/${issued.body.id}`, { key: admin() })).status).toBe(204);
    expectError(await stack.call('GET', '/v1/me', { key: second }), 401, 'unauthorized');
    // The team's other keys still work.
    expect((await stack.call('GET', '/v1/me', { key: team.apiKey })).status).toBe(200);
    expect((await stack.call('GET', '/v1/me', { key: third.body.apiKey })).status).toBe(200);

    // Unknown team / key, or a key of another team: 404.
    const other = await stack.createTeam();
    expectError(await stack.call('POST', `/admin/v1/teams/team_${hex(12)}/api-keys`, { key: admin(), body: {} }), 404, 'not_found');
    expectError(await stack.call('DELETE', `/admin/v1/teams/${team.id}/api-keys/key_${hex(12)}`, { key: admin() }), 404, 'not_found');
    expectError(await stack.call('DELETE', `/admin/v1/teams/${other.id}/api-keys/${third.body.id}`, { key: admin() }), 404, 'not_found');
    expect((await stack.call('GET', '/v1/me', { key: third.body.apiKey })).status).toBe(200);
  });

  test('grant credits', async () => {
    const team = await stack.createTeam({ credits: 10 });
    const res = await stack.call('POST', `/admin/v1/teams/${team.id}/credits`, { key: admin(), body: { amount: 90 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ balance: 100, releasedDeliveries: 0 });
    const credits = await stack.call('GET', '/v1/credits', { key: team.apiKey });
    expect(credits.body.balance).toBe(100);
    expect(credits.body.ledger[0]).toMatchObject({ delta: 90, balanceAfter: 100 });

    expectError(await stack.call('POST', `/admin/v1/teams/${team.id}/credits`, { key: admin(), body: { amount: 0 } }), 400, 'validation_error');
    expectError(await stack.call('POST', `/admin/v1/teams/${team.id}/credits`, { key: admin(), body: { amount: 1.5 } }), 400, 'validation_error');
    expectError(await stack.call('POST', `/admin/v1/teams/team_${hex(12)}/credits`, { key: admin(), body: { amount: 5 } }), 404, 'not_found');
  });

  test('add an event type: it is listed, has an example, and is accepted in a webhook\'s events', async () => {
    const team = await stack.createTeam();
    const category = `shop_${hex()}`;
    const id = `${category}.order_shipped`;
    expectError(await createWebhook(team.apiKey, { events: [id] }), 400, 'unknown_event_types');
    expectError(await createWebhook(team.apiKey, { events: [`${category}.*`] }), 400, 'unknown_event_types');

    // The catalog is deployment-wide: remove the type again so other test files see only the built-ins.
    try {
      const added = await stack.call('POST', '/admin/v1/event-types', {
        key: admin(),
        body: { id, name: 'Order Shipped', description: 'An order left the warehouse', example: { orderId: 'ord_1', carrier: 'DHL' } },
      });
      expect(added.status).toBe(201);
      expect(added.body).toEqual({ id, name: 'Order Shipped', description: 'An order left the warehouse', category });

      const listed = await stack.call('GET', `/v1/webhooks/test/events?category=${category}`, { key: team.apiKey });
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual([{ id, name: 'Order Shipped', description: 'An order left the warehouse', category }]);
      const example = await stack.call('GET', `/v1/webhooks/test/example/${id}`, { key: team.apiKey });
      expect(example.status).toBe(200);
      expect(example.body).toMatchObject({ event: id, teamId: team.id, data: { orderId: 'ord_1', carrier: 'DHL' } });

      const exact = await createWebhook(team.apiKey, { events: [id] });
      expect(exact.status).toBe(201);
      expect(exact.body.events).toEqual([id]);
      const wildcard = await createWebhook(team.apiKey, { events: [`${category}.*`] });
      expect(wildcard.status).toBe(201);

      // Adding it again updates it.
      const renamed = await stack.call('POST', '/admin/v1/event-types', { key: admin(), body: { id, name: 'Order Dispatched', description: 'Left the warehouse' } });
      expect(renamed.status).toBe(201);
      expect((await stack.call('GET', `/v1/webhooks/test/events?category=${category}`, { key: team.apiKey })).body).toEqual([{ id, name: 'Order Dispatched', description: 'Left the warehouse', category }]);

      // Built-in types cannot be redefined.
      expectError(await stack.call('POST', '/admin/v1/event-types', { key: admin(), body: { id: 'prospect.qualified', name: 'Hijacked', description: 'x' } }), 409, 'built_in_event_type');
      const builtIn = await stack.call('GET', '/v1/webhooks/test/events?category=prospect', { key: team.apiKey });
      expect(builtIn.body.find((e: { id: string }) => e.id === 'prospect.qualified').name).not.toBe('Hijacked');

      expectError(await stack.call('POST', '/admin/v1/event-types', { key: admin(), body: { id: 'Not Valid', name: 'x', description: 'y' } }), 400, 'validation_error');
      expectError(await stack.call('POST', '/admin/v1/event-types', { key: team.apiKey, body: { id: `${category}.x`, name: 'x', description: 'y' } }), 401, 'unauthorized');
    } finally {
      await stack.db.deleteFrom('event_types').where('id', '=', id).execute();
    }
  });
});

describe('webhooks: success paths', () => {
  let key: string;
  beforeAll(async () => {
    key = (await stack.createTeam()).apiKey;
  });

  test('create with a generated secret, returned only in the create answer', async () => {
    const url = `${stack.receiver.url}/hooks/crm`;
    const res = await stack.call('POST', '/v1/webhooks', { key, body: { name: 'CRM Sync', url, events: ['linkedin.message.received', 'prospect.*'] } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^wh_/),
      name: 'CRM Sync',
      url,
      rateLimit: null,
      events: ['linkedin.message.received', 'prospect.*'],
      retrySchedule: 'exponential',
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      consecutiveFailures: 0,
      lastFailureAt: null,
      recentFailures: [],
      lastDeliveryAt: null,
      previousSecretExpiresAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(Buffer.from(res.body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);

    const got = await stack.call('GET', `/v1/webhooks/${res.body.id}`, { key });
    expect(got.status).toBe(200);
    expectNoSecret(got.body);
    const { secret: _secret, ...withoutSecret } = res.body;
    expect(got.body).toEqual(withoutSecret);
  });

  test('create with a chosen secret, retry schedule and disabled', async () => {
    const secret = `my-own-Secret-${hex(8)}`;
    const res = await createWebhook(key, { secret, retrySchedule: 'extended', enabled: false, events: ['*'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ secret, retrySchedule: 'extended', enabled: false, disabledReason: 'manual', events: ['*'] });
    const custom = await createWebhook(key, { retrySchedule: { delays: ['100ms', '30s', '5m'] } });
    expect(custom.status).toBe(201);
    expect(custom.body.retrySchedule).toEqual({ delays: ['100ms', '30s', '5m'] });
    // Duplicate subscriptions are stored once.
    const dup = await createWebhook(key, { events: ['call.started', 'call.started', 'transcription.completed'] });
    expect(dup.status).toBe(201);
    expect(dup.body.events).toEqual(['call.started', 'transcription.completed']);
  });

  test('every preset\'s events, * and category wildcards are accepted', async () => {
    for (const events of [['*'], ['prospect.*'], ['linkedin.*'], ['insight.*'], ['call.*'], ['chat', 'message', 'insight.summary'], ['call.recording.completed', 'transcription.completed'], ['agent.health_alert', 'campaign.completed']]) {
      const res = await createWebhook(key, { events });
      expect([res.status, events]).toEqual([201, events]);
    }
  });

  test('list: cursor pagination in creation order, filter by enabled, no secrets', async () => {
    const team = await stack.createTeam();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await mustCreateWebhook(team.apiKey, { name: `Page ${i}`, enabled: i % 2 === 0 })).id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: ApiResponse = await stack.call('GET', `/v1/webhooks?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: team.apiKey });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      for (const w of res.body.data) expectNoSecret(w);
      seen.push(...res.body.data.map((w: { id: string }) => w.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(created);

    const all = await stack.call('GET', '/v1/webhooks', { key: team.apiKey });
    expect(all.body.data.map((w: { id: string }) => w.id)).toEqual(created);
    expect(all.body.nextCursor).toBeNull();

    const enabled = await stack.call('GET', '/v1/webhooks?enabled=true', { key: team.apiKey });
    expect(enabled.body.data.map((w: { id: string }) => w.id)).toEqual([created[0], created[2], created[4]]);
    expect(enabled.body.data.every((w: { enabled: boolean }) => w.enabled)).toBe(true);
    const disabled = await stack.call('GET', '/v1/webhooks?enabled=false&limit=1', { key: team.apiKey });
    expect(disabled.body.data.map((w: { id: string }) => w.id)).toEqual([created[1]]);
    const disabled2 = await stack.call('GET', `/v1/webhooks?enabled=false&limit=1&cursor=${encodeURIComponent(disabled.body.nextCursor)}`, { key: team.apiKey });
    expect(disabled2.body.data.map((w: { id: string }) => w.id)).toEqual([created[3]]);
    expect(disabled2.body.nextCursor).toBeNull();

    // Another team sees none of them.
    const other = await stack.createTeam();
    expect((await stack.call('GET', '/v1/webhooks', { key: other.apiKey })).body).toEqual({ data: [], nextCursor: null });

    expectError(await stack.call('GET', '/v1/webhooks?cursor=not-a-cursor', { key: team.apiKey }), 400, 'invalid_cursor');
    const forged = Buffer.from(JSON.stringify({ at: 'yesterday-ish', id: 'x' })).toString('base64url');
    expectError(await stack.call('GET', `/v1/webhooks?cursor=${forged}`, { key: team.apiKey }), 400, 'invalid_cursor');
    expectError(await stack.call('GET', '/v1/webhooks?limit=0', { key: team.apiKey }), 400, 'validation_error');
    expectError(await stack.call('GET', '/v1/webhooks?limit=201', { key: team.apiKey }), 400, 'validation_error');
    expectError(await stack.call('GET', '/v1/webhooks?enabled=yes', { key: team.apiKey }), 400, 'validation_error');
  });

  test('patch name, url, events, secret and retry schedule', async () => {
    const w = await mustCreateWebhook(key);
    const url = `${stack.receiver.url}/hooks/patched`;
    const secret = `patched-Secret-${hex(8)}`;
    const res = await stack.call('PATCH', `/v1/webhooks/${w.id}`, {
      key,
      body: { name: 'Patched name', url, events: ['call.*', 'chat'], secret, retrySchedule: 'extended' },
    });
    expect(res.status).toBe(200);
    expectNoSecret(res.body);
    expect(res.body).toMatchObject({ id: w.id, name: 'Patched name', url, events: ['call.*', 'chat'], retrySchedule: 'extended', enabled: true });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(w.updatedAt));
    const got = await stack.call('GET', `/v1/webhooks/${w.id}`, { key });
    expect(got.body).toEqual(res.body);
    // Stored encrypted (src/domain/secretBox.ts): it opens to what was sent.
    const row = await stack.db.selectFrom('webhooks').select('secret').where('id', '=', w.id).executeTakeFirstOrThrow();
    expect(row.secret).not.toContain(secret);
    expect(openSecret(stack.secretKeys, w.id, row.secret)).toBe(secret);

    // One field at a time leaves the others alone.
    const renamed = await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: { name: 'Renamed again' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed again', url, events: ['call.*', 'chat'], retrySchedule: 'extended' });
    // Renaming to its own name is not a clash.
    expect((await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: { name: 'Renamed again' } })).status).toBe(200);

    expectError(await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: {} }), 400, 'validation_error');
    expectError(await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: { enabled: false } }), 400, 'validation_error');
  });

  test('delete: gone from GET and the list, a second delete is 404, and no further calls are made to it', async () => {
    const w = await mustCreateWebhook(key, { name: 'To delete' });
    const del = await stack.call('DELETE', `/v1/webhooks/${w.id}`, { key });
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    expectError(await stack.call('GET', `/v1/webhooks/${w.id}`, { key }), 404, 'not_found');
    expectError(await stack.call('DELETE', `/v1/webhooks/${w.id}`, { key }), 404, 'not_found');
    expectError(await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: { name: 'zombie' } }), 404, 'not_found');
    expectError(await stack.call('POST', `/v1/webhooks/${w.id}/enable`, { key }), 404, 'not_found');
    expectError(await stack.call('POST', '/v1/webhooks/test', { key, body: { event: 'prospect.qualified', webhookId: w.id } }), 404, 'not_found');
    const list = await stack.call('GET', '/v1/webhooks?limit=200', { key });
    expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(w.id);
    // The name is free again.
    expect((await createWebhook(key, { name: 'To delete' })).status).toBe(201);
  });

  test('disable and enable', async () => {
    const w = await mustCreateWebhook(key);
    const off = await stack.call('POST', `/v1/webhooks/${w.id}/disable`, { key });
    expect(off.status).toBe(200);
    expectNoSecret(off.body);
    expect(off.body).toMatchObject({ id: w.id, enabled: false, disabledReason: 'manual', disabledAt: expect.any(String) });
    expect((await stack.call('GET', `/v1/webhooks/${w.id}`, { key })).body.enabled).toBe(false);
    // Disabling twice is harmless.
    expect((await stack.call('POST', `/v1/webhooks/${w.id}/disable`, { key })).body.enabled).toBe(false);
    // A disabled webhook gets no test sends.
    expectError(await stack.call('POST', '/v1/webhooks/test', { key, body: { event: 'prospect.qualified', webhookId: w.id } }), 409, 'webhook_disabled');

    // Failure tracking is reset by re-enabling.
    await stack.db.updateTable('webhooks').set({ consecutive_failures: 3 }).where('id', '=', w.id).execute();
    const on = await stack.call('POST', `/v1/webhooks/${w.id}/enable`, { key });
    expect(on.status).toBe(200);
    expectNoSecret(on.body);
    expect(on.body).toMatchObject({ id: w.id, enabled: true, disabledReason: null, disabledAt: null, consecutiveFailures: 0 });
    expect((await stack.call('GET', `/v1/webhooks/${w.id}`, { key })).body.enabled).toBe(true);
  });

  test('secret rotation: the new secret is returned once, and deliveries carry signatures for both old and new', async () => {
    const path = `/rotate/${hex()}`;
    const w = await mustCreateWebhook(key, { url: `${stack.receiver.url}${path}`, events: ['prospect.qualified'] });
    const oldSecret: string = w.secret;

    const before = await stack.call('POST', '/v1/webhooks/test', { key, body: { event: 'prospect.qualified', webhookId: w.id } });
    expect(before.status).toBe(202);
    const [first] = await waitFor(() => (stack.receiver.at(path).length >= 1 ? stack.receiver.at(path) : undefined), { what: 'first delivery' });
    expect(first!.headers['webhook-signature']!.split(' ').filter((s) => s.startsWith('v1,'))).toHaveLength(1);
    expect(() => new StandardWebhook(oldSecret).verify(first!.body, first!.headers)).not.toThrow();

    const rotated = await stack.call('POST', `/v1/webhooks/${w.id}/secret/rotate`, { key });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), previousSecretExpiresAt: expect.any(String) });
    const newSecret: string = rotated.body.secret;
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now());

    // GET shows the grace period, never a secret.
    const got = await stack.call('GET', `/v1/webhooks/${w.id}`, { key });
    expectNoSecret(got.body);
    expect(got.body.previousSecretExpiresAt).toBe(rotated.body.previousSecretExpiresAt);
    const list = await stack.call('GET', '/v1/webhooks?limit=200', { key });
    for (const x of list.body.data) expectNoSecret(x);

    const sent = await stack.call('POST', '/v1/webhooks/test', { key, body: { event: 'prospect.qualified', webhookId: w.id } });
    expect(sent.status).toBe(202);
    expect(sent.body.deliveries).toEqual([expect.objectContaining({ webhookId: w.id })]);
    const requests = await waitFor(() => (stack.receiver.at(path).length >= 2 ? stack.receiver.at(path) : undefined), { what: 'delivery after rotation' });
    const second = requests[1]!;
    expect(JSON.parse(second.body)).toMatchObject({ id: sent.body.eventId, event: 'prospect.qualified', test: true });
    const entries = second.headers['webhook-signature']!.split(' ');
    expect(entries.filter((s) => s.startsWith('v1,'))).toHaveLength(2);
    expect(entries).toHaveLength(2);
    // The official library accepts the delivery with the new secret and with the old one.
    expect(new StandardWebhook(newSecret).verify(second.body, second.headers)).toMatchObject({ id: sent.body.eventId });
    expect(new StandardWebhook(oldSecret).verify(second.body, second.headers)).toMatchObject({ id: sent.body.eventId });
    // ...and not with an unrelated one.
    expect(() => new StandardWebhook(`whsec_${randomBytes(32).toString('base64')}`).verify(second.body, second.headers)).toThrow();

    // Once the grace period is over, only the new secret signs.
    await stack.db.updateTable('webhooks').set({ previous_secret_expires_at: new Date(Date.now() - 1000) }).where('id', '=', w.id).execute();
    expect((await stack.call('GET', `/v1/webhooks/${w.id}`, { key })).body.previousSecretExpiresAt).toBeNull();
    const third = await stack.call('POST', '/v1/webhooks/test', { key, body: { event: 'prospect.qualified', webhookId: w.id } });
    expect(third.status).toBe(202);
    const all = await waitFor(() => (stack.receiver.at(path).length >= 3 ? stack.receiver.at(path) : undefined), { what: 'delivery after the grace period' });
    const last = all[2]!;
    expect(last.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(new StandardWebhook(newSecret).verify(last.body, last.headers)).toMatchObject({ id: third.body.eventId });
    expect(() => new StandardWebhook(oldSecret).verify(last.body, last.headers)).toThrow();
  });
});

describe('webhooks: error classes', () => {
  let key: string;
  beforeAll(async () => {
    key = (await stack.createTeam()).apiKey;
  });

  test('401 for a missing, malformed, unknown or wrongly presented key', async () => {
    const unknown = `hf_${hex(6)}_${randomBytes(24).toString('base64url')}`;
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Bearer not-a-key' },
      { authorization: `Bearer ${unknown}` },
      { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      { authorization: key },
      { authorization: `Bearer ${key}x` },
      { authorization: `Bearer ${key.slice(0, -1)}` },
    ];
    for (const headers of cases) {
      for (const [method, path] of [['GET', '/v1/webhooks'], ['POST', '/v1/webhooks'], ['GET', `/v1/webhooks/${randomWebhookId()}`], ['DELETE', `/v1/webhooks/${randomWebhookId()}`]] as const) {
        const res = await stack.call(method, path, { headers, body: method === 'POST' ? {} : undefined });
        expectError(res, 401, 'unauthorized');
      }
    }
    // The key works when presented properly (also with a lowercase scheme).
    expect((await stack.call('GET', '/v1/webhooks', { headers: { authorization: `bearer ${key}` } })).status).toBe(200);
  });

  test('400 validation_error with details naming the fields', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{}, ['name', 'url', 'events']],
      [{ name: '', url: 'https://example.com', events: ['*'] }, ['name']],
      [{ name: '   ', url: 'https://example.com', events: ['*'] }, ['name']],
      [{ name: 'a\u0000b', url: 'https://example.com', events: ['*'] }, ['name']],
      [{ name: 'x'.repeat(101), url: 'https://example.com', events: ['*'] }, ['name']],
      [{ name: 'ok', url: 42, events: ['*'] }, ['url']],
      [{ name: 'ok', url: 'https://example.com', events: [] }, ['events']],
      [{ name: 'ok', url: 'https://example.com', events: 'prospect.qualified' }, ['events']],
      [{ name: 'ok', url: 'https://example.com', events: ['Not An Id'] }, ['events.0']],
      [{ name: 'ok', url: 'https://example.com', events: ['*'], enabled: 'yes' }, ['enabled']],
      [{ name: 'ok', url: 'https://example.com', events: ['*'], retrySchedule: 'sometimes' }, ['retrySchedule']],
      [{ name: 'ok', url: 'https://example.com', events: ['*'], surprise: 1 }, ['']],
      [[], ['']],
      ['just a string', ['']],
    ];
    for (const [body, paths] of cases) {
      const res = await stack.call('POST', '/v1/webhooks', { key, body });
      expectError(res, 400, 'validation_error');
      expect(res.body.error.details).toEqual(expect.any(Array));
      for (const d of res.body.error.details) expect(d).toEqual({ path: expect.any(String), message: expect.any(String), code: expect.any(String) });
      expect([body, [...new Set(res.body.error.details.map((d: { path: string }) => d.path))].sort()]).toEqual([body, [...paths].sort()]);
    }
  });

  test('400 invalid_url for non-https, non-web schemes, credentials and private addresses', async () => {
    const bad = [
      'http://93.184.215.14/hook', // plain http to a host outside HOOKFERRY_ALLOWED_CIDRS
      'http://[2606:4700::1111]/hook',
      'ftp://example.com/hook',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/plain,hello',
      'ws://example.com/hook',
      'https://user:pass@example.com/hook',
      'https://user@example.com/hook',
      'https://:pass@example.com/hook',
      'https://10.0.0.5/hook',
      'https://192.168.1.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fd00::1]/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://0.0.0.0/hook',
      'https://0x0a000001/hook', // 10.0.0.1 spelled as a number
      'not a url',
      '/relative/path',
      '',
      `https://example.com/${'a'.repeat(2100)}`,
    ];
    for (const url of bad) {
      const res = await stack.call('POST', '/v1/webhooks', { key, body: { name: `Bad ${hex()}`, url, events: ['*'] } });
      if (res.status === 400 && res.body?.error?.code === 'validation_error') {
        // Over the schema's length limit: refused by validation before the URL check.
        expect(url.length).toBeGreaterThan(2048);
        continue;
      }
      expect([url, res.status, res.body?.error?.code]).toEqual([url, 400, 'invalid_url']);
      expectErrorShape(res);
      expect(res.body.error.details).toEqual([{ path: 'url', message: expect.any(String) }]);
    }
    // The same checks on PATCH.
    const w = await mustCreateWebhook(key);
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'https://u:p@example.com/', 'https://10.1.2.3/', 'http://93.184.215.14/']) {
      expectError(await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: { url } }), 400, 'invalid_url');
    }
    expect((await stack.call('GET', `/v1/webhooks/${w.id}`, { key })).body.url).toBe(w.url);

    // Accepted: https to a public host, and plain http inside the allowlist (127.0.0.0/8 in tests).
    for (const url of ['https://example.com/hook', 'https://hooks.example.com:8443/a/b?c=d', 'https://93.184.215.14/hook', `http://127.0.0.1:${stack.receiver.port}/x`, `http://localhost:${stack.receiver.port}/x`]) {
      const res = await createWebhook(key, { url });
      expect([url, res.status]).toEqual([url, 201]);
    }
  });

  test('400 unknown_event_types lists the unknown ids; *, exact ids and category wildcards are accepted', async () => {
    const res = await createWebhook(key, { events: ['prospect.qualified', 'prospect.exploded', '*', 'nosuch.*', 'linkedin.*', 'bogus'] });
    expectError(res, 400, 'unknown_event_types');
    expect(res.body.error.details.unknown).toEqual(['prospect.exploded', 'nosuch.*', 'bogus']);
    expect(res.body.error.message).toContain('prospect.exploded');

    const w = await mustCreateWebhook(key, { events: ['*'] });
    const patched = await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: { events: ['call.*', 'call.teleported'] } });
    expectError(patched, 400, 'unknown_event_types');
    expect(patched.body.error.details.unknown).toEqual(['call.teleported']);
    expect((await stack.call('GET', `/v1/webhooks/${w.id}`, { key })).body.events).toEqual(['*']);

    for (const events of [['*'], ['prospect.*'], ['prospect.qualified', 'campaign.*']]) {
      expect((await createWebhook(key, { events })).status).toBe(201);
    }
  });

  test('400 weak_secret', async () => {
    for (const secret of ['short', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'abababababababababab', 'has spaces in the secret ok', 'whsec_dG9vc2hvcnQ=', `ünïcode-secret-${hex()}`, 'x'.repeat(255)]) {
      const res = await createWebhook(key, { secret });
      expect([secret, res.status, res.body?.error?.code]).toEqual([secret, 400, 'weak_secret']);
      expectErrorShape(res);
    }
    const w = await mustCreateWebhook(key);
    expectError(await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: { secret: 'tooweak' } }), 400, 'weak_secret');
  });

  test('409 name_taken on create and on patch, per team', async () => {
    const name = `Unique ${hex()}`;
    await mustCreateWebhook(key, { name });
    expectError(await createWebhook(key, { name }), 409, 'name_taken');
    // Names are trimmed before the comparison.
    expectError(await createWebhook(key, { name: `  ${name} ` }), 409, 'name_taken');
    const other = await mustCreateWebhook(key);
    expectError(await stack.call('PATCH', `/v1/webhooks/${other.id}`, { key, body: { name } }), 409, 'name_taken');
    expect((await stack.call('GET', `/v1/webhooks/${other.id}`, { key })).body.name).toBe(other.name);
    // Another team may use the same name.
    const team2 = await stack.createTeam();
    expect((await createWebhook(team2.apiKey, { name })).status).toBe(201);
  });

  test('400 invalid_json for a malformed body', async () => {
    for (const rawBody of ['{"name": "x",', '{name: "x"}', "{'a': 1}", '{"a": 1}}', 'undefined', '\u0000']) {
      const res = await stack.call('POST', '/v1/webhooks', { key, rawBody, headers: { 'content-type': 'application/json' } });
      expectError(res, 400, 'invalid_json');
    }
    const w = await mustCreateWebhook(key);
    expectError(await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, rawBody: '{"name":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  });

  test('415 for a body that is not JSON', async () => {
    const body = JSON.stringify({ name: 'x', url: 'https://example.com', events: ['*'] });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      expectError(await stack.call('POST', '/v1/webhooks', { key, rawBody: body, headers: { 'content-type': contentType } }), 415, 'unsupported_media_type');
    }
    const w = await mustCreateWebhook(key);
    expectError(await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, rawBody: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    // A JSON body with a charset is fine.
    const ok = await stack.call('POST', '/v1/webhooks', { key, rawBody: JSON.stringify({ name: `Charset ${hex()}`, url: 'https://example.com', events: ['*'] }), headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(ok.status).toBe(201);
  });

  test('413 for a body over the limit', async () => {
    const huge = { name: 'x', url: 'https://example.com', events: ['*'], padding: 'p'.repeat(stack.config.maxPayloadBytes + 64 * 1024) };
    expectError(await stack.call('POST', '/v1/webhooks', { key, body: huge }), 413, 'payload_too_large');
    const w = await mustCreateWebhook(key);
    expectError(await stack.call('PATCH', `/v1/webhooks/${w.id}`, { key, body: { name: 'n'.repeat(stack.config.maxPayloadBytes + 64 * 1024) } }), 413, 'payload_too_large');
  });

  test('404 route_not_found for unknown routes and methods', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing-here'],
      ['POST', '/v1/webhooks/x/explode'],
      ['PUT', '/v1/webhooks/x'],
      ['GET', '/admin/v1/nothing'],
      ['GET', '/v2/webhooks'],
      ['GET', '/no-such-page.json'],
    ] as const) {
      const withKey = await stack.call(method, path, { key });
      expectError(withKey, 404, 'route_not_found');
      expect(withKey.body.error.message).toBe(`no route for ${method} ${path}`);
      const withoutKey = await stack.call(method, path);
      expectError(withoutKey, 404, 'route_not_found');
    }
    // The query string is not part of the path it names.
    expect((await stack.call('GET', '/v1/nope?x=1', { key })).body.error.message).toBe('no route for GET /v1/nope');
  });

  test('404 not_found for an unknown id, with the error shape', async () => {
    expectError(await stack.call('GET', `/v1/webhooks/${randomWebhookId()}`, { key }), 404, 'not_found');
    // Ids no row can have (the database cannot even store NUL) are refused before any lookup.
    for (const id of ['%00', 'wh_%00x', '%ED%A0%80']) {
      const res = await stack.call('GET', `/v1/webhooks/${id}`, { key });
      expect(res.status).toBe(400);
      expectErrorShape(res);
    }
    expectError(await stack.call('GET', '/v1/webhooks?cursor=' + Buffer.from(JSON.stringify({ at: '2020-01-01T00:00:00Z', id: 'x\u0000' })).toString('base64url'), { key }), 400, 'invalid_cursor');
    expectError(await stack.call('GET', '/v1/webhooks?cursor=' + Buffer.from(JSON.stringify({ at: '+275760-09-13T00:00:00.000Z', id: 'x' })).toString('base64url'), { key }), 400, 'invalid_cursor');
    expectError(await stack.call('GET', `/v1/webhooks/${encodeURIComponent('🎉\u202e')}`, { key }), 404, 'not_found');
    expectError(await stack.call('GET', `/v1/webhooks/${'x'.repeat(201)}`, { key }), 400, 'validation_error');
    const malformed = await stack.call('GET', '/v1/webhooks/%E0%A4%A', { key });
    expect(malformed.status).toBe(400);
    expectErrorShape(malformed);
  });
});

describe('cross-team isolation: another team\'s webhook id answers exactly like a random id', () => {
  interface RouteCase {
    name: string;
    method: string;
    path: (id: string) => string;
    body?: unknown;
    ok: number;
  }
  const routes: RouteCase[] = [
    { name: 'GET /v1/webhooks/:id', method: 'GET', path: (id) => `/v1/webhooks/${id}`, ok: 200 },
    { name: 'PATCH /v1/webhooks/:id', method: 'PATCH', path: (id) => `/v1/webhooks/${id}`, body: { name: `Taken over ${hex()}`, url: 'https://attacker.example/steal', events: ['*'] }, ok: 200 },
    { name: 'DELETE /v1/webhooks/:id', method: 'DELETE', path: (id) => `/v1/webhooks/${id}`, ok: 204 },
    { name: 'POST /v1/webhooks/:id/enable', method: 'POST', path: (id) => `/v1/webhooks/${id}/enable`, ok: 200 },
    { name: 'POST /v1/webhooks/:id/disable', method: 'POST', path: (id) => `/v1/webhooks/${id}/disable`, ok: 200 },
    { name: 'POST /v1/webhooks/:id/secret/rotate', method: 'POST', path: (id) => `/v1/webhooks/${id}/secret/rotate`, ok: 200 },
    { name: 'GET /v1/webhooks/:id/deliveries', method: 'GET', path: (id) => `/v1/webhooks/${id}/deliveries`, ok: 200 },
    { name: 'POST /v1/webhooks/:id/recover', method: 'POST', path: (id) => `/v1/webhooks/${id}/recover`, body: { since: '2020-01-01T00:00:00Z' }, ok: 202 },
    { name: 'POST /v1/webhooks/test { webhookId }', method: 'POST', path: () => '/v1/webhooks/test', body: undefined, ok: 202 },
  ];

  let owner: { id: string; apiKey: string };
  let intruder: { id: string; apiKey: string };
  let victim: Record<string, any>;
  let victimSnapshot: ApiResponse;
  let victimRow: Record<string, unknown>;

  async function rowOf(id: string) {
    return stack.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  beforeAll(async () => {
    owner = await stack.createTeam();
    intruder = await stack.createTeam();
    victim = await mustCreateWebhook(owner.apiKey, { name: 'Victim', events: ['prospect.qualified'] });
    // One delivery exists, so the deliveries list would have something to leak.
    const sent = await stack.call('POST', '/v1/webhooks/test', { key: owner.apiKey, body: { event: 'prospect.qualified', webhookId: victim.id } });
    expect(sent.status).toBe(202);
    await waitFor(async () => (await stack.call('GET', `/v1/webhooks/${victim.id}/deliveries`, { key: owner.apiKey })).body.data?.[0]?.status === 'succeeded', { what: 'victim delivery' });
    await waitFor(async () => (await stack.call('GET', `/v1/webhooks/${victim.id}`, { key: owner.apiKey })).body.lastDeliveryAt, { what: 'victim delivery recorded' });
    victimSnapshot = await stack.call('GET', `/v1/webhooks/${victim.id}`, { key: owner.apiKey });
    victimRow = await rowOf(victim.id);
  });

  test.each(routes)('$name', async (route) => {
    const call = (id: string) => {
      const body = route.path(id) === '/v1/webhooks/test' ? { event: 'prospect.qualified', webhookId: id } : route.body;
      return stack.call(route.method, route.path(id), { key: intruder.apiKey, body });
    };
    // (a) the team's own webhook: success.
    const own = await mustCreateWebhook(intruder.apiKey);
    const mine = await call(own.id);
    expect([mine.status, mine.body]).toEqual([route.ok, mine.body]);

    // (b) another team's webhook and (c) a random id: the same 404.
    const others = await call(victim.id);
    const random = await call(randomWebhookId());
    expectError(others, 404, 'not_found');
    expectError(random, 404, 'not_found');
    expect(others.body).toEqual(random.body);
    expect(others.headers.get('content-type')).toBe(random.headers.get('content-type'));

    // Nothing about the other team's webhook changed.
    const after = await stack.call('GET', `/v1/webhooks/${victim.id}`, { key: owner.apiKey });
    expect(after.status).toBe(200);
    expect(after.body).toEqual(victimSnapshot.body);
    expect(await rowOf(victim.id)).toEqual(victimRow);
  });

  test('the victim still receives its deliveries, signed with its own secret', async () => {
    const path = new URL(victim.url).pathname;
    const before = stack.receiver.at(path).length;
    const sent = await stack.call('POST', '/v1/webhooks/test', { key: owner.apiKey, body: { event: 'prospect.qualified', webhookId: victim.id } });
    expect(sent.status).toBe(202);
    const requests = await waitFor(() => (stack.receiver.at(path).length > before ? stack.receiver.at(path) : undefined), { what: 'victim delivery' });
    const last = requests[requests.length - 1]!;
    expect(new StandardWebhook(victim.secret).verify(last.body, last.headers)).toMatchObject({ id: sent.body.eventId });
    expect(last.headers['webhook-signature']!.split(' ')).toHaveLength(1);
  });
});
