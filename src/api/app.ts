import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { exceedsJsonDepth } from '../domain/jsonDepth';
import { httpMetrics } from '../metrics/api';
import { metricsRoute } from '../metrics/endpoint';
import { authGuards } from './auth';
import type { ApiDeps } from './deps';
import { ApiError, errorHandler, unknownRoute } from './errors';
import { docsPage, openApiDocument } from './openapi';
import { RouteTable } from './route';
import { registerAccountRoutes } from './routes/account';
import { registerAdminRoutes } from './routes/admin';
import { registerDeliveryRoutes } from './routes/deliveries';
import { registerEventRoutes } from './routes/events';
import { registerStatsRoutes } from './routes/stats';
import { registerTestRoutes } from './routes/testing';
import { registerWebhookRoutes } from './routes/webhooks';

export const DASHBOARD_DIR = path.resolve(__dirname, '../../web/dist');

export function buildRouteTable(): RouteTable {
  const table = new RouteTable();
  // Events first: ingestion is the hot path, and routes are matched in order.
  registerEventRoutes(table);
  registerDeliveryRoutes(table);
  registerAdminRoutes(table);
  registerAccountRoutes(table);
  // Test routes come before /v1/webhooks/:id so "test" is never read as an id.
  registerTestRoutes(table);
  registerWebhookRoutes(table);
  registerStatsRoutes(table);
  return table;
}

export function createApp(deps: ApiDeps): { app: Express; routes: RouteTable } {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const routes = buildRouteTable();
  const document = openApiDocument(routes, deps.config.publicUrl);

  app.use(httpMetrics(routes.routes));
  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/metrics', metricsRoute(deps.config, deps.metrics ?? { roles: ['api'] }));
  app.get('/openapi.json', (_req, res) => void res.json(document));
  app.get('/docs', (_req, res) => void res.type('html').send(docsPage()));
  app.get('/docs/init.js', (_req, res) =>
    void res.type('js').send(`window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: false });`),
  );
  app.use('/docs/assets', express.static(path.dirname(require.resolve('swagger-ui-dist/package.json'))));

  // Bodies must be JSON: anything else with a body is 415, before parsing.
  app.use(['/v1', '/admin'], (req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) return next(new ApiError(415, 'unsupported_media_type', 'send the body as application/json'));
    next();
  });
  // A batch carries many events (each still within maxPayloadBytes); everything else carries one.
  app.use('/v1/events/batch', express.json({ limit: deps.config.maxBatchBytes, strict: false }));
  app.use(['/v1', '/admin'], express.json({ limit: deps.config.maxPayloadBytes + 16 * 1024, strict: false }));
  app.use(['/v1', '/admin'], refuseDeepJson(deps.config.maxJsonDepth));
  app.use(routes.mount(deps, authGuards({ apiKeys: deps.apiKeys, rateLimiter: deps.rateLimiter, adminKey: deps.config.adminKey })));
  app.use(['/v1', '/admin'], unknownRoute);

  if (existsSync(DASHBOARD_DIR)) {
    app.use(express.static(DASHBOARD_DIR, { index: 'index.html' }));
  } else {
    app.get('/', (_req, res) => void res.type('text').send('Hookferry API. The dashboard is not built: run `npm run build`. API docs: /docs'));
  }
  app.use(unknownRoute);
  app.use(errorHandler(deps.log));
  return { app, routes };
}

/**
 * Every JSON body, whatever the route, before anything recursive touches it: zod, the
 * envelope's JSON.stringify and PostgreSQL's jsonb parser all overflow their stacks on deep
 * enough nesting, which JSON.parse (iterative) accepts well within the size limit.
 */
function refuseDeepJson(maxDepth: number): RequestHandler {
  return (req, _res, next) => {
    if (exceedsJsonDepth(req.body, maxDepth)) {
      return next(new ApiError(400, 'payload_too_deep', `the JSON body is nested too deeply: at most ${maxDepth} levels of objects and arrays are accepted`));
    }
    next();
  };
}
