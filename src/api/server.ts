import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/database';
import { parseAllowedCidrs } from '../http/addressPolicy';
import type { Logger } from '../logger';
import { createCatalog } from '../services/catalog';
import type { MetricsSource } from '../metrics/endpoint';
import { createDeliveryService } from '../services/deliveries';
import { createDeliveryStats } from '../services/deliveryStats';
import { createEventService } from '../services/events';
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
    webhooks: createWebhookService({ db, config, temporal, catalog, policy }),
    events: createEventService({ db, config, temporal, catalog }),
    deliveries: createDeliveryService({ db, config, temporal, log }),
    stats: createDeliveryStats(db),
    metrics: opts.metrics,
  };
}

/** Starts the HTTP API; port 0 picks a free port (tests). */
export async function startApi(opts: { config: Config; db: Db; temporal: Client; log: Logger; port?: number; metrics?: MetricsSource }): Promise<{ server: http.Server; url: string; close: () => Promise<void> }> {
  const { app } = createApp(buildApiDeps(opts));
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? opts.config.port, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
