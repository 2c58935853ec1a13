import { z } from 'zod';
import { buildEnvelope } from '../../domain/envelope';
import { AppError } from '../../domain/errors';
import { ErrorSchema, type RouteTable } from '../route';
import { CatalogEntry, Envelope, TestSendBody } from '../schemas';

/** Example timestamps are fixed so the example is stable between calls. */
const EXAMPLE_TIME = new Date('2025-01-01T00:00:00.000Z');

export function registerTestRoutes(t: RouteTable): void {
  t.add({
    method: 'get', path: '/v1/webhooks/test/events', tag: 'Testing', auth: 'team', summary: 'List the event types (the catalog)',
    query: z.object({ category: z.string().max(50).optional() }),
    responses: { 200: { description: 'Event types', schema: z.array(CatalogEntry) } },
    handler: async ({ deps, query }) => {
      const all = await deps.catalog.list();
      return {
        status: 200,
        body: all.filter((e) => !query.category || e.category === query.category).map(({ id, name, description, category }) => ({ id, name, description, category })),
      };
    },
  });
  t.add({
    method: 'get', path: '/v1/webhooks/test/example/:event', tag: 'Testing', auth: 'team', summary: 'The exact envelope Hookferry would send for an event (sends nothing)',
    params: z.object({ event: z.string().max(100) }),
    responses: { 200: { description: 'Example envelope', schema: Envelope }, 404: { description: 'Unknown event', schema: ErrorSchema } },
    handler: async ({ deps, team, params }) => {
      const def = await deps.catalog.get(params.event);
      if (!def) {
        const valid = (await deps.catalog.list()).map((e) => e.id);
        throw new AppError('not_found', 'unknown_event_type', `unknown event type "${params.event}"`, { validEvents: valid });
      }
      return { status: 200, body: buildEnvelope({ id: 'evt_example', event: def.id, teamId: team.id, createdAt: EXAMPLE_TIME, data: { ...def.example } }) };
    },
  });
  t.add({
    method: 'post', path: '/v1/webhooks/test', tag: 'Testing', auth: 'team', summary: 'Send a test event to the subscribed active webhooks (or one); free of charge',
    body: TestSendBody,
    responses: {
      202: { description: 'Deliveries started', schema: z.object({ eventId: z.string(), deliveries: z.array(z.object({ id: z.string(), webhookId: z.string(), dispatchWorkflowId: z.string() })) }) },
      404: { description: 'Unknown webhook', schema: ErrorSchema },
      409: { description: 'Webhook disabled', schema: ErrorSchema },
    },
    handler: async ({ deps, team, body }) => {
      const def = await deps.catalog.get(body.event);
      if (!def) throw new AppError('invalid', 'unknown_event_type', `unknown event type "${body.event}"`);
      if (body.webhookId) {
        const w = await deps.webhooks.find(team.id, body.webhookId);
        if (!w.enabled) throw new AppError('conflict', 'webhook_disabled', 'the webhook is disabled');
      }
      const { event, deliveries } = await deps.events.sendTest(team.id, { event: body.event, data: body.data ?? { ...def.example }, targetWebhookId: body.webhookId });
      return {
        status: 202,
        body: { eventId: event.id, deliveries: deliveries.map((d) => ({ id: d.deliveryId, webhookId: d.webhookId, dispatchWorkflowId: event.dispatch_workflow_id! })) },
      };
    },
  });
}
