import { ErrorSchema, type RouteTable } from '../route';
import { DeliveryStats, DeliveryStatsQuery } from '../schemas';

export function registerStatsRoutes(t: RouteTable): void {
  t.add({
    method: 'get', path: '/v1/stats/deliveries', tag: 'Deliveries',
    auth: 'team', summary: "Attempts per interval by outcome, latency p50/p95 and the success rate over the last hour, day or week, for the team or one of its webhooks",
    query: DeliveryStatsQuery,
    responses: { 200: { description: 'The statistics', schema: DeliveryStats }, 404: { description: "webhookId is not one of the team's webhooks", schema: ErrorSchema } },
    handler: async ({ deps, team, query }) => ({ status: 200, body: await deps.stats.get(team.id, query) }),
  });
}
