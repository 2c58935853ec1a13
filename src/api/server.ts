import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/database';
import { parseAllowedCidrs } from '../domain/addressPolicy';
import type { Logger } from '../logger';
import { createApiKeyCache } from '../services/apiKeys';
import { createCatalog } from '../services/catalog';
import { RateLimiter } from './rateLimit';
import type { MetricsSource } from '../metrics/endpoint';
import { createDeliveryService } from '../services/deliveries';
import { createDeliveryStats } from '../services/deliveryStats';
import { createEventService } from '../services/events';
import { requireSecretKeys } from '../services/webhookSecrets';
import { createWebhookService } from '../services/webhooks';
import { createApp } from './app';
import type { ApiDeps } from './deps';

export function buildApiDeps(opts: { config: Config; db: Db; temporal: Client; log: Logger; metrics?: MetricsSource }): ApiDeps {
  const { config, db, temporal, log } = opts;
  const catalog = createCatalog(db, config.presets);
  const policy = parseAllowedCidrs(config.allowedCidrs);
  return {
    db,
    config,
    temporal,
    catalog,
    log,
    webhooks: createWebhookService({ db, config, temporal, catalog, policy, secretKeys: requireSecretKeys(config) }),
    events: createEventService({ db, config, temporal, catalog, log }),
    deliveries: createDeliveryService({ db, config, temporal, log }),
    apiKeys: createApiKeyCache(db, config.apiKeyCacheMs),
    rateLimiter: new RateLimiter(db, config.rateLimitPerMinute),
    stats: createDeliveryStats(db),
    metrics: opts.metrics,
  };
}

/** Starts the HTTP API; port 0 picks a free port (tests). */
export async function startApi(opts: { config: Config; db: Db; temporal: Client; log: Logger; port?: number; metrics?: MetricsSource }): Promise<{ server: http.Server; url: string; close: () => Promise<void> }> {
  const deps = buildApiDeps(opts);
  const { app } = createApp(deps);
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? opts.config.port, opts.config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${urlHost(opts.config.host)}:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Events answered already: start their dispatch before the process goes.
      await deps.events.close();
    },
  };
}

/** How to reach the API from this machine: `localhost` unless it listens on one specific non-loopback address. */
function urlHost(listenHost: string | undefined): string {
  if (!listenHost) return 'localhost';
  if (isIP(listenHost) === 0) return listenHost; // a host name, e.g. localhost
  const address = ipaddr.parse(listenHost);
  if (address.range() === 'loopback' || address.range() === 'unspecified') return 'localhost';
  return address.kind() === 'ipv6' ? `[${listenHost}]` : listenHost;
}
