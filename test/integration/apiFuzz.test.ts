import fc from 'fast-check';
import { isErrorShape } from '../helpers/apiAssertions';
import { startStack, type ApiResponse, type Stack } from '../helpers/stack';

// Property-based: random and hostile input to create/patch answers 2xx or 4xx with the error
// shape, never 5xx, and what is accepted reads back as sent. The API logs no unhandled error
// for any of it (the last test).

let stack: Stack;
let key: string;
let target: { id: string; url: string };
beforeAll(async () => {
  stack = await startStack({ noWorker: true });
  key = (await stack.createTeam()).apiKey;
  const res = await stack.call('POST', '/v1/webhooks', { key, body: { name: 'Fuzz target', url: 'https://example.com/hook', events: ['*'] } });
  expect(res.status).toBe(201);
  target = res.body;
});
afterAll(async () => {
  await stack?.stop();
});

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

/** Runs a property; on failure throws a short message (counterexamples can be megabytes). */
async function check<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncPropertyWithHooks<Ts>): Promise<void> {
  const details = await fc.check(property, params);
  if (!details.failed) return;
  const shown = fc.stringify(details.counterexample).slice(0, 1500);
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(`property failed (seed ${details.seed}, path "${details.counterexamplePath}"; rerun with FUZZ_SEED=${details.seed}):\n${cause.slice(0, 1500)}\ncounterexample: ${shown}`);
}

const ODD_CHARACTERS = [
  '\u0000', // NUL
  '\u0001',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u0085', // next line
  '\u00a0',
  '\u200b', // zero-width space
  '\u200e', // LRM
  '\u200f', // RLM
  '\u202e', // RTL override
  '\u2066',
  '\u2028', // line separator
  '\ufeff', // BOM
  '\ufffd',
  '\uffff',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\udc00\ud800', // reversed pair
  '😀',
  'e\u0301\u0301\u0301', // stacked combining marks
  'ﷺ',
  '𝕳𝖔𝖔𝖐',
  '%00',
  '%',
  '\\',
  '"',
  "'; drop table webhooks; --",
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '\r\n',
  '\t',
  ' ',
];

const oddCharacter = fc.constantFrom(...ODD_CHARACTERS);

/** Strings mixing ordinary text with control characters, odd unicode and every UTF-16 unit. */
const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.array(fc.oneof(oddCharacter, fc.string({ maxLength: 5 })), { maxLength: 12 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...ODD_CHARACTERS), maxLength: 10 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }).chain((n) => fc.constantFrom('x', 'é', '😀', '\u0000', '\ud800', ' ').map((c) => c.repeat(n))) },
);

const validEvent = fc.constantFrom('*', 'prospect.*', 'prospect.qualified', 'linkedin.message.received', 'call.*', 'chat', 'insight.summary', 'transcription.completed');

const HOSTILE_URLS = [
  'file:///etc/passwd',
  'file://localhost/etc/passwd',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(document.cookie)',
  ' javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'data:application/json;base64,e30=',
  'vbscript:msgbox(1)',
  'ftp://example.com/',
  'gopher://127.0.0.1:25/',
  'dict://127.0.0.1:11211/',
  'ldap://example.com/',
  'ws://example.com/',
  'blob:https://example.com/uuid',
  'https://user:pass@example.com/',
  'https://user@example.com/',
  'https://:@example.com/',
  'https://a%40b:c@example.com/',
  'https://example.com@10.0.0.1/',
  'http://169.254.169.254/latest/meta-data/',
  'https://169.254.169.254/latest/meta-data/',
  'https://[::1]/',
  'https://[::ffff:169.254.169.254]/',
  'https://[fe80::1%25eth0]/',
  'https://0x7f000001/',
  'https://017700000001/',
  'https://2130706433/',
  'https://10.0.0.1/',
  'https://0/',
  'https://example.com:99999/',
  'https://example.com:0/',
  'https://exa mple.com/',
  'https://example.com/\u0000',
  'https://exa\u0000mple.com/',
  'https://example.com/\ud800',
  'https://example.com/\u202e',
  'https://xn--/',
  'https://xn--nxasmq6b.com/',
  'https://ex\u00e4mple.com/',
  'https://example.com/\r\nX-Injected: 1',
  '\thttps://example.com/\n',
  'https://example.com/' + 'a'.repeat(2030),
  'https://' + 'a'.repeat(3000) + '.com/',
  'https:',
  'https://',
  'https:///path',
  '//example.com/',
  '',
  ...ODD_CHARACTERS.flatMap((c) => [`https://example.com/?q=${c}`, `https://exa${c}mple.com/`, `${c}https://example.com/`]),
];

