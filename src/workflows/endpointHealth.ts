import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { EndpointStateKey } from '../temporal/names';
import {
  deliveryOutcomeSignal,
  healthStateQuery,
  webhookDeletedSignal,
  webhookDisabledManuallySignal,
  webhookEnabledSignal,
} from './signals';
import type { DeliveryOutcomeSignal, HealthInput, HealthState } from './types';

export const RECENT_FAILURES_KEPT = 5;
export const SEEN_OUTCOMES_KEPT = 200;
export const DEFAULT_MAX_HISTORY_EVENTS = 5_000;

const { recordHealth, disableWebhookForFailures } = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

// Email has its own, bounded retries: a failing SMTP server must not hold up the disable.
const { notifyWebhookDisabled } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 8 },
});

export function initialHealthState(): HealthState {
  return { consecutiveFailures: 0, recentFailures: [], disabled: false, disabledReason: null, disableCount: 0, seenOutcomes: [] };
}

type Command = { kind: 'outcome'; outcome: DeliveryOutcomeSignal } | { kind: 'enabled' } | { kind: 'disabledManually' };

/**
 * One per webhook, for its whole life: counts consecutive failed deliveries, disables the
 * webhook at the threshold (or at once on 410 Gone) and emails the team. Re-enabling resets it.
 */
export async function endpointHealth(input: HealthInput): Promise<HealthState> {
  const state: HealthState = input.state ?? initialHealthState();
  const queue: Command[] = [];
  let deleted = false;

  setHandler(deliveryOutcomeSignal, (outcome) => void queue.push({ kind: 'outcome', outcome }));
  setHandler(webhookEnabledSignal, () => void queue.push({ kind: 'enabled' }));
  setHandler(webhookDisabledManuallySignal, () => void queue.push({ kind: 'disabledManually' }));
  setHandler(webhookDeletedSignal, () => {
    deleted = true;
  });
  setHandler(healthStateQuery, () => state);

  const maxHistory = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxHistory;

  while (!deleted) {
    await condition(() => queue.length > 0 || deleted || shouldContinueAsNew());
    if (deleted) break;
    const command = queue.shift();
    if (command) {
      await apply(command, state, input);
      continue;
    }
    // Nothing queued and history is long: carry the state into a fresh run.
    await condition(allHandlersFinished);
    if (queue.length === 0 && !deleted) {
      await continueAsNew<typeof endpointHealth>({ ...input, state });
    }
  }
  return state;
}

async function apply(command: Command, state: HealthState, input: HealthInput): Promise<void> {
  switch (command.kind) {
    case 'enabled':
      Object.assign(state, { consecutiveFailures: 0, recentFailures: [], disabled: false, disabledReason: null });
      upsertSearchAttributes([{ key: EndpointStateKey, value: 'enabled' }]);
      return;
    case 'disabledManually':
      Object.assign(state, { disabled: true, disabledReason: 'manual' });
      upsertSearchAttributes([{ key: EndpointStateKey, value: 'disabled' }]);
      return;
    case 'outcome':
      return applyOutcome(command.outcome, state, input);
  }
}

async function applyOutcome(outcome: DeliveryOutcomeSignal, state: HealthState, input: HealthInput): Promise<void> {
  const key = `${outcome.deliveryId}:${outcome.series}`;
  if (state.seenOutcomes.includes(key)) return; // a re-sent signal
  state.seenOutcomes.push(key);
  if (state.seenOutcomes.length > SEEN_OUTCOMES_KEPT) state.seenOutcomes.shift();
  // Deliveries still finishing after a disable say nothing about the endpoint's health now.
  if (state.disabled) return;

  if (outcome.kind === 'succeeded') {
    if (state.consecutiveFailures === 0) return;
    state.consecutiveFailures = 0;
    await recordHealth({ webhookId: input.webhookId, consecutiveFailures: 0, recentFailures: state.recentFailures });
    return;
  }

  state.consecutiveFailures += 1;
  state.recentFailures = [...state.recentFailures, outcome.failure].slice(-RECENT_FAILURES_KEPT);
  await recordHealth({ webhookId: input.webhookId, consecutiveFailures: state.consecutiveFailures, recentFailures: state.recentFailures });

  const reason = outcome.gone ? 'endpoint_gone' : state.consecutiveFailures >= input.threshold ? 'consecutive_failures' : null;
  if (!reason) return;

  const { disabledAt } = await disableWebhookForFailures({ webhookId: input.webhookId, reason });
  Object.assign(state, { disabled: true, disabledReason: reason, disableCount: state.disableCount + 1 });
  upsertSearchAttributes([{ key: EndpointStateKey, value: 'disabled' }]);
  try {
    await notifyWebhookDisabled({ webhookId: input.webhookId, reason, disabledAt, failures: state.recentFailures, consecutiveFailures: state.consecutiveFailures });
  } catch (err) {
    log.error('could not send the disable notice; it stays in the email outbox', { webhookId: input.webhookId, err: String(err) });
  }
}
