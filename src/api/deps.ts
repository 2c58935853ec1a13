import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import type { ApiKeyCache } from '../services/apiKeys';
import type { Catalog } from '../services/catalog';
import type { MetricsSource } from '../metrics/endpoint';
import type { DeliveryService } from '../services/deliveries';
import type { DeliveryStatsService } from '../services/deliveryStats';
import type { EventService } from '../services/events';
import type { WebhookService } from '../services/webhooks';
import type { RateLimiter } from './rateLimit';

export interface ApiDeps {
  db: Db;
  config: Config;
  temporal: Client;
  catalog: Catalog;
  log: Logger;
  webhooks: WebhookService;
  events: EventService;
  deliveries: DeliveryService;
  /** Team API keys, remembered for a few seconds (HOOKFERRY_API_KEY_CACHE_MS). */
  apiKeys: ApiKeyCache;
  /** The per-key request quota, shared by every instance through PostgreSQL. */
  rateLimiter: RateLimiter;
  stats: DeliveryStatsService;
  /** What GET /metrics shows (default: the API's own metrics; `npm start` adds the worker's). */
  metrics?: MetricsSource;
}
