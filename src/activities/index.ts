import { createAttempter } from '../delivery/attempt';
import { createDeliveryActivities } from './delivery';
import type { ActivityDeps } from './deps';
import { createDispatchActivities } from './dispatch';
import { createHealthActivities } from './health';

export type { ActivityDeps } from './deps';

/**
 * All activities the worker registers, bound to their dependencies, each under the one name the
 * workflows schedule it by (these names are in recorded workflow histories: keep them).
 */
export function createActivities(deps: ActivityDeps) {
  // One attempter for the process, shared by the first attempts and the retries.
  const attempter = createAttempter(deps);
  const delivery = createDeliveryActivities(deps, attempter);
  return {
    ...createDispatchActivities(deps, attempter, delivery.reportDeliverySuccess),
    ...delivery,
    ...createHealthActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
