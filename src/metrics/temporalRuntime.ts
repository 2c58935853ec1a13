import net from 'node:net';
import type { TelemetryOptions } from '@temporalio/worker';

// The Temporal SDK's own worker metrics (task slots, poll and schedule-to-start latencies, sticky
// cache, activity and workflow task outcomes) come from its native runtime, which serves them in
// Prometheus format on an address of its own. A worker binds it to a free loopback port and
// appends that text to its /metrics, so one scrape target carries both; operators who prefer to
// scrape it directly set HOOKFERRY_TEMPORAL_METRICS_ADDRESS (e.g. 0.0.0.0:9465).

/** The address the runtime's exporter binds: the configured one, else a free loopback port. */
export async function temporalMetricsAddress(configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const port = await new Promise<number>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  return `127.0.0.1:${port}`;
}

/** Telemetry options for Runtime.install: Prometheus names with units and the _total suffix. */
export function temporalTelemetry(bindAddress: string): TelemetryOptions {
  return { metrics: { prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } };
}

const UP = 'hookferry_temporal_sdk_metrics_up';

/**
 * Reads the runtime exporter's text, to append to /metrics. Never fails: when the exporter does
 * not answer, the scrape still succeeds and hookferry_temporal_sdk_metrics_up says 0.
 */
export function temporalMetricsText(bindAddress: string): () => Promise<string> {
  const [host, port] = splitHostPort(bindAddress);
  const url = `http://${host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  const up = (value: 0 | 1) => `# HELP ${UP} Whether the Temporal SDK's metrics could be read for this scrape\n# TYPE ${UP} gauge\n${UP} ${value}\n`;
  return async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (!res.ok) return up(0);
      return `${(await res.text()).trimEnd()}\n${up(1)}`;
    } catch {
      return up(0);
    }
  };
}

function splitHostPort(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), address.slice(i + 1)];
}
