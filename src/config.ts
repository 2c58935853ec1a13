import { parsePresetList, type PresetName } from './domain/catalog';
import { parseKeyRing, type KeyRing } from './domain/secretBox';
import { EnvSchema, SIGNATURE_PRESETS } from './settings';
import type { DeliveryWorkflows } from './workflows/types';

/**
 * Every knob Hookferry reads from the environment, parsed once. Each variable, its default and
 * its one-line description are in the settings table (src/settings.ts), which the README's
 * configuration table is generated from.
 */
export interface Config {
  port: number;
  /** HOST: the address the API listens on; undefined = every interface (npm start sets 127.0.0.1). */
  host: string | undefined;
  databaseUrl: string;
  temporalAddress: string | undefined; // undefined: start a local dev server (npm start only)
  temporalNamespace: string;
  taskQueue: string;
  temporalUiUrl: string;
  publicUrl: string;
  adminKey: string | undefined;
  smtpUrl: string | undefined;
  smtpFrom: string;
  allowedCidrs: string;
  presets: PresetName[];
  failureThreshold: number;
  attemptTimeoutMs: number;
  retryDelayScale: number;
  maxRetryAfterMs: number;
  maxPayloadBytes: number;
  /** Deepest nesting of objects/arrays accepted in any JSON body (400 payload_too_deep above); bounded so nothing recursive can overflow. */
  maxJsonDepth: number;
  /** The largest body POST /v1/events/batch accepts (each of its events is still held to maxPayloadBytes). */
  maxBatchBytes: number;
  maxResponseBytes: number;
  deliveryCost: number;
  sha256SignatureHeader: string | undefined;
  hexSignatureHeader: string | undefined;
  secretRotationGraceMs: number;
  /** Keys for webhook signing secrets at rest (HOOKFERRY_SECRETS_KEY, HOOKFERRY_SECRETS_OLD_KEYS); the API and worker refuse to start without one. */
  secretKeys: KeyRing | undefined;
  heldRecheckMs: number;
  rateLimitPerMinute: number;
  /** A valid API key is trusted this long without a database lookup; a revoked key may work this long on other instances. */
  apiKeyCacheMs: number;
  /** Ingested events wait up to this long to be dispatched together in one workflow. */
  dispatchWindowMs: number;
  dispatchMaxEvents: number;
  /**
   * Which deliveries get a deliverToEndpoint workflow of their own (read by the worker only):
   * `as-needed` (default) — those that must wait (a retry, a hold, a re-send) or that failed;
   * `every` — every delivery from its first attempt (each one visible in the Temporal UI, at a
   * fraction of the throughput; bench/README.md).
   */
  deliveryWorkflows: DeliveryWorkflows;
  /** HTTP attempts in flight at once within one dispatch's first-attempt activity. */
  firstAttemptConcurrency: number;
  /** Attempts in flight per endpoint in one worker: each endpoint's bounded share of it. */
  endpointConcurrency: number;
  /** Attempts in flight per slow endpoint in one worker; its other deliveries wait in their own workflows. */
  slowEndpointConcurrency: number;
  /** Attempts in flight to all slow endpoints together in one worker. */
  slowEndpointsTotal: number;
  /** An endpoint that times out, or keeps an attempt waiting for its slot longer than this, is slow. */
  slowEndpointMs: number;
  /** How often each worker's reconciler looks for work whose workflow is missing or closed. */
  reconcileIntervalMs: number;
  /** Work is looked at by the reconciler once it is overdue by this much. */
  reconcileMarginMs: number;
  logLevel: string;
  /** A worker's metrics port (GET /metrics); undefined: none. The API serves /metrics on its own port. */
  metricsPort: number | undefined;
  /** Clients that may read /metrics without a token (comma-separated CIDRs; loopback by default). */
  metricsAllowCidrs: string;
  /** With it, `Authorization: Bearer <token>` reads /metrics from anywhere. */
  metricsToken: string | undefined;
  /** Where a worker's Temporal runtime serves its own metrics (appended to /metrics); undefined: a free loopback port. */
  temporalMetricsAddress: string | undefined;
  /** How often a worker samples the backlog gauges from PostgreSQL. */
  backlogSampleMs: number;
  /** The Temporal worker's limits (Worker.create options of the same names). */
  worker: {
    maxConcurrentActivityTaskExecutions: number;
    maxConcurrentWorkflowTaskExecutions: number;
    maxCachedWorkflows: number;
    maxEagerActivityReservationsPerWorkflowTask: number;
    stickyQueueScheduleToStartTimeoutMs: number;
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = EnvSchema.parse(env);
  const blankToUndefined = (s: string | undefined) => (s && s.trim() !== '' ? s.trim() : undefined);
  // The chosen presets' headers; a header variable that is set renames its header (empty: omits it).
  const preset: { sha256Header?: string; hexHeader?: string } = Object.assign({}, ...e.HOOKFERRY_SIGNATURE_PRESETS.map((name) => SIGNATURE_PRESETS[name]));
  const header = (value: string | undefined, fromPreset: string | undefined) => (value === undefined ? fromPreset : blankToUndefined(value));
  return {
    port: e.PORT,
    host: blankToUndefined(e.HOST),
    databaseUrl: e.DATABASE_URL,
    temporalAddress: blankToUndefined(e.TEMPORAL_ADDRESS),
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.HOOKFERRY_TASK_QUEUE,
    temporalUiUrl: e.TEMPORAL_UI_URL.replace(/\/$/, ''),
    publicUrl: (e.HOOKFERRY_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    adminKey: blankToUndefined(e.HOOKFERRY_ADMIN_KEY),
    smtpUrl: blankToUndefined(e.SMTP_URL),
    smtpFrom: e.SMTP_FROM,
    allowedCidrs: e.HOOKFERRY_ALLOWED_CIDRS,
    presets: parsePresetList(e.HOOKFERRY_PRESETS),
    failureThreshold: Math.max(1, e.HOOKFERRY_FAILURE_THRESHOLD),
    attemptTimeoutMs: e.HOOKFERRY_ATTEMPT_TIMEOUT_MS,
    retryDelayScale: e.HOOKFERRY_RETRY_DELAY_SCALE,
    maxRetryAfterMs: e.HOOKFERRY_MAX_RETRY_AFTER_MS,
    maxPayloadBytes: e.HOOKFERRY_MAX_PAYLOAD_BYTES,
    maxJsonDepth: e.HOOKFERRY_MAX_JSON_DEPTH,
    maxBatchBytes: e.HOOKFERRY_MAX_BATCH_BYTES,
    maxResponseBytes: e.HOOKFERRY_MAX_RESPONSE_BYTES,
    deliveryCost: e.HOOKFERRY_DELIVERY_COST,
    sha256SignatureHeader: header(e.HOOKFERRY_SHA256_SIGNATURE_HEADER, preset.sha256Header),
    hexSignatureHeader: header(e.HOOKFERRY_HEX_SIGNATURE_HEADER, preset.hexHeader),
    secretRotationGraceMs: e.HOOKFERRY_SECRET_ROTATION_GRACE_MS,
    secretKeys: parseKeyRing(e.HOOKFERRY_SECRETS_KEY, e.HOOKFERRY_SECRETS_OLD_KEYS),
    heldRecheckMs: e.HOOKFERRY_HELD_RECHECK_MS,
    rateLimitPerMinute: e.HOOKFERRY_RATE_LIMIT_PER_MINUTE,
    apiKeyCacheMs: e.HOOKFERRY_API_KEY_CACHE_MS,
    dispatchWindowMs: e.HOOKFERRY_DISPATCH_WINDOW_MS,
    dispatchMaxEvents: e.HOOKFERRY_DISPATCH_MAX_EVENTS,
    deliveryWorkflows: e.HOOKFERRY_DELIVERY_WORKFLOWS,
    firstAttemptConcurrency: e.HOOKFERRY_FIRST_ATTEMPT_CONCURRENCY,
    endpointConcurrency: e.HOOKFERRY_ENDPOINT_CONCURRENCY,
    slowEndpointConcurrency: e.HOOKFERRY_SLOW_ENDPOINT_CONCURRENCY,
    slowEndpointsTotal: e.HOOKFERRY_SLOW_ENDPOINTS_TOTAL,
    slowEndpointMs: e.HOOKFERRY_SLOW_ENDPOINT_MS,
    reconcileIntervalMs: e.HOOKFERRY_RECONCILE_INTERVAL_MS,
    reconcileMarginMs: e.HOOKFERRY_RECONCILE_MARGIN_MS,
    logLevel: e.LOG_LEVEL,
    metricsPort: e.HOOKFERRY_METRICS_PORT,
    metricsAllowCidrs: e.HOOKFERRY_METRICS_ALLOW_CIDRS,
    metricsToken: blankToUndefined(e.HOOKFERRY_METRICS_TOKEN),
    temporalMetricsAddress: blankToUndefined(e.HOOKFERRY_TEMPORAL_METRICS_ADDRESS),
    backlogSampleMs: e.HOOKFERRY_BACKLOG_SAMPLE_MS,
    worker: {
      maxConcurrentActivityTaskExecutions: e.HOOKFERRY_WORKER_MAX_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: e.HOOKFERRY_WORKER_MAX_WORKFLOW_TASKS,
      maxCachedWorkflows: e.HOOKFERRY_WORKER_MAX_CACHED_WORKFLOWS,
      maxEagerActivityReservationsPerWorkflowTask: e.HOOKFERRY_WORKER_MAX_EAGER_ACTIVITIES,
      stickyQueueScheduleToStartTimeoutMs: e.HOOKFERRY_WORKER_STICKY_TIMEOUT_MS,
    },
  };
}
