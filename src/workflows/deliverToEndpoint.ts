import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DeliveryStatusKey } from '../temporal/names';
import { creditsGrantedSignal } from './signals';
import type { DeliveryEnd, ReturnedAttemptResult } from '../domain/attemptResult';
import { ENDPOINT_GONE, RESULT_UNRECORDABLE, RETRIES_EXHAUSTED, type DeliverInput } from './types';

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

const { recordDeliveryFailure, reportDeliverySuccess, markDeliveryCancelled } = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

// A held delivery's re-check is one quick query: a local activity, recorded as one marker.
const { creditsAvailable } = proxyLocalActivities<Activities>({ startToCloseTimeout: '15s', retry: { initialInterval: '1s', maximumInterval: '30s' } });

/**
 * A waiting delivery — held for credits (it re-checks now and then), or deferred by a busy endpoint
 * — continues as new past this many history events, so waiting for days never nears Temporal's
 * history limit.
 */
export const WAITING_MAX_HISTORY_EVENTS = 500;

/**
 * A delivery's own workflow, one per attempt series. It takes over when a delivery must wait —
 * a retry on its webhook's schedule (after `notBefore`), a hold for credits, a re-send — or
 * records a failure, so every failed delivery has a workflow; with
 * HOOKFERRY_DELIVERY_WORKFLOWS=every it also makes every first attempt.
 */
export async function deliverToEndpoint(input: DeliverInput): Promise<DeliveryEnd> {
  // Counted, not flagged: a grant that arrives while an attempt is running is not lost.
  let grants = 0;
  setHandler(creditsGrantedSignal, () => void grants++);
  try {
    return await deliver(input, () => grants);
  } catch (err) {
    if (isCancellation(err)) {
      // Cancelled because its webhook was disabled or deleted (the row is marked already) or by
      // someone in the Temporal UI: mark the row, so the reconciler does not bring it back.
      await CancellationScope.nonCancellable(() => markDeliveryCancelled({ deliveryId: input.deliveryId, series: input.series }));
      setStatus('cancelled');
    }
    throw err;
  }
}

async function deliver(input: DeliverInput, grantsSoFar: () => number): Promise<DeliveryEnd> {
  if (input.endedFailed) return failed(input, input.endedFailed.gone);
  if (input.notBefore !== undefined) {
    const wait = input.notBefore - Date.now();
    if (wait > 0) await sleep(wait);
  }

  let held = false;
  let reservedSlot = input.reservedSlot ?? false;
  for (;;) {
    const grantsBefore = grantsSoFar();
    let outcome: ReturnedAttemptResult;
    try {
      outcome = await attemptDelivery({ deliveryId: input.deliveryId, series: input.series, reservedSlot });
    } catch (err) {
      const failure = err instanceof ActivityFailure ? err.cause : undefined;
      if (failure instanceof ApplicationFailure) {
        if (failure.type === RETRIES_EXHAUSTED || failure.type === ENDPOINT_GONE) return failed(input, failure.type === ENDPOINT_GONE);
        if (failure.type === RESULT_UNRECORDABLE) {
          // The activity logged the attempt and marked the delivery failed; nothing to retry.
          setStatus('failed');
          return { status: 'failed' };
        }
      }
      throw err;
    }
    reservedSlot = false;

    if (outcome.status === 'deferred') {
      // Not attempted, not counted: the rate limit reserved a later slot, or the endpoint had no
      // slot free and gave this delivery a turn (src/delivery/endpointGate.ts): wait for it.
      reservedSlot = outcome.reserved;
      await sleep(outcome.waitMs);
      await continueAsNewIfLong(input, { reservedSlot });
      continue;
    }
    if (outcome.status === 'held') {
      if (!held) setStatus('held');
      held = true;
      // Woken by a credit grant (signalled by the API), or by a re-check that finds the team can
      // pay (credits added some other way); then the next attempt decides.
      for (;;) {
        if (await condition(() => grantsSoFar() > grantsBefore, outcome.recheckAfterMs)) break;
        if (await creditsAvailable({ deliveryId: input.deliveryId })) break;
        await continueAsNewIfLong(input, {});
      }
      held = false;
      setStatus('pending');
      continue;
    }
    if (outcome.status === 'succeeded' && outcome.resetsHealth) {
      await reportDeliverySuccess({ deliveryId: input.deliveryId });
    }
    setStatus(outcome.status);
    return { status: outcome.status };
  }
}

/** A delivery that waits (held, or deferred) goes on in a fresh run once its history is long. */
async function continueAsNewIfLong(input: DeliverInput, next: Pick<DeliverInput, 'reservedSlot'>): Promise<void> {
  if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= WAITING_MAX_HISTORY_EVENTS) {
    await continueAsNew<typeof deliverToEndpoint>({ ...input, notBefore: undefined, ...next });
  }
}

/** Marks the delivery failed for good and tells its webhook's health workflow. */
async function failed(input: DeliverInput, gone: boolean): Promise<DeliveryEnd> {
  await recordDeliveryFailure({ deliveryId: input.deliveryId, gone });
  setStatus('failed');
  return { status: 'failed' };
}

function setStatus(status: DeliveryEnd['status'] | 'held' | 'pending'): void {
  upsertSearchAttributes([{ key: DeliveryStatusKey, value: status }]);
}
