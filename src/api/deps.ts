import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import type { Catalog } from '../services/catalog';
import type { DeliveryService } from '../services/deliveries';
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
}
