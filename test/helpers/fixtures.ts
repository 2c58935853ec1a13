import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { ReceivedRequest } from './receiver';
import type { Stack } from './stack';
import { waitFor } from './wait';

/** Anything that calls the API as a Stack does (a cluster test wraps one of its API instances). */
export type ApiCaller = Pick<Stack, 'call'>;

/** Creates a webhook (any name, every event, unless `body` says otherwise); returns its id and secret. */
export async function createWebhook(api: ApiCaller, apiKey: string, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await api.call('POST', '/v1/webhooks', { key: apiKey, body: { name: `wh-${Math.random().toString(36).slice(2, 8)}`, events: ['*'], ...body } });
  if (res.status !== 201) throw new Error(`create webhook failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, secret: res.body.secret };
}

export async function postEvent(stack: Stack, apiKey: string, event: string, data: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await stack.call('POST', '/v1/events', { key: apiKey, body: { event, data }, headers });
  if (res.status !== 202) throw new Error(`post event failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
}

/** Waits until the event's delivery (to `webhookId`, or its only one) reaches one of `statuses`; returns it with its attempts. */
export async function waitForDelivery(stack: Stack, apiKey: string, eventId: string, statuses: string[], opts: { webhookId?: string; timeoutMs?: number } = {}) {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const summary = await waitFor(
    async () => {
      const res = await stack.call('GET', `/v1/events/${eventId}`, { key: apiKey });
      const all: Array<{ webhookId: string; status: string; id: string }> = res.body.deliveries ?? [];
      if (!opts.webhookId && all.length > 1) throw new Error(`event ${eventId} has ${all.length} deliveries; name the webhook`);
      const d = opts.webhookId ? all.find((x) => x.webhookId === opts.webhookId) : all[0];
      return d && statuses.includes(d.status) ? d : undefined;
    },
    { timeoutMs, what: `delivery of ${eventId} to reach ${statuses.join('/')}` },
  );
  return (await stack.call('GET', `/v1/deliveries/${summary.id}`, { key: apiKey })).body;
}

/** Checks a received request the way a receiver would: Standard Webhooks and the seed-style headers. */
export function verifySignatures(request: ReceivedRequest, secret: string): Record<string, unknown> {
  const payload = new Webhook(secret).verify(request.body, request.headers) as Record<string, unknown>;
  const hex = createHmac('sha256', secret).update(request.body).digest('hex');
  if (request.headers['x-webhook-signature'] !== `sha256=${hex}`) throw new Error('X-Webhook-Signature does not verify');
  if (request.headers['x-kakiyo-signature'] !== hex) throw new Error('X-Kakiyo-Signature does not verify');
  return payload;
}

/**
 * Waits until the event's dispatch workflow has finished: its first attempts are all made, so
 * nothing more is sent for it unless a delivery needed a workflow of its own (returned).
 */
export async function waitForDispatch(stack: Stack, eventId: string): Promise<void> {
  const dispatchId = await waitFor(async () => {
    const e = await stack.db.selectFrom('events').select(['planned_at', 'dispatch_workflow_id']).where('id', '=', eventId).executeTakeFirst();
    return e?.planned_at ? e.dispatch_workflow_id : undefined;
  }, { what: `event ${eventId} planned` });
  await stack.client.workflow.getHandle(dispatchId).result();
}

export const gaps = (requests: ReceivedRequest[]) => requests.slice(1).map((r, i) => r.at - requests[i]!.at);