const hostileUrl = fc.oneof(
  fc.webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: true }),
  fc.constantFrom(...HOSTILE_URLS),
  hostileString,
  hostileString.map((s) => `https://example.com/${s}`),
  hostileString.map((s) => `https://${s}/`),
);

/** Anything at all, including deeply nested objects and huge arrays. */
const wrongType = fc.oneof(
  fc.anything({ maxDepth: 4, withNullPrototype: true, withObjectString: true }),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, [], {}, [[]], { $ne: null }, { __proto__: { admin: true } }),
  fc.integer({ min: 1, max: 1_000 }).map((depth) => {
    let v: unknown = 'deep';
    for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
    return v;
  }),
  fc.integer({ min: 101, max: 60_000 }).map((n) => Array.from({ length: n }, (_, i) => (i % 2 ? 'prospect.qualified' : 'x'))),
);

const events = fc.oneof(
  { weight: 3, arbitrary: fc.array(validEvent, { minLength: 1, maxLength: 5 }) },
  { weight: 2, arbitrary: fc.array(fc.oneof(validEvent, hostileString, fc.constantFrom('*.*', '.*', 'prospect.', 'prospect..x', 'PROSPECT.*', 'prospect.*.*', '**', 'a'.repeat(101))), { maxLength: 8 }) },
  { weight: 1, arbitrary: fc.array(validEvent, { minLength: 90, maxLength: 500 }) },
  { weight: 1, arbitrary: wrongType },
);

const secret = fc.oneof(
  fc.constant(undefined),
  fc.string({ unit: 'grapheme-ascii', minLength: 10, maxLength: 60 }),
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((b) => `whsec_${Buffer.from(b).toString('base64')}`),
  hostileString,
  wrongType,
);

const retrySchedule = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('exponential', 'extended', 'linear', '', { delays: [] }, { delays: ['1s'] }, { delays: ['100ms', '30s', '5m', '2h'] }, { delays: ['8d'] }, { delays: ['-1s'] }, { delays: ['1e400s'] }, { delays: ['1s'], extra: 1 }),
  fc.record({ delays: fc.array(fc.oneof(hostileString, fc.constantFrom('1s', '0ms', '999999999999h', 'NaNs')), { maxLength: 25 }) }),
  wrongType,
);

const name = fc.oneof({ weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) }, { weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: wrongType });
const url = fc.oneof({ weight: 5, arbitrary: hostileUrl }, { weight: 1, arbitrary: wrongType });
const enabled = fc.oneof(fc.boolean(), wrongType);

const webhookFields = { name, url, events, secret, retrySchedule, enabled };
const extraKeys = fc.dictionary(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'teamId', 'secret ')), wrongType, { maxKeys: 3 });

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** A valid webhook with at most one field replaced by a hostile value: most runs get past validation of the rest. */
const plausibleCreate = fc
  .tuple(
    fc.record({ name: fc.string({ minLength: 1, maxLength: 30 }), url: fc.webUrl({ validSchemes: ['https'], withQueryParameters: true }), events: fc.array(validEvent, { minLength: 1, maxLength: 4 }) }),
    fc.option(fc.constantFrom(...(Object.keys(webhookFields) as Array<keyof typeof webhookFields>)).chain((k) => (webhookFields[k] as fc.Arbitrary<unknown>).map((v) => ({ [k]: v })))),
  )
  .map(([valid, hostile]) => withoutUndefined({ ...valid, ...(hostile ?? {}) }));

const createBody = fc.oneof(
  { weight: 6, arbitrary: plausibleCreate },
  { weight: 6, arbitrary: fc.record(webhookFields, { requiredKeys: ['name', 'url', 'events'] }).map(withoutUndefined) },
  { weight: 2, arbitrary: fc.record(webhookFields, { requiredKeys: [] }).map(withoutUndefined) },
  { weight: 1, arbitrary: fc.tuple(fc.record(webhookFields, { requiredKeys: ['name', 'url', 'events'] }), extraKeys).map(([a, b]) => ({ ...withoutUndefined(a), ...b })) },
  { weight: 1, arbitrary: wrongType },
);

