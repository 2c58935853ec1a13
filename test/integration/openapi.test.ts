import { execFile } from 'node:child_process';
import path from 'node:path';
import { buildRouteTable } from '../../src/api/app';
import { CreateWebhookBody, UpdateWebhookBody } from '../../src/api/schemas';
import { startStack, type Stack } from '../helpers/stack';

// GET /openapi.json is a valid OpenAPI 3.1 document that describes exactly the routes the
// server mounts, and /docs serves a working Swagger UI.

let stack: Stack;
let doc: any;
beforeAll(async () => {
  stack = await startStack({ noWorker: true });
  const res = await stack.call('GET', '/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = res.body;
});
afterAll(async () => {
  await stack?.stop();
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z]+)/g, '{$1}');

function operations(): Array<{ path: string; method: string; op: any }> {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) =>
    Object.entries(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ path: p, method, op })),
  );
}

/** Resolves a local JSON pointer (`#/components/schemas/Webhook`) in the document. */
function resolvePointer(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  let at: any = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object' || !(key in at)) return undefined;
    at = at[key];
  }
  return at;
}

function allRefs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => allRefs(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else allRefs(v, found);
    }
  }
  return found;
}

function validateWithOfficialSchema(document: unknown): Promise<{ valid: boolean; version: string; errors: unknown }> {
  const script = path.resolve(__dirname, '../helpers/validateOpenApi.mjs');
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [script], { cwd: path.resolve(__dirname, '../..'), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`validator failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(document));
  });
}

test('the document validates against the official OpenAPI 3.1 schema', async () => {
  const result = await validateWithOfficialSchema(doc);
  expect(result.version).toBe('3.1');
  expect(result.errors).toBeNull();
  expect(result.valid).toBe(true);

  // The validator does catch a broken document (so the check above means something).
  const broken = structuredClone(doc);
  broken.paths['/v1/webhooks'].get.responses = 'none';
  expect((await validateWithOfficialSchema(broken)).valid).toBe(false);
});

test('the document is structurally sound: version, info, paths, components, every $ref resolves', () => {
  expect(doc.openapi).toBe('3.1.0');
  expect(doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
  expect(doc.servers).toEqual([{ url: expect.stringMatching(/^https?:\/\//) }]);
  expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
  for (const p of Object.keys(doc.paths)) expect(p).toMatch(/^\/[A-Za-z0-9/{}_.-]*$/);
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminKey', 'apiKey']);
  for (const scheme of Object.values<any>(doc.components.securitySchemes)) expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
  for (const name of ['Error', 'Webhook', 'WebhookWithSecret', 'CreateWebhook', 'UpdateWebhook', 'RetrySchedule', 'Delivery', 'Envelope', 'EventType']) {
    expect([name, doc.components.schemas[name]]).toEqual([name, expect.any(Object)]);
  }

  const refs = allRefs(doc);
  expect(refs.length).toBeGreaterThan(10);
  for (const ref of new Set(refs)) expect([ref, resolvePointer(ref) !== undefined]).toEqual([ref, true]);

  // Every component schema is used somewhere (nothing stale is published).
  const used = new Set(refs.map((r) => r.replace('#/components/schemas/', '')));
  for (const name of Object.keys(doc.components.schemas)) expect([name, used.has(name)]).toEqual([name, true]);

  // The error shape is documented as the API answers it.
  expect(doc.components.schemas.Error).toMatchObject({
    type: 'object',
    required: ['error'],
    properties: { error: { type: 'object', required: expect.arrayContaining(['code', 'message']), properties: { code: { type: 'string' }, message: { type: 'string' } } } },
  });
});

test('every route in the route table is in the document with its method, and nothing else is', () => {
  const table = buildRouteTable().routes;
  expect(table.length).toBeGreaterThan(15);
  const documented = operations().map((o) => `${o.method.toUpperCase()} ${o.path}`).sort();
  const routes = table.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`).sort();
  expect(documented).toEqual(routes);
  expect(new Set(routes).size).toBe(routes.length);

  for (const r of table) {
    const p = openApiPath(r.path);
    const op = doc.paths[p]?.[r.method];
    expect([r.method, p, op !== undefined]).toEqual([r.method, p, true]);

    // Path parameters: each one in the template is declared, required, in: path.
    const templateParams = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const declared = (op.parameters ?? []).filter((x: any) => x.in === 'path');
    expect([p, declared.map((x: any) => x.name).sort()]).toEqual([p, templateParams]);
    for (const x of declared) expect(x.required).toBe(true);

    // Security matches the route's auth.
    const expectedSecurity = r.auth === 'none' ? [] : [{ [r.auth === 'admin' ? 'adminKey' : 'apiKey']: [] }];
    expect([r.method, p, op.security]).toEqual([r.method, p, expectedSecurity]);
    if (r.auth !== 'none') expect(op.responses['401']).toBeDefined();
    if (r.auth === 'team') expect(op.responses['429']).toBeDefined();
    if (op.requestBody) for (const s of ['400', '413', '415']) expect([p, r.method, s, op.responses[s] !== undefined]).toEqual([p, r.method, s, true]);

    // A success answer is documented, and every error answer uses the Error schema.
    const statuses = Object.keys(op.responses);
    expect(statuses.some((s) => /^2\d\d$/.test(s))).toBe(true);
    for (const s of statuses.filter((x) => /^[45]\d\d$/.test(x))) {
      expect([p, r.method, s, op.responses[s].content?.['application/json']?.schema]).toEqual([p, r.method, s, { $ref: '#/components/schemas/Error' }]);
    }
    expect(op.summary).toEqual(expect.any(String));
    expect(op.tags).toEqual([expect.any(String)]);
  }
});

