import { z } from 'zod';
import { idempotencyKey } from '../idempotencyKey';
import { presentAttempt, presentDelivery, presentDeliveryPage } from '../presenters/deliveries';
import { ErrorSchema, type RouteTable } from '../route';
import { Delivery, DeliveryWithAttempts, IdParams, ListDeliveriesQuery, ListTeamDeliveriesQuery, RecoverBody } from '../schemas';

const DeliveryPage = z.object({ data: z.array(Delivery), nextCursor: z.string().nullable() });

/** Delivery inspection and re-sends: lists, one delivery with its attempts, retry, recover. */
export function registerDeliveryRoutes(t: RouteTable): void {
  t.add({
    method: 'get', path: '/v1/deliveries', tag: 'Deliveries', auth: 'team', summary: 'The team\'s deliveries across its webhooks, newest first (cursor pagination)',
    query: ListTeamDeliveriesQuery,
    responses: { 200: { description: 'A page of deliveries', schema: DeliveryPage }, 404: { description: 'webhookId is not one of the team\'s webhooks', schema: ErrorSchema } },
    handler: async ({ deps, team, query }) => ({ status: 200, body: presentDeliveryPage(deps.config, await deps.deliveries.list(team.id, query)) }),
  });
  t.add({
    method: 'get', path: '/v1/webhooks/:id/deliveries', tag: 'Deliveries', auth: 'team', summary: 'A webhook\'s deliveries, newest first (cursor pagination)',
    params: IdParams, query: ListDeliveriesQuery,
    responses: { 200: { description: 'A page of deliveries', schema: DeliveryPage }, 404: { description: 'Not found', schema: ErrorSchema } },
    handler: async ({ deps, team, params, query }) => ({ status: 200, body: presentDeliveryPage(deps.config, await deps.deliveries.list(team.id, { ...query, webhookId: params.id })) }),
  });
  t.add({
    method: 'get', path: '/v1/deliveries/:id', tag: 'Deliveries', auth: 'team', summary: 'A delivery with every attempt',
    params: IdParams,
    responses: { 200: { description: 'The delivery', schema: DeliveryWithAttempts }, 404: { description: 'Not found', schema: ErrorSchema } },
    handler: async ({ deps, team, params }) => {
      const { delivery, requestBody, attempts } = await deps.deliveries.get(team.id, params.id);
      return { status: 200, body: { ...presentDelivery(deps.config, delivery), requestBody, attempts: attempts.map(presentAttempt) } };
    },
  });
  t.add({
    method: 'post', path: '/v1/deliveries/:id/retry', tag: 'Deliveries', auth: 'team', summary: 'Re-send a finished delivery (succeeded, failed or cancelled) in a new attempt series, same webhook-id; free if it was charged before. Idempotency-Key guards double clicks',
    params: IdParams,
    responses: {
      202: { description: 'Re-send started', schema: z.object({ deliveryId: z.string(), deliveryWorkflowId: z.string(), series: z.number() }) },
      404: { description: 'Not found', schema: ErrorSchema },
      409: { description: 'In progress, or webhook disabled', schema: ErrorSchema },
    },
    handler: async ({ deps, team, params, req }) => ({ status: 202, body: await deps.deliveries.retry(team.id, params.id, idempotencyKey(req.get('idempotency-key'))) }),
  });
  t.add({
    method: 'post', path: '/v1/webhooks/:id/recover', tag: 'Deliveries', auth: 'team', summary: 'Re-send every failed delivery of a webhook in a time window',
    params: IdParams, body: RecoverBody,
    responses: {
      202: { description: 'Re-sends started', schema: z.object({ started: z.number(), deliveryIds: z.array(z.string()) }) },
      404: { description: 'Not found', schema: ErrorSchema },
      409: { description: 'Webhook disabled', schema: ErrorSchema },
    },
    handler: async ({ deps, team, params, body, req }) => ({
      status: 202,
      body: await deps.deliveries.recover(team.id, params.id, body, idempotencyKey(req.get('idempotency-key'))),
    }),
  });
}
