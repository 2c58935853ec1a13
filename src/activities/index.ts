import { createDeliveryActivities } from './delivery';
import type { ActivityDeps } from './deps';
import { createDispatchActivities } from './dispatch';
import { createFanOutActivities } from './fanOut';
import { createHealthActivities } from './health';

export type { ActivityDeps } from './deps';

/** All activities the worker registers, bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDispatchActivities(deps),
    ...createFanOutActivities(deps),
    ...createDeliveryActivities(deps),
    ...createHealthActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
