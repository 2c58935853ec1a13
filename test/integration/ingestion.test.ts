import { createWebhook, postEvent, waitForDelivery, waitForDispatch } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { HOOKFERRY_MAX_PAYLOAD_BYTES: String(16 * 1024) } });
});
afterAll(async () => stack?.stop());

test('concurrent duplicates with one Idempotency-Key create one event and one delivery', async () => {
  const team = await stack.createTeam();
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/idem` });
  const body = { event: 'prospect.qualified', data: { prospectId: 'p_42' } };
  const responses = await Promise.all(
    Array.from({ length: 20 }, () => stack.call('POST', '/v1/events', { key: team.apiKey, body, headers: { 'idempotency-key': 'order-42' } })),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
  const ids = new Set(responses.map((r) => r.body.id));
  expect(ids.size).toBe(1);
  expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
  const rows = await stack.db.selectFrom('events').select('id').where('team_id', '=', team.id).execute();
  expect(rows).toHaveLength(1);
  await waitForDelivery(stack, team.apiKey, [...ids][0]!, ['succeeded']);
  await waitForDispatch(stack, [...ids][0]!);
  expect(stack.receiver.at('/idem')).toHaveLength(1);

  // The event's own id field acts as the key too.
  const a = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { ...body, id: 'crm-evt-1' } });
  const b = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { ...body, id: 'crm-evt-1' } });
  expect(a.body.id).toBe(b.body.id);
});

test('the same key with a different body is refused with 422; other teams have their own keys', async () => {
  const team = await stack.createTeam();
  const other = await stack.createTeam();
  const first = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: { a: 1 } }, headers: { 'idempotency-key': 'k1' } });
  expect(first.status).toBe(202);
  const clash = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: { a: 2 } }, headers: { 'idempotency-key': 'k1' } });
  expect(clash.status).toBe(422);
  expect(clash.body.error.code).toBe('idempotency_key_reused');
  const elsewhere = await stack.call('POST', '/v1/events', { key: other.apiKey, body: { event: 'prospect.qualified', data: { a: 2 } }, headers: { 'idempotency-key': 'k1' } });
  expect(elsewhere.status).toBe(202);
  expect(elsewhere.body.id).not.toBe(first.body.id);
});

test('a key older than 24 hours no longer deduplicates', async () => {
  const team = await stack.createTeam();
  const first = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: {} }, headers: { 'idempotency-key': 'old' } });
  await stack.db.updateTable('events').set({ created_at: new Date(Date.now() - 25 * 3_600_000) }).where('id', '=', first.body.id).execute();
  const second = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: {} }, headers: { 'idempotency-key': 'old' } });
  expect(second.status).toBe(202);
  expect(second.body.id).not.toBe(first.body.id);
});

test('payload limits and bad events answer 4xx, and nothing is stored', async () => {
  const team = await stack.createTeam();
  const big = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: { blob: 'x'.repeat(17 * 1024) } } });
  expect(big.status).toBe(413);
  expect(big.body.error.code).toBe('payload_too_large');
  const unknown = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'nope.nothing', data: {} } });
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.code).toBe('unknown_event_type');
  const notObject = await stack.call('POST', '/v1/events', { key: team.apiKey, body: { event: 'prospect.qualified', data: [1, 2] } });
  expect(notObject.status).toBe(400);
  const rows = await stack.db.selectFrom('events').select('id').where('team_id', '=', team.id).execute();
  expect(rows).toHaveLength(0);
});

test('the stored event is the exact envelope delivered, and its 202 carries the id', async () => {
  const team = await stack.createTeam();
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/exact`, events: ['call.*'] });
  const e = await postEvent(stack, team.apiKey, 'call.ended', { call_id: 'call_xyz789', duration: 180 });
  await waitFor(() => stack.receiver.at('/exact').length === 1, { what: 'delivery' });
  const got = await stack.call('GET', `/v1/events/${e.id}`, { key: team.apiKey });
  expect(JSON.stringify(got.body.payload)).toBe(stack.receiver.at('/exact')[0]!.body);
});

test('an event is planned for every matching webhook: exact ids, * and category wildcards match; disabled webhooks and other teams do not', async () => {
  const team = await stack.createTeam();
  const other = await stack.createTeam();
  const exact = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/fan/exact`, events: ['linkedin.invitation.accepted'] });
  const all = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/fan/all`, events: ['*'] });
  const category = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/fan/category`, events: ['linkedin.*'] });
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/fan/unrelated`, events: ['prospect.*', 'call.ended'] });
  await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/fan/disabled`, events: ['*'], enabled: false });
  await createWebhook(stack, other.apiKey, { url: `${stack.receiver.url}/fan/other-team`, events: ['*'] });
  const e = await postEvent(stack, team.apiKey, 'linkedin.invitation.accepted');
  for (const w of [exact, all, category]) await waitForDelivery(stack, team.apiKey, e.id, ['succeeded'], { webhookId: w.id });
  await waitForDispatch(stack, e.id);
  const paths = stack.receiver.at('/fan/').map((r) => r.path).sort();
  expect(paths).toEqual(['/fan/all', '/fan/category', '/fan/exact']);
});
