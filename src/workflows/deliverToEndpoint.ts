import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DeliveryStatusKey } from '../temporal/names';
import { creditsGrantedSignal } from './signals';
import { ENDPOINT_GONE, RETRIES_EXHAUSTED, type DeliverInput, type DeliveryResult } from './types';

// The attempt activity carries the webhook's retry schedule itself: after a failed HTTP
// attempt it throws with `nextRetryDelay` from the schedule (src/domain/retrySchedule.ts),
// and a non-retryable failure when the schedule is exhausted. Errors of our own
// infrastructure (database down, worker killed) retry with this policy's backoff and do not
// use up the schedule's attempts.
const { attemptDelivery } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' }, // no maximumAttempts: unlimited
});

const { recordDeliveryFailure, reportDeliverySuccess } = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * A delivery's own workflow: takes over from the dispatch workflow when the first attempt
 * failed (waits until `firstRetryAt`, then retries on the webhook's schedule) or was held for
 * credits; a manual replay starts one for its new attempt series.
 */
export async function deliverToEndpoint(input: DeliverInput): Promise<DeliveryResult> {
  try {
    return await deliver(input);
  } catch (err) {
    // Cancelled because its webhook was disabled or deleted (the row is already marked).
    if (isCancellation(err)) setStatus('cancelled');
    throw err;
  }
}

async function deliver(input: DeliverInput): Promise<DeliveryResult> {
  let creditsGranted = false;
  setHandler(creditsGrantedSignal, () => {
    creditsGranted = true;
  });
  if (input.firstRetryAt !== undefined) {
    const wait = input.firstRetryAt - Date.now();
    if (wait > 0) await sleep(wait);
  }

  for (;;) {
    let outcome;
    try {
      outcome = await attemptDelivery({ deliveryId: input.deliveryId });
    } catch (err) {
      const failure = err instanceof ActivityFailure ? err.cause : undefined;
      if (failure instanceof ApplicationFailure && (failure.type === RETRIES_EXHAUSTED || failure.type === ENDPOINT_GONE)) {
        await recordDeliveryFailure({ deliveryId: input.deliveryId, gone: failure.type === ENDPOINT_GONE });
        setStatus('failed');
        return { status: 'failed' };
      }
      throw err;
    }

    if (outcome.status === 'held') {
      // Not enough credits: wait for a grant (signalled by the API) or re-check periodically.
      setStatus('held');
      creditsGranted = false;
      await condition(() => creditsGranted, outcome.recheckAfterMs);
      continue;
    }
    if (outcome.status === 'succeeded' && outcome.resetsHealth) {
      await reportDeliverySuccess({ deliveryId: input.deliveryId });
    }
    setStatus(outcome.status);
    return { status: outcome.status };
  }
}

function setStatus(status: string): void {
  upsertSearchAttributes([{ key: DeliveryStatusKey, value: status }]);
}
