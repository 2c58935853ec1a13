import { verifySignatures, createWebhook, waitForDelivery } from '../helpers/fixtures';
import { expectError } from '../helpers/apiAssertions';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

// JSON.parse builds values nested far deeper than JSON.stringify, zod or PostgreSQL's jsonb
// parser can take (a 20 KB body can nest 10,000 levels). Every JSON body is measured first and
// refused with 400 payload_too_deep above HOOKFERRY_MAX_JSON_DEPTH. This stack runs at the
// highest limit the setting allows, so the test also shows that the whole pipeline (storage,
// signing, delivery, read-back) handles anything the limit lets in.

const LIMIT = 1000;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { HOOKFERRY_MAX_JSON_DEPTH: String(LIMIT) } });
});
afterAll(async () => stack?.stop());

/** JSON text nesting `levels` objects and arrays (alternating, an object outermost), as raw text: the test process cannot JSON.stringify the deep ones either. */
function nestedText(levels: number): string {
  let open = '';
  let close = '';
  for (let level = 0; level < levels; level++) {
    open += level % 2 ? '[' : '{"a":';
    close = (level % 2 ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

/** A body whose total depth (counting the body object itself) is `depth`, with the nesting under `field`. */
function bodyWith(fields: Record<string, unknown>, field: string, depth: number): string {
  const others = JSON.stringify(fields).slice(1, -1);
  return `{${others}${others ? ',' : ''}"${field}":${nestedText(depth - 1)}}`;
}

function send(method: string, path: string, key: string, rawBody: string) {
  return stack.call(method, path, { key, rawBody, headers: { 'content-type': 'application/json' } });
}

test('nesting past the limit answers 400 payload_too_deep, naming the limit, on every route that takes JSON', async () => {
  const team = await stack.createTeam();
  const webhook = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/deep-refused` });
  for (const depth of [LIMIT + 1, 10_000, 50_000]) {
    const cases: Array<[string, string, string, string]> = [
      ['POST', '/v1/events', team.apiKey, bodyWith({ event: 'prospect.qualified' }, 'data', depth)],
      ['POST', '/v1/events/batch', team.apiKey, `{"events":[${bodyWith({ event: 'prospect.qualified' }, 'data', depth - 2)}]}`],
      ['POST', '/v1/webhooks/test', team.apiKey, bodyWith({ event: 'prospect.qualified' }, 'data', depth)],
      ['POST', '/admin/v1/event-types', stack.adminKey, bodyWith({ id: 'deep.refused', name: 'Deep', description: 'x' }, 'example', depth)],
      ['PATCH', `/v1/webhooks/${webhook.id}`, team.apiKey, bodyWith({}, 'name', depth)],
      ['POST', '/v1/webhooks', team.apiKey, nestedText(depth)],
      // Routes that take no body, and unknown routes, measure a body all the same.
      ['POST', `/v1/webhooks/${webhook.id}/disable`, team.apiKey, nestedText(depth)],
      ['POST', '/v1/no-such-route', team.apiKey, nestedText(depth)],
    ];
    for (const [method, path, key, body] of cases) {
      const res = await send(method, path, key, body);
      expectError(res, 400, 'payload_too_deep');
      expect(res.body.error.message).toContain(String(LIMIT));
    }
  }
  // Nothing was stored or changed by any of them.
  expect(await stack.db.selectFrom('events').select('id').where('team_id', '=', team.id).execute()).toEqual([]);
  expect(await stack.db.selectFrom('event_types').select('id').where('id', '=', 'deep.refused').execute()).toEqual([]);
  expect((await stack.call('GET', `/v1/webhooks/${webhook.id}`, { key: team.apiKey })).body.enabled).toBe(true);
  expect(stack.logs.filter((r) => r.level >= 50)).toEqual([]);
});

test('an event exactly at the limit is stored, delivered signed and read back intact', async () => {
  const team = await stack.createTeam();
  const webhook = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/deep-at-limit` });
  const accepted = await send('POST', '/v1/events', team.apiKey, bodyWith({ event: 'prospect.qualified' }, 'data', LIMIT));
  expect(accepted.status).toBe(202);
  const sentData = JSON.parse(nestedText(LIMIT - 1));
  expect(accepted.body.payload.data).toEqual(sentData);

  await waitForDelivery(stack, team.apiKey, accepted.body.id, ['succeeded']);
  const [request] = stack.receiver.at('/deep-at-limit');
  const delivered = verifySignatures(request!, webhook.secret);
  // The envelope ({ data: … }) is exactly as deep as the body was.
  expect(delivered.data).toEqual(sentData);
  expect((await stack.call('GET', `/v1/events/${accepted.body.id}`, { key: team.apiKey })).body.payload.data).toEqual(sentData);
});

test('an event type whose example is at the limit is added, shown and sent as a test event', async () => {
  const team = await stack.createTeam();
  const added = await send('POST', '/admin/v1/event-types', stack.adminKey, bodyWith({ id: 'deep.example', name: 'Deep example', description: 'x' }, 'example', LIMIT));
  expect(added.status).toBe(201);
  const webhook = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/deep-example`, events: ['deep.example'] });
  const example = JSON.parse(nestedText(LIMIT - 1));
  expect((await stack.call('GET', '/v1/webhooks/test/example/deep.example', { key: team.apiKey })).body.data).toEqual(example);

  expect((await stack.call('POST', '/v1/webhooks/test', { key: team.apiKey, body: { event: 'deep.example' } })).status).toBe(202);
  const request = await waitFor(() => stack.receiver.at('/deep-example')[0], { what: 'the test event' });
  expect(verifySignatures(request, webhook.secret)).toMatchObject({ event: 'deep.example', test: true, data: example });
});
