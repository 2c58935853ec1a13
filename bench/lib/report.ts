// The table printed at the end of a run: every figure of the JSON that a reader compares, and
// issue 14's targets.
import type { BenchResult, CpuPerDelivery, RampStep, SlowEndpointRun, ThroughputResult, Topology } from './types';

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

const yes = (b: boolean | null) => (b === null ? 'n/a' : b ? 'yes' : 'NO');
const fmt = (n: number) => n.toLocaleString('en-US');
/** worker / api / temporal / pg = total; with the cluster server, temporal + its PostgreSQL backends. */
const cpuSplit = (c: CpuPerDelivery) =>
  `${c.worker} / ${c.api} / ${c.temporal}${c.temporalPostgres === undefined ? '' : ` + ${c.temporalPostgres}`} / ${c.postgres} = ${c.total}`;
const cpuLegend = (cluster: boolean) => (cluster ? 'worker / api / temporal + its pg / pg = total' : 'worker / api / temporal / pg = total');

/** "the Temporal dev server, 1 worker" */
export function topologyLabel(t: Pick<Topology, 'temporal' | 'workers'>): string {
  return `${t.temporal === 'cluster' ? 'the Temporal server on PostgreSQL' : 'the Temporal dev server'}, ${t.workers} worker${t.workers === 1 ? '' : 's'}`;
}

function holdLine(t: ThroughputResult | null): string {
  if (!t) return 'not run';
  const held = t.sustainedDeliveriesPerSecond > 0 ? `${t.sustainedDeliveriesPerSecond} held ${t.heldSeconds} s` : `not held (${t.hold.deliveredPerSecond}/s delivered at ${t.hold.targetRate}/s offered)`;
  return `${held}; API p50 / p99 ${t.hold.apiP50Ms} / ${t.hold.apiP99Ms} ms per request`;
}

function rampTable(t: ThroughputResult, cluster: boolean): string {
  return table(
    ['Step', 'Target/s', 'Delivered/s', 'Backlog end', 'Slope/s', 'API p50 / p99 ms', 'Held', `CPU ms/delivery ${cpuLegend(cluster)}`, 'Machine cores'],
    [...t.ramp, t.hold].map((s: RampStep) => [
      s.label,
      s.targetRate,
      s.deliveredPerSecond,
      s.backlogEnd,
      s.backlogSlopePerSecond,
      `${s.apiP50Ms} / ${s.apiP99Ms}`,
      s.sustained ? 'yes' : 'no',
      cpuSplit(s.cpuMsPerDelivery),
      (s.cores.machine ?? 0).toFixed(2),
    ]),
  );
}

