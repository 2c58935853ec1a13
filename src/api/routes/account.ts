import { z } from 'zod';
import { notFound } from '../../domain/errors';
import type { RouteTable } from '../route';

export function registerAccountRoutes(t: RouteTable): void {
  t.add({
    method: 'get', path: '/v1/me', tag: 'Account', auth: 'team', summary: 'The team the API key belongs to',
    responses: { 200: { description: 'The team', schema: z.object({ team: z.object({ id: z.string(), name: z.string(), notificationEmail: z.string() }), temporalUiUrl: z.string() }) } },
    handler: async ({ deps, team }) => {
      const row = await deps.db.selectFrom('teams').selectAll().where('id', '=', team.id).executeTakeFirst();
      if (!row) throw notFound('team');
      return { status: 200, body: { team: { id: row.id, name: row.name, notificationEmail: row.notification_email }, temporalUiUrl: deps.config.temporalUiUrl } };
    },
  });
  t.add({
    method: 'get', path: '/v1/credits', tag: 'Account', auth: 'team', summary: 'Credit balance and ledger',
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
    responses: {
      200: {
        description: 'Balance and the newest ledger entries',
        schema: z.object({
          balance: z.number(),
          ledger: z.array(z.object({ id: z.string(), delta: z.number(), reason: z.string(), deliveryId: z.string().nullable(), balanceAfter: z.number(), createdAt: z.string() })),
        }),
      },
    },
    handler: async ({ deps, team, query }) => {
      const row = await deps.db.selectFrom('teams').select('credit_balance').where('id', '=', team.id).executeTakeFirstOrThrow();
      const ledger = await deps.db.selectFrom('credit_ledger').selectAll().where('team_id', '=', team.id).orderBy('id', 'desc').limit(query.limit).execute();
      return {
        status: 200,
        body: {
          balance: Number(row.credit_balance),
          ledger: ledger.map((l) => ({ id: String(l.id), delta: Number(l.delta), reason: l.reason, deliveryId: l.delivery_id, balanceAfter: Number(l.balance_after), createdAt: l.created_at.toISOString() })),
        },
      };
    },
  });
}
