// Where an event's time goes between ingest and arrival: the hops of its fan-out and delivery
// workflows, read from their Temporal histories (event timestamps, wall clock) and lined up with
// the benchmark's send and arrival times (monotonic clock, converted with a measured offset).
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { percentile } from './load';

const ET = temporal.api.enums.v1.EventType;

interface HEvent {
  type: number;
  at: number; // wall-clock ms
}

function toMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return NaN;
  const secs = Number(String(ts.seconds ?? 0));
  return secs * 1000 + (ts.nanos ?? 0) / 1e6;
}

async function history(client: Client, workflowId: string): Promise<HEvent[]> {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  return (h.events ?? []).map((e) => ({ type: Number(e.eventType), at: toMs(e.eventTime as never) }));
}

function nth(events: HEvent[], type: number, n = 0): number {
  const found = events.filter((e) => e.type === type);
  return found[n]?.at ?? NaN;
}

export interface HopSample {
  [hop: string]: number;
}

/**
 * Hops of one single-endpoint event (ms). `sentWall` and `arrivedWall` are the benchmark's
 * send and first-arrival times converted to wall-clock ms.
 */
export async function eventHops(client: Client, fanOutId: string, deliveryId: string, sentWall: number, arrivedWall: number): Promise<HopSample> {
  const f = await history(client, fanOutId);
  const d = await history(client, deliveryId);
  const fStart = nth(f, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  const fWft1Sched = nth(f, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0);
  const fWft1Start = nth(f, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, 0);
  const fWft1Done = nth(f, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 0);
  const fActSched = nth(f, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 0);
  const fActStart = nth(f, ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, 0);
  const fActDone = nth(f, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 0);
  const fMarker = nth(f, ET.EVENT_TYPE_MARKER_RECORDED, 0);
  const fWft2Sched = nth(f, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 1);
  const fWft2Start = nth(f, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, 1);
  const fWft2Done = nth(f, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 1);
  const fChildInit = nth(f, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 0);
  const dStart = nth(d, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  const dWftSched = nth(d, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0);
  const dWftStart = nth(d, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, 0);
  const dWftDone = nth(d, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 0);
  const dActSched = nth(d, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 0);
  const dActStart = nth(d, ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, 0);
  const planned = Number.isNaN(fActDone) ? fMarker : fActDone;
  const hops: HopSample = {
    'api: ingest → fan-out started': fStart - sentWall,
    'fan-out: first workflow task queued': fWft1Start - fWft1Sched,
    'fan-out: first workflow task run': fWft1Done - fWft1Start,
    'fan-out: planDeliveries queued': Number.isNaN(fActStart) ? NaN : fActStart - fActSched,
    'fan-out: planDeliveries run': Number.isNaN(fActStart) ? NaN : fActDone - fActStart,
    'fan-out: second workflow task queued': fWft2Start - fWft2Sched,
    'fan-out: second workflow task run': fWft2Done - fWft2Start,
    'child: start (initiated → started)': dStart - fChildInit,
    'delivery: workflow task queued': dWftStart - dWftSched,
    'delivery: workflow task run': dWftDone - dWftStart,
    'delivery: attempt queued': dActStart - dActSched,
    'delivery: attempt → arrival': arrivedWall - dActStart,
    total: arrivedWall - sentWall,
  };
  // Time from fan-out start to planned (whichever form the plan step took).
  hops['fan-out: started → planned'] = planned - fStart;
  return hops;
}

/** Median of each hop over the samples. */
export function medianHops(samples: HopSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  const keys = samples[0] ? Object.keys(samples[0]) : [];
  for (const k of keys) {
    const values = samples.map((s) => s[k]!).filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
    if (values.length) out[k] = Math.round(percentile(values, 50) * 10) / 10;
  }
  return out;
}
