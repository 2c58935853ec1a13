import { OpenAPIRegistry, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z, type ZodType } from 'zod';
import type { ApiDeps } from './deps';
import { ApiError, zodDetails } from './errors';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from './inputText';

extendZodWithOpenApi(z);

export type AuthKind = 'team' | 'admin' | 'none';

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  team: { id: string; keyId: string };
  deps: ApiDeps;
  req: Request;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  /** The body as JSON text already (a hot path that splices stored JSON rather than parse and write it again). */
  json?: string;
  headers?: Record<string, string>;
}

export interface RouteSpec<B, Q, P> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express-style path: `/v1/webhooks/:id`. */
  path: string;
  summary: string;
  tag: string;
  auth: AuthKind;
  body?: ZodType<B>;
  /** What the OpenAPI document shows for the body, when validation is deliberately looser (a batch validates each item on its own). */
  documentedBody?: ZodType;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  responses: Record<number, { description: string; schema?: ZodType }>;
  handler: (ctx: RouteContext<B, Q, P>) => Promise<RouteResult>;
}

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi('Error');

/**
 * Declares a route once: the same zod schemas validate requests and document them in the
 * OpenAPI registry, so the document cannot drift from what the server accepts.
 */
export class RouteTable {
  readonly registry = new OpenAPIRegistry();
  readonly routes: Array<{ method: string; path: string; auth: AuthKind }> = [];
  private readonly handlers: Array<(router: Router, deps: ApiDeps, guard: Record<AuthKind, RequestHandler>) => void> = [];

  add<B = undefined, Q = undefined, P = undefined>(spec: RouteSpec<B, Q, P>): void {
    this.routes.push({ method: spec.method, path: spec.path, auth: spec.auth });
    const openApiPath = spec.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, { description: string; content?: Record<string, { schema: ZodType }> }> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}) };
    }
    const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
    if (spec.body || spec.query || spec.params) responses['400'] ??= error('Invalid request (malformed JSON, JSON nested too deep, or a value the schema refuses)');
    if (spec.body) {
      responses['413'] ??= error('The body is larger than the limit');
      responses['415'] ??= error('The body is not application/json');
    }
    if (spec.auth !== 'none') responses['401'] ??= error('Missing or invalid credentials');
    if (spec.auth === 'team') responses['429'] ??= error('Too many requests for this API key (see Retry-After)');
    this.registry.registerPath({
      method: spec.method,
      path: openApiPath,
      summary: spec.summary,
      tags: [spec.tag],
      security: spec.auth === 'none' ? [] : [{ [spec.auth === 'admin' ? 'adminKey' : 'apiKey']: [] }],
      request: {
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.documentedBody ?? spec.body } }, required: true } } : {}),
        ...(spec.query ? { query: spec.query as never } : {}),
        ...(spec.params ? { params: spec.params as never } : {}),
      },
      responses,
    });

    this.handlers.push((router, deps, guard) => {
      router[spec.method](spec.path, guard[spec.auth] as never, async (req: Request, res: Response) => {
        const ctx: RouteContext<B, Q, P> = {
          body: spec.body ? parse(spec.body, req.body ?? {}, 'body') : (undefined as B),
          query: spec.query ? parse(spec.query, req.query, 'query') : (undefined as Q),
          params: spec.params ? parse(spec.params, req.params, 'path') : (undefined as P),
          team: res.locals.team,
          deps,
          req,
        };
        const result = await spec.handler(ctx);
        res.status(result.status).set(result.headers ?? {});
        if (result.json !== undefined) res.type('application/json').send(result.json);
        else if (result.body === undefined) res.end();
        else res.json(result.body);
      });
    });
  }

  mount(deps: ApiDeps, guard: Record<AuthKind, RequestHandler>): Router {
    const router = Router();
    for (const h of this.handlers) h(router, deps, guard);
    return router;
  }
}

function parse<T>(schema: ZodType<T>, value: unknown, where: 'body' | 'query' | 'path'): T {
  // Path and query values are always plain text headed for SQL parameters: refuse what the
  // database cannot store here, for every route. Body fields declare it in their schemas.
  if (where !== 'body') {
    const bad = findUnstorableText(value);
    if (bad !== undefined) throw new ApiError(400, 'validation_error', `the request ${where} is not valid`, [{ path: bad.slice(0, 300), message: UNSTORABLE_TEXT_MESSAGE, code: 'invalid_string' }]);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ApiError(400, 'validation_error', `the request ${where} is not valid`, zodDetails(result.error));
}