const patchFields = { name, url, events, secret, retrySchedule };
const plausiblePatch = fc.oneof(
  fc.record({ name: fc.string({ minLength: 1, maxLength: 30 }) }),
  fc.record({ url: fc.webUrl({ validSchemes: ['https'] }) }),
  fc.record({ events: fc.array(validEvent, { minLength: 1, maxLength: 4 }) }),
  fc.record({ retrySchedule: fc.constantFrom('exponential', 'extended', { delays: ['1s', '1m'] }) }),
  fc.record({ secret: fc.uint8Array({ minLength: 24, maxLength: 40 }).map((b) => `whsec_${Buffer.from(b).toString('base64')}`) }),
);
const patchBody = fc.oneof(
  { weight: 3, arbitrary: plausiblePatch },
  { weight: 6, arbitrary: fc.record(patchFields, { requiredKeys: [] }).map(withoutUndefined) },
  { weight: 1, arbitrary: fc.tuple(fc.record(patchFields, { requiredKeys: [] }), extraKeys).map(([a, b]) => ({ ...withoutUndefined(a), ...b })) },
  { weight: 1, arbitrary: fc.record({ enabled }) },
  { weight: 1, arbitrary: wrongType },
);

/** JSON text for any generated value (a bare `undefined` is sent as null). Raw `"__proto__"` keys are in the raw-bytes property. */
function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

async function send(method: string, path: string, body: unknown): Promise<ApiResponse> {
  return stack.call(method, path, { key, rawBody: toJson(body), headers: { 'content-type': 'application/json' } });
}

function checkAnswer(res: ApiResponse, what: string): void {
  const shown = () => String(JSON.stringify(res.body)).slice(0, 500);
  if (res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400)) throw new Error(`${what}: ${res.status} ${shown()}`);
  if (res.status >= 400 && !isErrorShape(res.body)) throw new Error(`${what}: ${res.status} without the error shape: ${shown()}`);
}

function sameStoredText(sent: unknown, got: unknown): boolean {
  return typeof sent === 'string' && typeof got === 'string' && got === sent.trim();
}

test('every known-hostile value in every field of create and patch answers 2xx/4xx with the error shape', async () => {
  const fields: Array<Record<string, unknown>> = [];
  for (const v of ODD_CHARACTERS) {
    fields.push({ name: v }, { url: `https://example.com/${v}` }, { events: [v] }, { events: [`${v}.*`] }, { secret: `S3cret-long-enough-${v}` }, { retrySchedule: { delays: [v] } }, { [v]: 1 });
    fields.push({ name: `abc${v}def` }, { events: [`prospect.${v}`] });
  }
  fields.push({ name: '\u0000'.repeat(300) }, { name: '\ud800'.repeat(300) }, { name: '\u202e'.repeat(99) });
  for (const url of HOSTILE_URLS) fields.push({ url });

  async function probe(hostile: Record<string, unknown>, i: number) {
    const body = { name: `Known hostile ${i}`, url: 'https://example.com/hook', events: ['*'], ...hostile };
    const created = await send('POST', '/v1/webhooks', body);
    checkAnswer(created, `create ${JSON.stringify(body).slice(0, 200)}`);
    if (created.status === 201) {
      const got = await stack.call('GET', `/v1/webhooks/${created.body.id}`, { key });
      expect(got.status).toBe(200);
      expect(sameStoredText(body.name, got.body.name)).toBe(true);
      expect(got.body.url).toBe(body.url);
      expect((await stack.call('DELETE', `/v1/webhooks/${created.body.id}`, { key })).status).toBe(204);
    }
    const patched = await send('PATCH', `/v1/webhooks/${target.id}`, hostile);
    checkAnswer(patched, `patch ${JSON.stringify(hostile).slice(0, 200)}`);
    if (patched.status === 200 && typeof hostile.url === 'string') expect(patched.body.url).toBe(hostile.url);
  }
  // A few at a time: the answers do not depend on each other.
  for (let i = 0; i < fields.length; i += 8) await Promise.all(fields.slice(i, i + 8).map((f, j) => probe(f, i + j)));
});

