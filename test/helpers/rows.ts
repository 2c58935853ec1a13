// Rows written straight into the database, for tests that need many webhooks or events faster
// than the API would create them (the API path is covered by its own tests).
import { newId } from '../../src/ids';
import type { RetryScheduleSetting } from '../../src/domain/retrySchedule';
import { storedWebhookSecrets } from '../../src/services/webhookSecrets';
import type { Stack } from './stack';

export const DIRECT_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** `count` webhooks subscribed to every event, at `${receiver}/${path}/${i}`. */
export async function insertWebhooks(
  stack: Stack,
  teamId: string,
  count: number,
  path: string,
  opts: { retrySchedule?: RetryScheduleSetting } = {},
): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: newId('wh'), team_id: teamId, name: `${path}-${i}`, url: `${stack.receiver.url}/${path}/${i}`,
    secret: DIRECT_SECRET, events: ['*'], retry_schedule: JSON.stringify(opts.retrySchedule ?? 'exponential'),
  }));
  await stack.db.insertInto('webhooks').values(rows.map((r) => storedWebhookSecrets(stack.secretKeys, r))).execute();
  return rows.map((r) => r.id);
}

/** An event stored as the API stores it, not yet dispatched. */
export async function storeEvent(stack: Stack, teamId: string, type = 'campaign.completed', data: Record<string, unknown> = {}): Promise<string> {
  const id = newId('evt');
  const payload = JSON.stringify({ id, event: type, teamId, timestamp: new Date().toISOString(), data });
  await stack.db.insertInto('events').values({ id, team_id: teamId, type, payload }).execute();
  return id;
}
