import { planDeliveries } from '../services/deliveryPlanning';
import type { ActivityDeps } from './deps';

export function createFanOutActivities({ db }: ActivityDeps) {
  return {
    planDeliveries: (input: { eventId: string; afterWebhookId?: string; limit: number }) => planDeliveries(db, input),
  };
}