test('POST /v1/webhooks never answers 5xx, and accepted webhooks read back as sent', async () => {
  let accepted = 0;
  await check(
    fc.asyncProperty(createBody, async (body) => {
      const res = await send('POST', '/v1/webhooks', body);
      checkAnswer(res, 'create');
      if (res.status === 201) {
        accepted++;
        const b = body as Record<string, unknown>;
        expect(typeof res.body.secret).toBe('string');
        const got = await stack.call('GET', `/v1/webhooks/${res.body.id}`, { key });
        expect(got.status).toBe(200);
        expect(got.body).not.toHaveProperty('secret');
        expect(sameStoredText(b.name, got.body.name)).toBe(true);
        expect(got.body.url).toBe(b.url);
        // Keep the team small: the next runs' names stay free.
        expect((await stack.call('DELETE', `/v1/webhooks/${res.body.id}`, { key })).status).toBe(204);
      }
    }),
  );
  // The generators are not so hostile that nothing is ever accepted.
  expect(accepted).toBeGreaterThan(0);
});

test('PATCH /v1/webhooks/:id never answers 5xx, and accepted changes read back as sent', async () => {
  let accepted = 0;
  await check(
    fc.asyncProperty(patchBody, async (body) => {
      const before = await stack.call('GET', `/v1/webhooks/${target.id}`, { key });
      const res = await send('PATCH', `/v1/webhooks/${target.id}`, body);
      checkAnswer(res, 'patch');
      const after = await stack.call('GET', `/v1/webhooks/${target.id}`, { key });
      expect(after.status).toBe(200);
      expect(after.body).not.toHaveProperty('secret');
      if (res.status === 200) {
        accepted++;
        const b = body as Record<string, unknown>;
        expect(after.body).toEqual(res.body);
        if (b.name !== undefined) expect(sameStoredText(b.name, after.body.name)).toBe(true);
        if (b.url !== undefined) expect(after.body.url).toBe(b.url);
      } else {
        // A refused change changes nothing.
        expect(after.body).toEqual(before.body);
      }
    }),
  );
  expect(accepted).toBeGreaterThan(0);
});