export function renderTable(r: BenchResult): string {
  const m = r.meta.machine;
  const out: string[] = [];
  const topology = r.meta.topology;
  const cluster = topology.temporal === 'cluster';
  out.push('', `## Hookferry benchmark (${r.meta.mode}, HOOKFERRY_DELIVERY_WORKFLOWS=${r.meta.deliveryWorkflows}) on ${topologyLabel(topology)} — ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${r.meta.startedAt}`, '');
  out.push(
    `API per-key rate limit on (${fmt(r.meta.apiRateLimitPerMinute)}/min, far above the load); HOOKFERRY_FAILURE_THRESHOLD=${fmt(r.meta.failureThreshold)} (auto-disable out of the way); ` +
      `load generator open loop over ${r.meta.loadConnections} keep-alive connections, latencies from each request's due time.`,
  );
  if (cluster) {
    out.push(
      '',
      `Temporal: temporal-server on PostgreSQL (databases ${topology.temporalDatabases.join(', ')}, ${topology.temporalDbMaxConns} connections per store and service); ` +
        `"its pg" is the CPU of the PostgreSQL backends connected to those databases, "pg" that of the backends of Hookferry's database; both count in the total.`,
    );
  }
  if (topology.workers > 1) out.push('', `Worker figures are the sum over the ${topology.workers} worker processes (each on its own under Resources).`);
  if (r.meta.mode === 'quick') out.push('', 'Quick run: every section at small scale; the figures are not the targets\' figures.');
  if (r.meta.mode === 'topologies') out.push('', 'Topology plan: the single-event ramp and hold, latency at 50% and fan-out only.');
  out.push('');
  const s = r.singleEvent;
  const b = r.batch;
  const half = r.latency.find((l) => l.fraction === 0.5);
  const slow = r.slowEndpoints;
  const biggestFanOut = r.fanOut[r.fanOut.length - 1];
  const rows: Array<Array<string | number>> = [
    ['Single-event ingestion (POST /v1/events): deliveries/s', holdLine(s)],
    ['Batch ingestion (POST /v1/events/batch, 100 events a request): deliveries/s', holdLine(b)],
  ];
  if (s) rows.push([`CPU ms per delivery at the single-event hold (${cpuLegend(cluster)})`, `${cpuSplit(s.hold.cpuMsPerDelivery)} → ~${fmt(s.projectedOnIdleMachine)}/s if the ${m.cores} cores were Hookferry's alone`]);
  if (b) rows.push([`CPU ms per delivery at the batch hold (${cpuLegend(cluster)})`, `${cpuSplit(b.hold.cpuMsPerDelivery)} → ~${fmt(b.projectedOnIdleMachine)}/s if the ${m.cores} cores were Hookferry's alone`]);
  if (half) rows.push(['At 50% load: ingest → first arrival p99; API p99', `${half.p99Ms} ms; ${half.apiP99Ms} ms (at ${half.rate}/s)`]);
  if (slow) rows.push([`Healthy endpoints, ${Math.round(slow.hangingFraction * 100)}% hanging: p99; deliveries/s`, `${slow.withHanging.healthy.p99Ms} ms (without hanging: ${slow.withoutHanging.healthy.p99Ms} ms); ${slow.withHanging.healthy.deliveriesPerSecond}/s (without: ${slow.withoutHanging.healthy.deliveriesPerSecond}/s)`]);
  if (biggestFanOut) rows.push([`Fan-out to ${fmt(biggestFanOut.endpoints)} endpoints`, `${biggestFanOut.complete ? `all in ${fmt(Math.round(biggestFanOut.timeToAllMs))} ms` : `${fmt(biggestFanOut.delivered)} delivered, incomplete`}, ${biggestFanOut.limitErrors} limit errors`]);
  if (s) rows.push(['Deliveries in the single-event section', `${fmt(s.totalDelivered)} of ${fmt(s.totalEvents)} (whole run: ${fmt(r.deliveriesInRun)})`]);
  if (s && b) rows.push(['Deliveries handed to a workflow of their own, single-event / batch section', `${fmt(s.deliveriesWithOwnWorkflow)} / ${fmt(b.deliveriesWithOwnWorkflow)}`]);
  if (r.baseline) {
    rows.push(['Baseline: undici → receiver, signed POSTs/s', `${fmt(Math.round(r.baseline.requestsPerSecond))} (${r.baseline.concurrency} in flight, ${r.baseline.connections} connections)`]);
    rows.push(['Hookferry single-event / baseline', `${((r.ratioToBaseline ?? 0) * 100).toFixed(2)} %`]);
  }
  if (r.workflowShape) rows.push(['Dispatch workflows (single-event section)', `${fmt(r.workflowShape.dispatchWorkflows)}: ${r.workflowShape.eventsPerDispatch} events and ${r.workflowShape.dispatchHistoryEvents} history events each`]);
  rows.push(['Signatures verified / bad / duplicates', `${fmt(r.receiver.verified)} / ${r.receiver.badSignatures} / ${r.receiver.duplicates}`]);
  rows.push(['Temporal limit errors seen', r.limitErrors]);
  rows.push(['Events whose dispatch the API could not start in time (left to the reconciler)', r.eventsLeftToReconciler]);
  out.push(table(['Measure', 'Value'], rows));

  if (s) out.push('', '### Single-event ingestion (POST /v1/events): ramp, then the hold', '', rampTable(s, cluster));
  if (b) out.push('', `### Batch ingestion (POST /v1/events/batch, ${b.eventsPerRequest} events a request): ramp, then the hold (rates in events/s, API times per request)`, '', rampTable(b, cluster));
  if (r.latency.length > 0) {
    out.push('', '### Latency at fractions of the single-event sustained rate: ingest → first attempt at the receiver, and the API\'s answer', '');
    out.push(table(['Load', 'Rate/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'API p50 ms', 'API p99 ms', 'Lost'], r.latency.map((l) => [`${l.fraction * 100}%`, l.rate, l.p50Ms, l.p95Ms, l.p99Ms, l.maxMs, l.apiP50Ms, l.apiP99Ms, l.lost])));
  }
  if (slow) {
    const w = slow.withoutHanging;
    const h = slow.withHanging;
    out.push(
      '',
      `### Slow endpoints: ${slow.endpoints} teams with one webhook each, ${slow.rate} events/s round-robin through the API; in the second run ${h.hangingEndpoints} of them hang until the attempt timeout (${slow.attemptTimeoutMs / 1000} s)`,
      '',
    );
    const pair = (f: (x: SlowEndpointRun) => string | number): [string | number, string | number] => [f(w), f(h)];
    out.push(
      table(
        [`The ${h.healthy.endpoints} endpoints that answer at once in both runs`, 'Without hanging endpoints', `${Math.round(slow.hangingFraction * 100)}% hanging`],
        [
          ['ingest → arrival p50 ms', ...pair((x) => x.healthy.p50Ms)],
          ['ingest → arrival p95 ms', ...pair((x) => x.healthy.p95Ms)],
          ['ingest → arrival p99 ms', ...pair((x) => x.healthy.p99Ms)],
          ['ingest → arrival max ms', ...pair((x) => x.healthy.maxMs)],
          ['deliveries/s while sending', ...pair((x) => x.healthy.deliveriesPerSecond)],
          ['events / not delivered', ...pair((x) => `${fmt(x.healthy.events)} / ${x.healthy.lost}`)],
          ['attempts left hanging (all endpoints)', ...pair((x) => x.hangingAttempts)],
          ['deliveries in a workflow of their own, healthy / hanging endpoints', ...pair((x) => `${x.deliveriesWithOwnWorkflow.healthy} / ${x.deliveriesWithOwnWorkflow.hanging}`)],
          ['API p99 ms', ...pair((x) => x.apiP99Ms)],
          ['machine cores', ...pair((x) => (x.cores.machine ?? 0).toFixed(2))],
        ],
      ),
    );
    out.push(
      '',
      `Healthy throughput with hanging endpoints: ${(slow.healthyThroughputRatio * 100).toFixed(1)} % of the run without. The hanging webhooks were then disabled through the API: ` +
        (slow.hangingCleared ? `no attempt to them open after ${slow.clearSeconds} s.` : `attempts still OPEN after ${slow.clearSeconds} s (later sections disturbed).`),
    );
  }
  if (r.fanOut.length > 0) {
    out.push('', '### Fan-out, one event to N endpoints', '');
    out.push(
      table(
        ['Endpoints', 'First ms', 'All ms', 'Deliveries/s', `CPU ms/delivery ${cpuLegend(cluster)}`, 'Limit errors', 'Complete'],
        r.fanOut.map((f) => [fmt(f.endpoints), f.timeToFirstMs, f.timeToAllMs, f.deliveriesPerSecond, cpuSplit(f.cpuMsPerDelivery), f.limitErrors, f.complete ? 'yes' : 'NO']),
      ),
    );
  }
  out.push('', '### Resources over the whole run', '');
  out.push(table(['Process', 'Peak RSS MB', 'Peak PSS MB', 'CPU s', 'Mean cores', 'Peak cores'], Object.entries(r.resources).map(([k, v]) => [k, v.peakRssMB, v.peakPssMB, v.cpuSeconds, v.meanCores, v.peakCores])));
  const idleTemporalPg = cluster ? ` (+ ${r.idleCores.temporalPostgres ?? 0} its PostgreSQL)` : '';
  out.push('', `Idle stack (nothing to deliver): worker ${r.idleCores.worker ?? 0}, Temporal ${r.idleCores.temporal ?? 0}${idleTemporalPg}, API ${r.idleCores.api ?? 0}, PostgreSQL ${r.idleCores.postgres ?? 0} cores.`);
  if (Object.keys(r.latencyBreakdownMs).length > 0) {
    out.push('', '### Where an event\'s time goes at 50% load (median ms per hop, from Temporal histories)', '');
    out.push(table(['Hop', 'ms'], Object.entries(r.latencyBreakdownMs).map(([k, v]) => [k, v])));
  }
  out.push('', '### Targets (issue 14: this machine, load generator and receiver included)', '');
  out.push(table(['Target', 'Measured', 'Met'], Object.values(r.targets).map((t) => [t.target, t.measured, yes(t.met)])));
  out.push('', `(${r.meta.note})`, '');
  return out.join('\n') + '\n';
}
