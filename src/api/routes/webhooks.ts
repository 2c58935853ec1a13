import { z } from 'zod';
import { presentWebhook } from '../presenters/webhooks';
import { ErrorSchema, type RouteTable } from '../route';
import { CreateWebhookBody, IdParams, ListWebhooksQuery, UpdateWebhookBody, Webhook, WebhookWithSecret } from '../schemas';

const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, { description: 'Error', schema: ErrorSchema }]));

export function registerWebhookRoutes(t: RouteTable): void {
  t.add({
    method: 'post', path: '/v1/webhooks', tag: 'Webhooks', auth: 'team', summary: 'Create a webhook (the secret is returned only here)',
    body: CreateWebhookBody,
    responses: { 201: { description: 'Created', schema: WebhookWithSecret }, ...errors(409) },
    handler: async ({ deps, team, body }) => {
      const { webhook, secret } = await deps.webhooks.create(team.id, body);
      return { status: 201, body: { ...presentWebhook(webhook), secret } };
    },
  });
  t.add({
    method: 'get', path: '/v1/webhooks', tag: 'Webhooks', auth: 'team', summary: 'List webhooks',
    query: ListWebhooksQuery,
    responses: { 200: { description: 'A page of webhooks', schema: z.object({ data: z.array(Webhook), nextCursor: z.string().nullable() }) } },
    handler: async ({ deps, team, query }) => {
      const page = await deps.webhooks.list(team.id, query);
      return { status: 200, body: { data: page.data.map(presentWebhook), nextCursor: page.nextCursor } };
    },
  });
  t.add({
    method: 'get', path: '/v1/webhooks/:id', tag: 'Webhooks', auth: 'team', summary: 'Get a webhook, with its failure and disable state',
    params: IdParams,
    responses: { 200: { description: 'The webhook', schema: Webhook }, ...errors(404) },
    handler: async ({ deps, team, params }) => ({ status: 200, body: presentWebhook(await deps.webhooks.find(team.id, params.id)) }),
  });
  t.add({
    method: 'patch', path: '/v1/webhooks/:id', tag: 'Webhooks', auth: 'team', summary: 'Update name, url, events, secret, retry schedule or rate limit',
    params: IdParams, body: UpdateWebhookBody,
    responses: { 200: { description: 'Updated', schema: Webhook }, ...errors(404, 409) },
    handler: async ({ deps, team, params, body }) => ({ status: 200, body: presentWebhook(await deps.webhooks.update(team.id, params.id, body)) }),
  });
  t.add({
    method: 'delete', path: '/v1/webhooks/:id', tag: 'Webhooks', auth: 'team', summary: 'Delete a webhook; pending retries are cancelled',
    params: IdParams,
    responses: { 204: { description: 'Deleted' }, ...errors(404) },
    handler: async ({ deps, team, params }) => {
      await deps.webhooks.remove(team.id, params.id);
      return { status: 204 };
    },
  });
  t.add({
    method: 'post', path: '/v1/webhooks/:id/enable', tag: 'Webhooks', auth: 'team', summary: 'Enable a webhook (resets its failure count)',
    params: IdParams,
    responses: { 200: { description: 'Enabled', schema: Webhook }, ...errors(404) },
    handler: async ({ deps, team, params }) => ({ status: 200, body: presentWebhook(await deps.webhooks.enable(team.id, params.id)) }),
  });
  t.add({
    method: 'post', path: '/v1/webhooks/:id/disable', tag: 'Webhooks', auth: 'team', summary: 'Disable a webhook by hand (no email is sent)',
    params: IdParams,
    responses: { 200: { description: 'Disabled', schema: Webhook }, ...errors(404) },
    handler: async ({ deps, team, params }) => ({ status: 200, body: presentWebhook(await deps.webhooks.disable(team.id, params.id)) }),
  });
  t.add({
    method: 'post', path: '/v1/webhooks/:id/secret/rotate', tag: 'Webhooks', auth: 'team', summary: 'Rotate the signing secret; the old one keeps signing during a grace period',
    params: IdParams,
    responses: {
      200: {
        description: 'The new secret. previousSecretExpiresAt is null when the old secret could not be kept (its encryption key is lost, so it could not sign anyway)',
        schema: z.object({ secret: z.string(), previousSecretExpiresAt: z.string().nullable() }),
      },
      ...errors(404),
    },
    handler: async ({ deps, team, params }) => ({ status: 200, body: await deps.webhooks.rotateSecret(team.id, params.id) }),
  });
}