test('hostile ids in the path answer 4xx with the error shape', async () => {
  // Node itself refuses request lines over 16 KiB (431, no body), so segments stay shorter.
  const shortHostile = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.array(fc.oneof(oddCharacter, fc.string({ maxLength: 5 })), { maxLength: 12 }).map((p) => p.join('')));
  const pathSegment = fc.oneof(
    shortHostile.filter((s) => s.length > 0).map((s) => Buffer.from(s, 'utf8').toString('hex').replace(/(..)/g, '%$1')),
    fc.constantFrom('%00', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '..%2F..%2Fadmin', '%2e%2e', 'wh_%00x', '%F0%9F%98%80', `wh_${'x'.repeat(300)}`),
  );
  await check(
    fc.asyncProperty(pathSegment, fc.constantFrom('GET', 'PATCH', 'DELETE'), async (segment, method) => {
      const res = await stack.call(method, `/v1/webhooks/${segment}`, { key, body: method === 'PATCH' ? { name: 'x' } : undefined });
      checkAnswer(res, `${method} /v1/webhooks/${segment.slice(0, 100)}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
    }),
  );
});

test('arbitrary bytes sent as JSON answer 4xx with the error shape', async () => {
  const raw = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    fc.json({ maxDepth: 3 }),
    fc.integer({ min: 1, max: 200_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
    fc.integer({ min: 1, max: 100_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
    fc.constantFrom('', ' ', 'null', '[]', '{}', '"x"', '1e999', '{"__proto__":{"polluted":1}}', '{"name":"a","name":"b"}', '\ufeff{}', '{"a":"\\ud800"}', '{"a":"\\u0000"}'),
  );
  await check(
    fc.asyncProperty(raw, fc.constantFrom('POST', 'PATCH'), async (text, method) => {
      const path = method === 'POST' ? '/v1/webhooks' : `/v1/webhooks/${target.id}`;
      const res = await stack.call(method, path, { key, rawBody: text, headers: { 'content-type': 'application/json' } });
      checkAnswer(res, `${method} raw ${JSON.stringify(text).slice(0, 100)}`);
      if (res.status < 300 && method === 'POST') await stack.call('DELETE', `/v1/webhooks/${res.body.id}`, { key });
    }),
  );
  // Nothing above polluted Object.prototype in the server (same process).
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

/** JSON text `levels` deep (objects, arrays or both), with `width` small objects at the bottom: built as text, since the deep ones cannot be JSON.stringify'd. */
function nestedJson(levels: number, shape: 'objects' | 'arrays' | 'mixed', width: number): { text: string; depth: number } {
  const bottom = width > 0 ? `[${Array.from({ length: width }, (_, i) => `{"w":${i}}`).join(',')}]` : '1';
  const asArray = (level: number) => shape === 'arrays' || (shape === 'mixed' && level % 2 === 1);
  let open = '';
  let close = '';
  for (let level = 0; level < levels; level++) {
    open += asArray(level) ? '[' : '{"a":';
    close = (asArray(level) ? ']' : '}') + close;
  }
  return { text: `${open}${bottom}${close}`, depth: levels + (width > 0 ? 2 : 0) };
}

test('JSON nested to any depth, on every route that takes JSON, answers 400 payload_too_deep past the limit and never 5xx', async () => {
  const limit = stack.config.maxJsonDepth;
  const bodyLimit = stack.config.maxPayloadBytes + 16 * 1024;
  // `levels`: how many objects and arrays the route's body wraps the nested value in.
  const routes = [
    { method: 'POST', path: '/v1/events', key: () => key, levels: 1, wrap: (n: string) => `{"event":"prospect.qualified","data":${n}}` },
    { method: 'POST', path: '/v1/events/batch', key: () => key, levels: 3, limit: stack.config.maxBatchBytes, wrap: (n: string) => `{"events":[{"event":"prospect.qualified","data":${n}}]}` },
    { method: 'POST', path: '/v1/webhooks/test', key: () => key, levels: 1, wrap: (n: string) => `{"event":"prospect.qualified","data":${n}}` },
    { method: 'POST', path: '/admin/v1/event-types', key: () => stack.adminKey, levels: 1, wrap: (n: string) => `{"id":"fuzz.deep","name":"Deep","description":"fuzz","example":${n}}` },
    { method: 'PATCH', path: () => `/v1/webhooks/${target.id}`, key: () => key, levels: 1, wrap: (n: string) => `{"name":${n}}` },
    { method: 'POST', path: '/v1/webhooks', key: () => key, levels: 0, wrap: (n: string) => n },
  ];
  const levels = fc.oneof(fc.integer({ min: 0, max: limit + 2 }), fc.integer({ min: limit - 2, max: limit + 2 }), fc.integer({ min: 1, max: 60_000 }));
  await check(
    fc.asyncProperty(
      fc.constantFrom(...routes.keys()),
      levels,
      fc.constantFrom('objects' as const, 'arrays' as const, 'mixed' as const),
      fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }) }),
      async (routeIndex, nestedLevels, shape, width) => {
        const route = routes[routeIndex]!;
        const nested = nestedJson(nestedLevels, shape, width);
        const text = route.wrap(nested.text);
        const bodyDepth = nested.depth + route.levels;
        const path = typeof route.path === 'string' ? route.path : route.path();
        const res = await stack.call(route.method, path, { key: route.key(), rawBody: text, headers: { 'content-type': 'application/json' } });
        const what = `${route.method} ${path} nested ${bodyDepth} (${shape}, width ${width})`;
        checkAnswer(res, what);
        if (Buffer.byteLength(text) > (route.limit ?? bodyLimit)) {
          expect(res.status).toBe(413);
        } else if (bodyDepth > limit) {
          if (res.status !== 400 || res.body.error.code !== 'payload_too_deep') throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          expect(res.body.error.message).toContain(String(limit));
        } else {
          expect(res.body?.error?.code).not.toBe('payload_too_deep');
        }
        if (res.status === 201 && route.path === '/v1/webhooks') await stack.call('DELETE', `/v1/webhooks/${res.body.id}`, { key });
      },
    ),
  );
});

test('the API logged no unhandled error for any input above', () => {
  const errors = stack.logs.filter((r) => r.level >= 50);
  expect(errors.map((r) => `${r.msg}: ${JSON.stringify(r.err ?? r).slice(0, 500)}`)).toEqual([]);
});
