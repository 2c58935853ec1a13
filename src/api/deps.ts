import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import type { Catalog } from '../services/catalog';
import type { MetricsSource } from '../metrics/endpoint';
import type { DeliveryService } from '../services/deliveries';
import type { DeliveryStatsService } from '../services/deliveryStats';
import type { EventService } from '../services/events';
import type { WebhookService } from '../services/webhooks';

export interface ApiDeps {
  db: Db;
  config: Config;
  temporal: Client;
  catalog: Catalog;
  log: Logger;
  webhooks: WebhookService;
  events: EventService;
  deliveries: DeliveryService;
  stats: DeliveryStatsService;
  /** What GET /metrics shows (default: the API's own metrics; `npm start` adds the worker's). */
  metrics?: MetricsSource;
}
