import { z } from 'zod';
import { issueApiKey, revokeApiKey } from '../../services/apiKeys';
import { grantCredits, releaseHeldDeliveries } from '../../services/credits';
import { createTeam, getTeam } from '../../services/teams';
import { ErrorSchema, type RouteTable } from '../route';
import { CreateEventTypeBody, CreateTeamBody, GrantCreditsBody, Text } from '../schemas';

export function registerAdminRoutes(t: RouteTable): void {
  t.add({
    method: 'post', path: '/admin/v1/teams', tag: 'Admin', auth: 'admin', summary: 'Create a team and its first API key',
    body: CreateTeamBody,
    responses: { 201: { description: 'Created; apiKey is shown only here', schema: z.object({ id: z.string(), name: z.string(), notificationEmail: z.string(), credits: z.number(), apiKey: z.string(), apiKeyId: z.string() }) } },
    handler: async ({ deps, body }) => ({ status: 201, body: await createTeam(deps.db, body) }),
  });
  const TeamParams = z.object({ id: z.string().max(200) });
  t.add({
    method: 'post', path: '/admin/v1/teams/:id/api-keys', tag: 'Admin', auth: 'admin', summary: 'Issue another API key',
    params: TeamParams, body: z.object({ label: Text(100).optional() }).strict(),
    responses: { 201: { description: 'Issued; the key is shown only here', schema: z.object({ id: z.string(), apiKey: z.string() }) }, 404: { description: 'Not found', schema: ErrorSchema } },
    handler: async ({ deps, params, body }) => {
      await getTeam(deps.db, params.id);
      const key = await issueApiKey(deps.db, params.id, body.label ?? null);
      return { status: 201, body: { id: key.id, apiKey: key.key } };
    },
  });
  t.add({
    method: 'delete', path: '/admin/v1/teams/:id/api-keys/:keyId', tag: 'Admin', auth: 'admin', summary: 'Revoke an API key',
    params: z.object({ id: z.string().max(200), keyId: z.string().max(200) }),
    responses: { 204: { description: 'Revoked' }, 404: { description: 'Not found', schema: ErrorSchema } },
    handler: async ({ deps, params }) => {
      await revokeApiKey(deps.db, params.id, params.keyId);
      deps.apiKeys.forget(params.keyId);
      return { status: 204 };
    },
  });
  t.add({
    method: 'post', path: '/admin/v1/teams/:id/credits', tag: 'Admin', auth: 'admin', summary: 'Grant credits; held deliveries resume',
    params: TeamParams, body: GrantCreditsBody,
    responses: { 200: { description: 'New balance', schema: z.object({ balance: z.number(), releasedDeliveries: z.number() }) }, 404: { description: 'Not found', schema: ErrorSchema } },
    handler: async ({ deps, params, body }) => {
      await getTeam(deps.db, params.id);
      const balance = await grantCredits(deps.db, params.id, body.amount);
      const releasedDeliveries = await releaseHeldDeliveries(deps.db, deps.temporal, params.id);
      return { status: 200, body: { balance, releasedDeliveries } };
    },
  });
  t.add({
    method: 'post', path: '/admin/v1/event-types', tag: 'Admin', auth: 'admin', summary: 'Add (or update) a custom event type',
    body: CreateEventTypeBody,
    responses: { 201: { description: 'Added', schema: z.object({ id: z.string(), name: z.string(), description: z.string(), category: z.string() }) }, 409: { description: 'A built-in event type', schema: ErrorSchema } },
    handler: async ({ deps, body }) => {
      const def = await deps.catalog.add(body);
      return { status: 201, body: { id: def.id, name: def.name, description: def.description, category: def.category } };
    },
  });
}
