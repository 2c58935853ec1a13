import { useEffect, useId, useMemo, useRef, useState } from 'react';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { ATTEMPT_OUTCOMES, type AttemptOutcome, type DeliveryStats, type StatsWindow } from '../api';
import { formatDuration } from '../format';
import { useInterval, useLoader } from '../hooks';
import { useSession } from '../session';
import { ErrorBanner, Loading } from './common';

// Only the pieces the two charts use, so the bundle carries no more of Chart.js than that.
Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

const WINDOWS: Array<{ value: StatsWindow; label: string }> = [
  { value: 'hour', label: 'Last hour' },
  { value: 'day', label: 'Last day' },
  { value: 'week', label: 'Last week' },
];

const OUTCOME_STYLE: Record<AttemptOutcome, { label: string; color: string }> = {
  '2xx': { label: '2xx', color: '#2f8f4e' },
  redirect: { label: 'Redirect (3xx)', color: '#8c6bb1' },
  '4xx': { label: '4xx', color: '#e0a030' },
  '5xx': { label: '5xx', color: '#c0392b' },
  timeout: { label: 'Timeout', color: '#7f4f24' },
  network: { label: 'Network error', color: '#4b5563' },
  blocked_address: { label: 'Blocked address', color: '#1f2937' },
  internal_error: { label: 'Not recorded', color: '#9ca3af' },
};

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`);

function intervalLabel(iso: string, window: StatsWindow): string {
  const d = new Date(iso);
  if (window === 'week') return d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/**
 * Attempts per interval by outcome (stacked bars, with the success rate as a line) and attempt
 * latency p50/p95, for one webhook or the whole team, over the last hour, day or week. The same
 * figures are in a table below the charts, for screen readers and exact numbers.
 */
export function DeliveryStatsPanel(props: { webhookId?: string; title?: string }) {
  const { api } = useSession();
  const [range, setRange] = useState<StatsWindow>('hour');
  const stats = useLoader<DeliveryStats>(() => api.deliveryStats({ window: range, webhookId: props.webhookId }), [api, range, props.webhookId]);
  useInterval(() => stats.reload(), 15_000, true);
  const headingId = useId();
  const s = stats.data;
  // Built once per answer: a chart is redrawn only when its figures change.
  const charts = useMemo(() => (s ? { outcomes: outcomeChart(s), latency: latencyChart(s) } : undefined), [s]);

  return (
    <section className="card stats-panel" aria-labelledby={headingId} data-testid="delivery-stats" data-attempts={s?.totals.attempts ?? ''}>
      <div className="card-header">
        <h2 id={headingId}>{props.title ?? 'Delivery statistics'}</h2>
        <div className="segmented" role="group" aria-label="Time window">
          {WINDOWS.map((w) => (
            <button key={w.value} type="button" className="button button-small" aria-pressed={range === w.value} onClick={() => setRange(w.value)}>
              {w.label}
            </button>
          ))}
        </div>
      </div>
      <ErrorBanner title="Could not load the statistics." error={stats.error} onRetry={() => void stats.reload()} />
      {!s ? (
        !stats.error && <Loading label="Loading statistics…" />
      ) : (
        <>
          <dl className="stats-totals">
            <div>
              <dt>Attempts</dt>
              <dd data-testid="stats-attempts">{s.totals.attempts.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Success rate</dt>
              <dd data-testid="stats-success-rate">{percent(s.totals.successRate)}</dd>
            </div>
            <div>
              <dt>Latency p50</dt>
              <dd>{formatDuration(s.totals.latencyP50Ms)}</dd>
            </div>
            <div>
              <dt>Latency p95</dt>
              <dd>{formatDuration(s.totals.latencyP95Ms)}</dd>
            </div>
          </dl>
          {s.totals.attempts === 0 || !charts ? (
            <p className="empty">No attempts in this window.</p>
          ) : (
            <div className="stats-charts">
              <StatsChart label="Attempts by outcome and success rate" config={charts.outcomes} testId="chart-outcomes" />
              <StatsChart label="Attempt latency p50 and p95" config={charts.latency} testId="chart-latency" />
            </div>
          )}
          <StatsTable stats={s} />
        </>
      )}
    </section>
  );
}

function outcomeChart(s: DeliveryStats): ChartConfiguration<'bar' | 'line'> {
  const labels = s.intervals.map((i) => intervalLabel(i.start, s.window));
  // Only outcomes that occurred get a legend entry.
  const present = ATTEMPT_OUTCOMES.filter((o) => s.totals.outcomes[o] > 0);
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        ...present.map((o) => ({
          type: 'bar' as const,
          label: OUTCOME_STYLE[o].label,
          data: s.intervals.map((i) => i.outcomes[o]),
          backgroundColor: OUTCOME_STYLE[o].color,
          stack: 'attempts',
          yAxisID: 'y',
          order: 2,
        })),
        {
          type: 'line' as const,
          label: 'Success rate',
          data: s.intervals.map((i) => (i.successRate === null ? null : Math.round(i.successRate * 1000) / 10)),
          borderColor: '#1f5fbf',
          backgroundColor: '#1f5fbf',
          pointRadius: 2,
          borderWidth: 2,
          spanGaps: true,
          yAxisID: 'rate',
          order: 1,
        },
      ],
    },
    options: {
      ...baseOptions(),
      scales: {
        x: { stacked: true, ticks: { maxTicksLimit: 8, autoSkip: true, maxRotation: 0 }, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: 'attempts' }, ticks: { precision: 0 } },
        rate: { position: 'right', min: 0, max: 100, title: { display: true, text: 'success %' }, grid: { drawOnChartArea: false } },
      },
    },
  };
}

function latencyChart(s: DeliveryStats): ChartConfiguration<'line'> {
  return {
    type: 'line',
    data: {
      labels: s.intervals.map((i) => intervalLabel(i.start, s.window)),
      datasets: [
        { label: 'p50', data: s.intervals.map((i) => i.latencyP50Ms), borderColor: '#2f8f4e', backgroundColor: '#2f8f4e', spanGaps: true, pointRadius: 2, borderWidth: 2 },
        { label: 'p95', data: s.intervals.map((i) => i.latencyP95Ms), borderColor: '#c0392b', backgroundColor: '#c0392b', spanGaps: true, pointRadius: 2, borderWidth: 2 },
      ],
    },
    options: {
      ...baseOptions(),
      scales: {
        x: { ticks: { maxTicksLimit: 8, autoSkip: true, maxRotation: 0 }, grid: { display: false } },
        y: { beginAtZero: true, title: { display: true, text: 'ms' } },
      },
    },
  };
}

function baseOptions() {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    interaction: { mode: 'index' as const, intersect: false },
    plugins: { legend: { position: 'bottom' as const, labels: { boxWidth: 12 } } },
  };
}

/** One Chart.js chart on a canvas, rebuilt when its configuration changes. */
function StatsChart(props: { label: string; config: ChartConfiguration<'bar' | 'line'> | ChartConfiguration<'line'>; testId: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { config } = props;
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, config as ChartConfiguration);
    return () => chart.destroy();
  }, [config]);
  return (
    <figure className="stats-chart">
      <figcaption>{props.label}</figcaption>
      <div className="stats-chart-canvas">
        <canvas ref={canvas} role="img" aria-label={`${props.label} (the table below has the numbers)`} data-testid={props.testId} />
      </div>
    </figure>
  );
}

function StatsTable(props: { stats: DeliveryStats }) {
  const s = props.stats;
  const rows = s.intervals.filter((i) => i.attempts > 0);
  const present = ATTEMPT_OUTCOMES.filter((o) => s.totals.outcomes[o] > 0);
  if (rows.length === 0) return null;
  return (
    <details className="stats-table">
      <summary>Show the numbers ({rows.length} {rows.length === 1 ? 'interval' : 'intervals'} with attempts)</summary>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Interval from</th>
              <th scope="col">Attempts</th>
              {present.map((o) => (
                <th scope="col" key={o}>
                  {OUTCOME_STYLE[o].label}
                </th>
              ))}
              <th scope="col">Success rate</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i.start} data-testid="stats-row">
                <td>{new Date(i.start).toLocaleString()}</td>
                <td>{i.attempts}</td>
                {present.map((o) => (
                  <td key={o}>{i.outcomes[o]}</td>
                ))}
                <td>{percent(i.successRate)}</td>
                <td>{formatDuration(i.latencyP50Ms)}</td>
                <td>{formatDuration(i.latencyP95Ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
