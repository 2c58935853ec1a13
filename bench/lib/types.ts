// The shape of bench/results/*.json.
import type { BaselineResult } from '../baseline';
import type { ResourceSummary } from './procstat';
import type { ReceiverStats } from './receiverProtocol';

export interface RampStep {
  label: string;
  targetRate: number;
  seconds: number;
  sent: number;
  skipped: number;
  failed: number;
  delivered: number;
  deliveredPerSecond: number;
  backlogEnd: number;
  backlogSlopePerSecond: number;
  apiP50Ms: number;
  apiP99Ms: number;
  /** Mean cores busy per process over the step (plus `machine`: the whole machine). */
  cores: Record<string, number>;
  /** CPU ms of worker + API + Temporal + PostgreSQL per delivery over the step. */
  cpuMsPerDelivery: number;
  sustained: boolean;
}

export interface LatencyResult {
  fraction: number;
  rate: number;
  events: number;
  lost: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  cores: Record<string, number>;
}

export interface FanOutResult {
  endpoints: number;
  delivered: number;
  succeededRows: number;
  timeToFirstMs: number;
  timeToAllMs: number;
  deliveriesPerSecond: number;
  wallMsPerDelivery: number;
  /** CPU milliseconds per delivery, per process and in total (worker + api + temporal + postgres). */
  cpuMsPerDelivery: Record<string, number>;
  limitErrors: number;
  complete: boolean;
}

export interface BenchResult {
  meta: {
    startedAt: string;
    durationSeconds: number;
    mode: 'quick' | 'full';
    machine: { cores: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
    temporalDb: 'memory' | 'file';
    /** HOOKFERRY_DELIVERY_WORKFLOWS of the run. */
    deliveryWorkflows: 'as-needed' | 'every';
    dynamicConfig: Record<string, string | number | boolean>;
    payloadBytes: number;
    eventType: string;
    note: string;
  };
  baseline: BaselineResult & {
    concurrency: number;
    connections: number;
    cores: Record<string, number>;
  };
  throughput: {
    ramp: RampStep[];
    hold: RampStep;
    sustainedDeliveriesPerSecond: number;
    heldSeconds: number;
    totalEvents: number;
    totalDelivered: number;
    undelivered: number;
    /** Machine cores ÷ CPU per delivery at the hold: the rate if Hookferry had the machine to itself. */
    projectedOnIdleMachine: number;
    latencyAllP50Ms: number;
    latencyAllP99Ms: number;
  };
  deliveriesInRun: number;
  ratioToBaseline: number;
  latency: LatencyResult[];
  fanOut: FanOutResult[];
  /** One dispatch workflow of the throughput hold: its history, and how many events the dispatches of the hold carried. */
  workflowShape: { dispatchHistoryEvents: number; dispatchEvents: string[]; dispatchWorkflows: number; eventsPerDispatch: number };
  /** Median ms of each hop of a single-endpoint event at 50% load (from Temporal histories). */
  latencyBreakdownMs: Record<string, number>;
  resources: Record<string, ResourceSummary>;
  /** Cores each process used while the stack was idle (after the warm-up). */
  idleCores: Record<string, number>;
  receiver: ReceiverStats;
  limitErrors: number;
  targets: Record<string, boolean | null>;
}
