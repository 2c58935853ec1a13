import type { Client } from '@temporalio/client';
import type { DeliveryDeps } from '../delivery/attempt';
import type { Logger } from '../logger';
import type { Mailer } from '../mail/mailer';

/** What activities need from the outside world; built once per worker process. */
export interface ActivityDeps extends DeliveryDeps {
  temporal: Client;
  mailer: Mailer;
  log: Logger;
}
