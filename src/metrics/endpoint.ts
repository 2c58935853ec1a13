import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import ipaddr from 'ipaddr.js';
import { parseAllowedCidrs } from '../domain/addressPolicy';
import type { Logger } from '../logger';
import { constantTimeEquals } from '../services/apiKeys';
import { enableProcessMetrics, METRICS_CONTENT_TYPE, renderMetrics, type Role } from './registry';

// GET /metrics, on the API's port and on a worker's HOOKFERRY_METRICS_PORT. Served without
// credentials only to clients in HOOKFERRY_METRICS_ALLOW_CIDRS (loopback by default), and to
// anyone presenting `Authorization: Bearer $HOOKFERRY_METRICS_TOKEN` when a token is set. The
// client address is the TCP peer's, never a forwarded-for header.

export interface MetricsAccessConfig {
  metricsAllowCidrs: string;
  metricsToken: string | undefined;
}

export type MetricsAccess = { allowed: true } | { allowed: false; status: 401 | 403; code: string; message: string };

export function metricsAccessCheck(config: MetricsAccessConfig): (remoteAddress: string | undefined, authorization: string | undefined) => MetricsAccess {
  const { allowedCidrs } = parseAllowedCidrs(config.metricsAllowCidrs);
  const inAllowedRange = (remote: string | undefined) => {
    if (!remote || !ipaddr.isValid(remote)) return false;
    const addr = ipaddr.process(remote); // ::ffff:127.0.0.1 is 127.0.0.1
    return allowedCidrs.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
  };
  const how = config.metricsToken
    ? 'from HOOKFERRY_METRICS_ALLOW_CIDRS, or with Authorization: Bearer <HOOKFERRY_METRICS_TOKEN>'
    : 'only from HOOKFERRY_METRICS_ALLOW_CIDRS (loopback unless configured); set HOOKFERRY_METRICS_TOKEN to allow scrapes with a bearer token';
  return (remoteAddress, authorization) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (config.metricsToken && bearer !== undefined) {
      return constantTimeEquals(bearer, config.metricsToken)
        ? { allowed: true }
        : { allowed: false, status: 401, code: 'unauthorized', message: 'invalid metrics token' };
    }
    if (inAllowedRange(remoteAddress)) return { allowed: true };
    return { allowed: false, status: 403, code: 'metrics_forbidden', message: `metrics are served ${how}` };
  };
}

export interface MetricsSource {
  roles: Role[];
  /** More Prometheus text to append (the Temporal SDK's metrics). */
  extra?: () => Promise<string>;
}

/** GET /metrics for the API's Express app. */
export function metricsRoute(config: MetricsAccessConfig, source: MetricsSource): RequestHandler {
  enableProcessMetrics();
  const check = metricsAccessCheck(config);
  return (req, res, next) => {
    const access = check(req.socket.remoteAddress, req.get('authorization'));
    if (!access.allowed) return void res.status(access.status).json({ error: { code: access.code, message: access.message } });
    renderMetrics(source.roles, source.extra).then((text) => void res.type(METRICS_CONTENT_TYPE).send(text), next);
  };
}

/** A worker's metrics port: GET /metrics and nothing else. */
export async function startMetricsServer(opts: { config: MetricsAccessConfig; port: number; host?: string; source: MetricsSource; log: Logger }): Promise<{ url: string; close: () => Promise<void> }> {
  enableProcessMetrics();
  const check = metricsAccessCheck(opts.config);
  const server = http.createServer((req, res) => {
    const json = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return json(404, 'route_not_found', 'only GET /metrics is served here');
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, 'method_not_allowed', 'use GET /metrics');
    const access = check(req.socket.remoteAddress, req.headers.authorization);
    if (!access.allowed) return json(access.status, access.code, access.message);
    renderMetrics(opts.source.roles, opts.source.extra).then(
      (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        opts.log.warn({ err: String(err) }, 'metrics could not be rendered');
        json(500, 'internal_error', 'metrics could not be rendered');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
