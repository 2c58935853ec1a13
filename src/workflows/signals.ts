import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DeliveryOutcomeSignal, HealthState } from './types';

export const deliveryOutcomeSignal = defineSignal<[DeliveryOutcomeSignal]>('deliveryOutcome');
export const webhookEnabledSignal = defineSignal('webhookEnabled');
export const webhookDisabledManuallySignal = defineSignal('webhookDisabledManually');
export const webhookDeletedSignal = defineSignal('webhookDeleted');
export const healthStateQuery = defineQuery<HealthState>('healthState');

/** Sent to a held delivery when its team has been granted credits. */
export const creditsGrantedSignal = defineSignal('creditsGranted');
