import { collectDefaultMetrics, Registry } from 'prom-client';

// Hookferry's Prometheus metrics live in three registries, so each process exposes what it does:
// the API process `process` + `api`, a worker process `process` + `worker` (+ the Temporal SDK's own
// metrics, src/metrics/temporalRuntime.ts), `npm start` (both in one process) all of them.
// Labels never carry webhook, team or event ids: every label has a small fixed set of values.

export const registries = {
  /** Node.js process metrics (CPU, memory, event-loop lag, GC) and metrics both roles record. */
  process: new Registry(),
  /** Ingestion and HTTP (src/metrics/api.ts). */
  api: new Registry(),
  /** Deliveries, health, backlog and engine (src/metrics/worker.ts). */
  worker: new Registry(),
};

export type Role = 'api' | 'worker';

let processMetricsOn = false;

/** Starts collecting the Node.js process metrics (once per process; only where metrics are served). */
export function enableProcessMetrics(): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  collectDefaultMetrics({ register: registries.process });
}

/** The Prometheus text of the given roles' registries, plus `extra` text (the Temporal SDK's metrics). */
export async function renderMetrics(roles: Role[], extra?: () => Promise<string>): Promise<string> {
  const parts = [await registries.process.metrics()];
  for (const role of roles) parts.push(await registries[role].metrics());
  if (extra) parts.push(await extra());
  return parts.map((p) => p.trimEnd()).filter((p) => p.length > 0).join('\n') + '\n';
}

export const METRICS_CONTENT_TYPE = registries.process.contentType;
