// The shape of bench/results/*.json.
import type { BaselineResult } from '../baseline';
import type { ResourceSummary } from './procstat';
import type { ReceiverStats } from './receiverProtocol';

/**
 * CPU milliseconds per delivery of each process — worker (all worker processes), api, temporal,
 * temporalPostgres (`--temporal cluster` only: the backends of the Temporal server's databases),
 * postgres (the backends of Hookferry's database), and for reference receiver and loadgen — and
 * `total`: worker + api + temporal + temporalPostgres + postgres.
 */
export type CpuPerDelivery = Record<string, number>;

export interface RampStep {
  label: string;
  /** Events per second offered. */
  targetRate: number;
  seconds: number;
  /** Requests sent (a batch is one request). */
  requests: number;
  /** Events sent, skipped (too many requests open) and failed. */
  sent: number;
  skipped: number;
  failed: number;
  delivered: number;
  deliveredPerSecond: number;
  backlogEnd: number;
  backlogSlopePerSecond: number;
  /** API response time per request, from when the request was due. */
  apiP50Ms: number;
  apiP99Ms: number;
  /** Mean cores busy per process over the step (plus `machine`: the whole machine). */
  cores: Record<string, number>;
  cpuMsPerDelivery: CpuPerDelivery;
  sustained: boolean;
}

/** An ingestion section: a ramp of rates, then a hold at the best one. Rates in events/s. */
export interface ThroughputResult {
  /** The API route the events went through. */
  route: 'POST /v1/events' | 'POST /v1/events/batch';
  eventsPerRequest: number;
  ramp: RampStep[];
  hold: RampStep;
  /** Deliveries/s at the hold if it was held (backlog flat), else 0. */
  sustainedDeliveriesPerSecond: number;
  heldSeconds: number;
  totalEvents: number;
  totalDelivered: number;
  undelivered: number;
  /** Machine cores ÷ CPU per delivery at the hold: the rate if Hookferry had the machine to itself. */
  projectedOnIdleMachine: number;
  /** Ingest → first arrival over the whole section. */
  latencyAllP50Ms: number;
  latencyAllP99Ms: number;
  /** Deliveries of the section that got a deliverToEndpoint workflow of their own (as-needed: 0 expected for an endpoint that keeps up). */
  deliveriesWithOwnWorkflow: number;
}

export interface LatencyResult {
  fraction: number;
  rate: number;
  events: number;
  lost: number;
  /** Ingest (request due) → first arrival at the receiver. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** API response time per request, from when it was due. */
  apiP50Ms: number;
  apiP99Ms: number;
  cores: Record<string, number>;
}