test('request bodies are documented from the same zod schemas that validate them', () => {
  const create = doc.paths['/v1/webhooks'].post;
  expect(create.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreateWebhook' });
  const createSchema = doc.components.schemas.CreateWebhook;
  expect(Object.keys(createSchema.properties).sort()).toEqual(Object.keys(CreateWebhookBody.shape).sort());
  expect([...createSchema.required].sort()).toEqual(['events', 'name', 'url']);
  expect(createSchema.additionalProperties).toBe(false);
  expect(createSchema.properties.events).toMatchObject({ type: 'array', minItems: 1, maxItems: 100 });
  expect(createSchema.properties.url).toMatchObject({ type: 'string', maxLength: 2048 });

  const update = doc.paths['/v1/webhooks/{id}'].patch;
  expect(update.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UpdateWebhook' });
  expect(Object.keys(doc.components.schemas.UpdateWebhook.properties).sort()).toEqual(Object.keys(UpdateWebhookBody.shape).sort());

  // What GET answers never documents a secret; the create answer does.
  expect(doc.components.schemas.Webhook.properties).not.toHaveProperty('secret');
  expect(doc.paths['/v1/webhooks/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Webhook' });
  expect(create.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WebhookWithSecret' });

  // Query parameters of the list.
  const list = doc.paths['/v1/webhooks'].get.parameters.filter((x: any) => x.in === 'query').map((x: any) => x.name).sort();
  expect(list).toEqual(['cursor', 'enabled', 'limit']);

  // The team-wide delivery list: the per-webhook filters plus webhookId, and the page shape.
  const deliveries = doc.paths['/v1/deliveries'].get;
  const queryOf = (op: any) => op.parameters.filter((x: any) => x.in === 'query').map((x: any) => x.name).sort();
  expect(queryOf(deliveries)).toEqual(['cursor', 'eventType', 'limit', 'since', 'status', 'until', 'webhookId']);
  expect(queryOf(doc.paths['/v1/webhooks/{id}/deliveries'].get)).toEqual(['cursor', 'eventType', 'limit', 'since', 'status', 'until']);
  const page = deliveries.responses['200'].content['application/json'].schema;
  expect(page.properties.data).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Delivery' } });
  expect(page.required).toEqual(expect.arrayContaining(['data', 'nextCursor']));
});

test('/docs serves the Swagger UI page, and every asset it loads is served', async () => {
  const page = await stack.call<string>('GET', '/docs');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.body).toMatch(/<div id="ui">/);
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js', '/docs/init.js']));
  for (const asset of assets) {
    const url = new URL(asset, `${stack.apiUrl}/docs`);
    expect(url.origin).toBe(new URL(stack.apiUrl).origin); // nothing from a CDN
    const res = await fetch(url);
    expect([asset, res.status]).toEqual([asset, 200]);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    if (asset.endsWith('.css')) expect(res.headers.get('content-type')).toMatch(/^text\/css/);
    if (asset.endsWith('.js')) expect(res.headers.get('content-type')).toMatch(/javascript/);
    if (asset.endsWith('swagger-ui-bundle.js')) expect(text).toContain('SwaggerUIBundle');
    if (asset.endsWith('init.js')) {
      expect(text).toContain('SwaggerUIBundle(');
      // The UI loads the document this server serves.
      const specUrl = /url:\s*'([^']+)'/.exec(text)?.[1];
      expect(specUrl).toBe('/openapi.json');
      expect((await fetch(new URL(specUrl!, stack.apiUrl))).status).toBe(200);
    }
  }
});
