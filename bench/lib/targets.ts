// Issue 14's targets on this 2-core machine (load generator and receiver included), checked
// against a run's figures. The benchmark prints them; no test asserts them.
import type { BenchResult, TargetResult } from './types';

/** The single-event target rate; the API's latency target applies at half of it. */
export const SINGLE_EVENT_TARGET = 1_000;
export const BATCH_TARGET = 3_000;
export const HOLD_SECONDS = 60;
export const API_P99_TARGET_MS = 100;
export const CPU_PER_DELIVERY_TARGET_MS = 1.5;
export const ARRIVAL_P99_TARGET_MS = 150;
export const HEALTHY_P99_TARGET_MS = 1_000;
export const FAN_OUT_TARGET = { endpoints: 10_000, ms: 10_000 };

// A hold's duration is measured a little short of what was planned (timer granularity).
const heldLongEnough = (seconds: number) => seconds >= HOLD_SECONDS - 0.5;

export function issue14Targets(r: Omit<BenchResult, 'targets'>): Record<string, TargetResult> {
  const single = r.singleEvent;
  const batch = r.batch;
  const half = r.latency.find((l) => l.fraction === 0.5);
  const slow = r.slowEndpoints;
  const fan = r.fanOut.find((f) => f.endpoints === FAN_OUT_TARGET.endpoints);
  const fmt = (n: number) => n.toLocaleString('en-US');
  return {
    singleEventHeld: {
      target: `single-event ingestion: ≥ ${fmt(SINGLE_EVENT_TARGET)} deliveries/s held ${HOLD_SECONDS} s`,
      measured: single ? `${single.sustainedDeliveriesPerSecond}/s held ${single.heldSeconds} s` : 'not run',
      met: single ? single.sustainedDeliveriesPerSecond >= SINGLE_EVENT_TARGET && heldLongEnough(single.heldSeconds) : null,
    },
    apiP99AtHalf: {
      target: `API p99 ≤ ${API_P99_TARGET_MS} ms at half of that (${fmt(SINGLE_EVENT_TARGET / 2)}/s)`,
      measured: half ? `${half.apiP99Ms} ms at ${half.rate}/s (50% of the sustained rate)` : 'not run',
      // Below 500/s the figure is not the one asked for, however good.
      met: half ? half.apiP99Ms <= API_P99_TARGET_MS && half.rate >= SINGLE_EVENT_TARGET / 2 : null,
    },
    batchHeld: {
      target: `batch ingestion: ≥ ${fmt(BATCH_TARGET)} deliveries/s held ${HOLD_SECONDS} s`,
      measured: batch ? `${batch.sustainedDeliveriesPerSecond}/s held ${batch.heldSeconds} s` : 'not run',
      met: batch ? batch.sustainedDeliveriesPerSecond >= BATCH_TARGET && heldLongEnough(batch.heldSeconds) : null,
    },
    cpuPerDelivery: {
      target: `CPU per delivery (worker + API + Temporal + PostgreSQL) ≤ ${CPU_PER_DELIVERY_TARGET_MS} ms, at the single-event hold`,
      measured: single ? `${single.hold.cpuMsPerDelivery.total} ms at the single-event hold${batch ? `; ${batch.hold.cpuMsPerDelivery.total} ms at the batch hold` : ''}` : 'not run',
      met: single && single.hold.delivered > 0 ? single.hold.cpuMsPerDelivery.total! <= CPU_PER_DELIVERY_TARGET_MS : null,
    },
    arrivalP99AtHalf: {
      target: `ingest → first arrival p99 ≤ ${ARRIVAL_P99_TARGET_MS} ms at 50% load`,
      measured: half ? `${half.p99Ms} ms at ${half.rate}/s` : 'not run',
      met: half ? half.p99Ms <= ARRIVAL_P99_TARGET_MS && half.lost === 0 : null,
    },
    healthyP99WithHanging: {
      target: `healthy-endpoint p99 ≤ ${fmt(HEALTHY_P99_TARGET_MS)} ms with 20% of endpoints hanging`,
      measured: slow
        ? `${slow.withHanging.healthy.p99Ms} ms (${slow.withoutHanging.healthy.p99Ms} ms without hanging ones), ${slow.withHanging.hangingEndpoints} of ${slow.endpoints} hanging, ${slow.withHanging.healthy.lost} lost`
        : 'not run',
      met: slow ? slow.withHanging.healthy.p99Ms <= HEALTHY_P99_TARGET_MS && slow.withHanging.healthy.lost === 0 : null,
    },
    fanOut10000: {
      target: `one event to ${fmt(FAN_OUT_TARGET.endpoints)} endpoints all delivered in ≤ ${FAN_OUT_TARGET.ms / 1000} s, 0 Temporal limit errors`,
      measured: fan ? `${fan.complete ? `${fmt(Math.round(fan.timeToAllMs))} ms` : `${fmt(fan.delivered)} delivered, incomplete`}, ${fan.limitErrors} limit errors` : 'not run',
      met: fan ? fan.complete && fan.timeToAllMs <= FAN_OUT_TARGET.ms && fan.limitErrors === 0 : null,
    },
  };
}