/** One run of the slow-endpoint section: events spread round-robin over many endpoints. */
export interface SlowEndpointRun {
  label: string;
  endpoints: number;
  /** Endpoints whose URL never answers (the worker's attempt times out). */
  hangingEndpoints: number;
  /** Events/s offered over all endpoints, and for how long. */
  rate: number;
  seconds: number;
  /** The endpoints that answer at once in both runs (the same ones). */
  healthy: {
    endpoints: number;
    events: number;
    delivered: number;
    /** Not arrived after the drain. */
    lost: number;
    /** Arrivals of their events while the events were being sent ÷ the seconds of sending. */
    deliveriesPerSecond: number;
    p50Ms: number;
    p95Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  /** Attempts the receiver held open on hanging endpoints in this run. */
  hangingAttempts: number;
  /** Deliveries handed to a workflow of their own, to the healthy and to the hanging endpoints. */
  deliveriesWithOwnWorkflow: { healthy: number; hanging: number };
  apiP99Ms: number;
  cores: Record<string, number>;
}

export interface SlowEndpointResult {
  endpoints: number;
  hangingFraction: number;
  rate: number;
  /** The worker's attempt timeout (HOOKFERRY_ATTEMPT_TIMEOUT_MS): how long a hanging attempt lasts. */
  attemptTimeoutMs: number;
  /** The same endpoints, all answering at once; then with hangingFraction of them hanging. */
  withoutHanging: SlowEndpointRun;
  withHanging: SlowEndpointRun;
  /** Healthy deliveries/s with hanging endpoints ÷ without. */
  healthyThroughputRatio: number;
  /** After the hanging webhooks were disabled, no attempt to them was still open. */
  hangingCleared: boolean;
  clearSeconds: number;
}

export interface FanOutResult {
  endpoints: number;
  delivered: number;
  succeededRows: number;
  timeToFirstMs: number;
  timeToAllMs: number;
  deliveriesPerSecond: number;
  wallMsPerDelivery: number;
  cpuMsPerDelivery: CpuPerDelivery;
  limitErrors: number;
  complete: boolean;
}

/** Where the run's Temporal ran and how many Hookferry processes it had. */
export interface Topology {
  /** `dev`: `temporal server start-dev` (SQLite); `cluster`: the real server on PostgreSQL (`npm run temporal:cluster -- start`). */
  temporal: 'dev' | 'cluster';
  workers: number;
  apis: number;
  /** The cluster server's databases (their backends are the `temporalPostgres` process); empty for the dev server. */
  temporalDatabases: string[];
  /** Connections per store of each of the cluster server's services; null for the dev server. */
  temporalDbMaxConns: number | null;
}

/** One of issue 14's targets: what it asks, what this run measured, and whether it was met (null: not measured in this run). */
export interface TargetResult {
  target: string;
  measured: string;
  met: boolean | null;
}

export interface BenchResult {
  meta: {
    startedAt: string;
    durationSeconds: number;
    /** The plan of durations and sizes (`--quick`, `--plan topologies`; else full). */
    mode: 'quick' | 'full' | 'topologies';
    topology: Topology;
    machine: { cores: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
    temporalDb: 'memory' | 'file';
    /** HOOKFERRY_DELIVERY_WORKFLOWS of the run. */
    deliveryWorkflows: 'as-needed' | 'every';
    /** The API's per-key limit (on, with a quota far above the load). */
    apiRateLimitPerMinute: number;
    /** The worker's and API's HOOKFERRY_FAILURE_THRESHOLD (auto-disable kept out of the slow-endpoint section). */
    failureThreshold: number;
    /** Keep-alive connections of the load generator to the API. */
    loadConnections: number;
    dynamicConfig: Record<string, string | number | boolean>;
    payloadBytes: number;
    eventType: string;
    note: string;
  };
  // A section skipped (--fanout-only) is null (or empty).
  baseline:
    | (BaselineResult & {
        concurrency: number;
        connections: number;
        cores: Record<string, number>;
      })
    | null;
  /** Single-event ingestion through POST /v1/events. */
  singleEvent: ThroughputResult | null;
  /** Batch ingestion through POST /v1/events/batch. */
  batch: ThroughputResult | null;
  deliveriesInRun: number;
  /** Single-event sustained rate ÷ the baseline's requests/s. */
  ratioToBaseline: number | null;
  /** At 25/50/90% of the single-event sustained rate. */
  latency: LatencyResult[];
  slowEndpoints: SlowEndpointResult | null;
  fanOut: FanOutResult[];
  /** One dispatch workflow of the single-event section: its history, and how many events the section's dispatches carried. */
  workflowShape: { dispatchHistoryEvents: number; dispatchEvents: string[]; dispatchWorkflows: number; eventsPerDispatch: number } | null;
  /** Median ms of each hop of a single-endpoint event at 50% load (from Temporal histories). */
  latencyBreakdownMs: Record<string, number>;
  resources: Record<string, ResourceSummary>;
  /** Cores each process used while the stack was idle (after the warm-up). */
  idleCores: Record<string, number>;
  receiver: ReceiverStats;
  limitErrors: number;
  /**
   * Events whose dispatch workflow the API could not start within its deadline (Temporal
   * overloaded): the reconciler dispatches them a minute or more later, so a section's drain may
   * end before they arrive.
   */
  eventsLeftToReconciler: number;
  /** Issue 14's targets. */
  targets: Record<string, TargetResult>;
}
