// Where an event's time goes between ingest and arrival: the hops of its dispatch workflow, read
// from its Temporal history (event timestamps, wall clock) and lined up with the benchmark's
// send and arrival times (monotonic clock, converted with a measured offset).
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { percentile } from '../../scripts/lib/percentile';

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
 * Hops of one single-endpoint event (ms) through its dispatch workflow and, when the delivery
 * ran in a workflow of its own (the default mode), that one. `sentWall` and `arrivedWall` are
 * the benchmark's send and first-arrival times converted to wall-clock ms.
 */
export async function eventHops(client: Client, dispatchId: string, deliveryWorkflowId: string | undefined, sentWall: number, arrivedWall: number): Promise<HopSample> {
  const h = await history(client, dispatchId);
  const started = nth(h, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  const hops: HopSample = {
    'api: ingest → dispatch started (incl. batching)': started - sentWall,
    'dispatch: workflow task queued': nth(h, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, 0) - nth(h, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0),
    'dispatch: workflow task run (incl. planning)': nth(h, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 0) - nth(h, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, 0),
  };
  if (deliveryWorkflowId) {
    const d = await history(client, deliveryWorkflowId);
    const attemptStarted = nth(d, ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, 0);
    hops['delivery workflow: started (child initiated → started)'] = nth(d, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) - nth(h, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 0);
    hops['delivery workflow: workflow task queued'] = nth(d, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, 0) - nth(d, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0);
    hops['delivery workflow: workflow task run'] = nth(d, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 0) - nth(d, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, 0);
    hops['delivery workflow: attempt queued'] = attemptStarted - nth(d, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 0);
    hops['attempt started → arrival'] = arrivedWall - attemptStarted;
  } else {
    const attemptsStarted = nth(h, ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, 0);
    hops['dispatch: first attempts queued'] = attemptsStarted - nth(h, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 0);
    hops['attempt started → arrival'] = arrivedWall - attemptsStarted;
  }
  hops.total = arrivedWall - sentWall;
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
