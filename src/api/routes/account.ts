import { z } from 'zod';
import { creditAccount } from '../../services/credits';
import { getTeam } from '../../services/teams';
import { presentCredits, presentTeam } from '../presenters/account';
import type { RouteTable } from '../route';

export function registerAccountRoutes(t: RouteTable): void {
  t.add({
    method: 'get', path: '/v1/me', tag: 'Account', auth: 'team', summary: 'The team the API key belongs to',
    responses: { 200: { description: 'The team', schema: z.object({ team: z.object({ id: z.string(), name: z.string(), notificationEmail: z.string() }), temporalUiUrl: z.string() }) } },
    handler: async ({ deps, team }) => {
      const row = await getTeam(deps.db, team.id);
      return { status: 200, body: { team: presentTeam(row), temporalUiUrl: deps.config.temporalUiUrl } };
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
      const { balance, ledger } = await creditAccount(deps.db, team.id, query.limit);
      return { status: 200, body: presentCredits(balance, ledger) };
    },
  });
}
