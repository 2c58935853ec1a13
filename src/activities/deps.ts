import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/database';
import type { KeyRing } from '../domain/secretBox';
import type { Mailer } from '../mail/mailer';
import type { SendOptions } from '../http/sendWebhook';
import type { Logger } from '../logger';

/** What activities need from the outside world; built once per worker process. */
export interface ActivityDeps {
  db: Db;
  config: Config;
  temporal: Client;
  mailer: Mailer;
  send: SendOptions;
  /** Opens the stored signing secrets (src/services/webhookSecrets.ts). */
  secretKeys: KeyRing;
  log: Logger;
}
