// The table printed at the end of a run.
import type { BenchResult } from './types';

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

const yes = (b: boolean | null) => (b === null ? 'n/a' : b ? 'yes' : 'NO');

export function renderTable(r: BenchResult): string {
  const m = r.meta.machine;
  const out: string[] = [];
  out.push('', `## Hookferry benchmark (${r.meta.mode}, HOOKFERRY_DELIVERY_WORKFLOWS=${r.meta.deliveryWorkflows}) — ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${r.meta.startedAt}`, '');
  out.push(
    table(
      ['Measure', 'Value'],
      [
        ['Sustained deliveries/s (held, backlog flat)', `${r.throughput.sustainedDeliveriesPerSecond} for ${r.throughput.heldSeconds} s`],
        ['CPU per delivery at the hold (worker+API+Temporal+PG)', `${r.throughput.hold.cpuMsPerDelivery} ms → ~${r.throughput.projectedOnIdleMachine}/s if the ${m.cores} cores were Hookferry's alone`],
        ['Deliveries in the throughput test', `${r.throughput.totalDelivered} of ${r.throughput.totalEvents} (whole run: ${r.deliveriesInRun})`],
        ['Baseline: undici → receiver, signed POSTs/s', `${Math.round(r.baseline.requestsPerSecond)} (${r.baseline.concurrency} in flight, ${r.baseline.connections} connections)`],
        ['Hookferry / baseline', `${(r.ratioToBaseline * 100).toFixed(2)} %`],
        ['Dispatch workflows (sustained hold)', `${r.workflowShape.dispatchWorkflows}: ${r.workflowShape.eventsPerDispatch} events and ${r.workflowShape.dispatchHistoryEvents} history events each`],
        ['Signatures verified / bad / duplicates', `${r.receiver.verified} / ${r.receiver.badSignatures} / ${r.receiver.duplicates}`],
        ['Temporal limit errors seen', r.limitErrors],
      ],
    ),
  );
  out.push('', '### Ramp (ingest through POST /v1/events)', '');
  out.push(
    table(
      ['Step', 'Target/s', 'Delivered/s', 'Backlog end', 'Slope/s', 'API p99 ms', 'Held', 'CPU ms/delivery', 'Cores worker/temporal/api/pg/machine'],
      [...r.throughput.ramp, r.throughput.hold].map((s) => [
        s.label,
        s.targetRate,
        s.deliveredPerSecond,
        s.backlogEnd,
        s.backlogSlopePerSecond,
        s.apiP99Ms,
        s.sustained ? 'yes' : 'no',
        s.cpuMsPerDelivery,
        ['worker', 'temporal', 'api', 'postgres', 'machine'].map((k) => (s.cores[k] ?? 0).toFixed(2)).join(' / '),
      ]),
    ),
  );
  out.push('', '### Latency, ingest → first attempt at the receiver', '');
  out.push(table(['Load', 'Rate/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'Lost'], r.latency.map((l) => [`${l.fraction * 100}%`, l.rate, l.p50Ms, l.p95Ms, l.p99Ms, l.maxMs, l.lost])));
  out.push('', '### Fan-out, one event to N endpoints', '');
  out.push(
    table(
      ['Endpoints', 'First ms', 'All ms', 'Deliveries/s', 'CPU ms/delivery (worker/temporal/api/pg = total)', 'Limit errors', 'Complete'],
      r.fanOut.map((f) => [
        f.endpoints,
        f.timeToFirstMs,
        f.timeToAllMs,
        f.deliveriesPerSecond,
        `${f.cpuMsPerDelivery.worker} / ${f.cpuMsPerDelivery.temporal} / ${f.cpuMsPerDelivery.api} / ${f.cpuMsPerDelivery.postgres} = ${f.cpuMsPerDelivery.total}`,
        f.limitErrors,
        f.complete ? 'yes' : 'NO',
      ]),
    ),
  );
  out.push('', '### Resources over the whole run', '');
  out.push(table(['Process', 'Peak RSS MB', 'Peak PSS MB', 'CPU s', 'Mean cores', 'Peak cores'], Object.entries(r.resources).map(([k, v]) => [k, v.peakRssMB, v.peakPssMB, v.cpuSeconds, v.meanCores, v.peakCores])));
  out.push('', `Idle stack (nothing to deliver): worker ${r.idleCores.worker ?? 0}, Temporal ${r.idleCores.temporal ?? 0}, API ${r.idleCores.api ?? 0}, PostgreSQL ${r.idleCores.postgres ?? 0} cores.`);
  out.push('', '### Where an event\'s time goes at 50% load (median ms per hop, from Temporal histories)', '');
  out.push(table(['Hop', 'ms'], Object.entries(r.latencyBreakdownMs).map(([k, v]) => [k, v])));
  out.push('', '### Targets', '');
  out.push(
    table(
      ['Target', 'Met'],
      [
        ['best rate held ≥ 60 s, backlog flat', yes(r.targets.heldAtLeast60s ?? null)],
        ['≥ 20,000 deliveries in the throughput test', yes(r.targets.throughputTotalAtLeast20000 ?? null)],
        ['≥ 150 deliveries/s sustained', yes(r.targets.sustainedAtLeast150 ?? null)],
        ['goal: 1,000 deliveries/s', yes(r.targets.sustainedGoal1000 ?? null)],
        ['p99 ≤ 500 ms at 50% load', yes(r.targets.p99AtHalfUnder500ms ?? null)],
        ['1,000 endpoints in ≤ 20 s', yes(r.targets.fanOut1000Under20s ?? null)],
        ['5,000 endpoints, no limit errors', yes(r.targets.fanOut5000NoLimitErrors ?? null)],
      ],
    ),
  );
  out.push('', `(${r.meta.note})`, '');
  return out.join('\n') + '\n';
}
