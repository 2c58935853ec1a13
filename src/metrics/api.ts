import type { RequestHandler } from 'express';
import { Counter, Histogram } from 'prom-client';
import { registries } from './registry';

// What the API does: HTTP requests by route template (never the raw path: ids would make every
// webhook a time series of its own) and the outcome of event ingestion.

const api = [registries.api];

const requestDuration = new Histogram({
  name: 'hookferry_http_request_duration_seconds',
  help: 'API request duration by method, route template and status class',
  labelNames: ['method', 'route', 'status_class'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: api,
});

const accepted = new Counter({ name: 'hookferry_events_accepted_total', help: 'Events stored by POST /v1/events or /v1/events/batch (new ones)', registers: api });
const replayed = new Counter({
  name: 'hookferry_events_replayed_total',
  help: 'POST /v1/events answered with an event stored earlier (same Idempotency-Key or id)',
  registers: api,
});
const rejected = new Counter({
  name: 'hookferry_events_rejected_total',
  help: 'POST /v1/events refused, by the error code answered (validation_error, unknown_event_type, payload_too_large, rate_limited, unauthorized, database_unavailable, …)',
  labelNames: ['reason'] as const,
  registers: api,
});

const dispatchBatch = new Histogram({
  name: 'hookferry_dispatch_batch_events',
  help: 'Events per dispatch workflow started by the API (events arriving within HOOKFERRY_DISPATCH_WINDOW_MS share one)',
  buckets: [1, 2, 5, 10, 25, 50, 100, 200, 500, 1000],
  registers: api,
});

/** The items of a POST /v1/events/batch, counted as single requests would be. */
export function countBatchItems(items: ReadonlyArray<{ replayed?: boolean; error?: { code: string } }>): void {
  for (const item of items) {
    if (item.error) rejected.labels(ERROR_CODE.test(item.error.code) ? item.error.code : 'other').inc();
    else (item.replayed ? replayed : accepted).inc();
  }
}

export function observeDispatchBatch(events: number): void {
  dispatchBatch.observe(events);
}

/** Routes outside the route table that get a label of their own. */
const FIXED_ROUTES = new Set(['/healthz', '/metrics', '/openapi.json', '/docs']);
const ERROR_CODE = /^[a-z][a-z0-9_]{0,39}$/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Times every request and counts ingestion outcomes. The label is the matching route template
 * (`/v1/webhooks/:id`), found from the route table even when a request is refused before its
 * route runs (bad JSON, a missing key); anything else is `unmatched` (API paths), `/docs/*` or
 * `static` (the dashboard). Rejections take the error code that errors.ts leaves in res.locals.
 */
export function httpMetrics(routes: ReadonlyArray<{ method: string; path: string }>): RequestHandler {
  const templates = routes.map((r) => ({
    method: r.method.toUpperCase(),
    path: r.path,
    pattern: new RegExp(`^${r.path.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`),
  }));
  const templateOf = (method: string, path: string): string => {
    const byMethod = templates.find((t) => t.method === method && t.pattern.test(path));
    if (byMethod) return byMethod.path;
    if (FIXED_ROUTES.has(path)) return path;
    if (path.startsWith('/docs/')) return '/docs/*';
    if (path.startsWith('/v1/') || path.startsWith('/admin/') || path === '/v1' || path === '/admin') return 'unmatched';
    return 'static';
  };

  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = templateOf(req.method, req.path);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requestDuration.labels(METHODS.has(req.method) ? req.method : 'other', route, `${Math.floor(res.statusCode / 100)}xx`).observe(seconds);
      if (req.method === 'POST' && route === '/v1/events') {
        if (res.statusCode === 202) (res.getHeader('idempotent-replayed') === 'true' ? replayed : accepted).inc();
        else {
          const code = res.locals.errorCode;
          rejected.labels(typeof code === 'string' && ERROR_CODE.test(code) ? code : `http_${res.statusCode}`).inc();
        }
      }
    });
    next();
  };
}
