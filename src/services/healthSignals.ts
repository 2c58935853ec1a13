import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { EndpointStateKey, HEALTH_WORKFLOW_TYPE, healthWorkflowId, TeamIdKey, WebhookIdKey } from '../temporal/names';
import { deliveryOutcomeSignal, webhookDeletedSignal, webhookDisabledManuallySignal, webhookEnabledSignal } from '../workflows/signals';
import type { DeliveryOutcomeSignal, HealthInput } from '../workflows/types';

type HealthSignal =
  | { signal: 'outcome'; outcome: DeliveryOutcomeSignal }
  | { signal: 'enabled' }
  | { signal: 'disabledManually' };

/**
 * Signals a webhook's health workflow, starting it first if it is not running
 * (signal-with-start), so webhooks created before a restart or a reset are covered too. It is
 * started by its type name: this module (which activities import) imports only the workflows'
 * signal definitions and input types, never workflow functions.
 */
export async function signalHealth(client: Client, config: Config, webhook: { id: string; teamId: string }, message: HealthSignal): Promise<void> {
  const common = {
    workflowId: healthWorkflowId(webhook.id),
    taskQueue: config.taskQueue,
    args: [{ webhookId: webhook.id, teamId: webhook.teamId, threshold: config.failureThreshold }] satisfies [HealthInput],
    typedSearchAttributes: [
      { key: TeamIdKey, value: webhook.teamId },
      { key: WebhookIdKey, value: webhook.id },
      { key: EndpointStateKey, value: 'enabled' },
    ],
  };
  switch (message.signal) {
    case 'outcome':
      await client.workflow.signalWithStart(HEALTH_WORKFLOW_TYPE, { ...common, signal: deliveryOutcomeSignal, signalArgs: [message.outcome] });
      return;
    case 'enabled':
      await client.workflow.signalWithStart(HEALTH_WORKFLOW_TYPE, { ...common, signal: webhookEnabledSignal, signalArgs: [] });
      return;
    case 'disabledManually':
      await client.workflow.signalWithStart(HEALTH_WORKFLOW_TYPE, { ...common, signal: webhookDisabledManuallySignal, signalArgs: [] });
      return;
  }
}

/** Ends the health workflow of a deleted webhook; nothing to do if it is not running. */
export async function signalHealthDeleted(client: Client, webhookId: string): Promise<void> {
  try {
    await client.workflow.getHandle(healthWorkflowId(webhookId)).signal(webhookDeletedSignal);
  } catch (err) {
    if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
  }
}
