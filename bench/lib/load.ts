// Open-loop event ingestion through the public API at a target rate of events: one event per
// request (POST /v1/events) or many (POST /v1/events/batch). Arrivals at the receiver are
// matched to what was sent, so each section knows its backlog without rescanning every event.
import { Pool } from 'undici';
import { percentile } from '../../scripts/lib/percentile';
import { nowMs } from './clock';

/** First arrival of every event at the receiver (monotonic ms), pulled from the receiver process. */
export class Arrivals {
  private readonly firstAt = new Map<string, number>();
  private readonly listeners: Array<(id: string) => void> = [];

  constructor(private readonly drainFirsts: () => Promise<Array<[string, number]>>) {}

  /** Fetches the arrivals the receiver saw since the last pull. */
  async pull(): Promise<void> {
    for (const [id, at] of await this.drainFirsts()) {
      if (this.firstAt.has(id)) continue;
      this.firstAt.set(id, at);
      for (const listener of this.listeners) listener(id);
    }
  }

  get(id: string): number | undefined {
    return this.firstAt.get(id);
  }

  has(id: string): boolean {
    return this.firstAt.has(id);
  }

  get size(): number {
    return this.firstAt.size;
  }

  onArrival(listener: (id: string) => void): void {
    this.listeners.push(listener);
  }
}

export interface IngestTotals {
  requests: number;
  /** Events sent, accepted (202, or 202 in a batch's results), failed and skipped. */
  sent: number;
  accepted: number;
  failed: number;
  /** Events not sent because too many requests were already open (the API fell behind). */
  skipped: number;
}

/** An event the API accepted: when its request was due, and which sender (API key) sent it. */
export interface AcceptedEvent {
  id: string;
  sentAt: number;
  sender: number;
}

/** Who sends a request: an index the section uses to tell its senders apart, and their API key. */
export interface Sender {
  sender: number;
  apiKey: string;
}

export interface IngestorOptions {
  apiUrl: string;
  apiKey: string;
  eventType: string;
  payloadBytes: number;
  arrivals: Arrivals;
  /** 1: POST /v1/events; more: POST /v1/events/batch with this many events per request. */
  eventsPerRequest?: number;
  /**
   * Keep-alive connections to the API. A producer's HTTP client keeps a few open; requests
   * beyond them wait in the client, and that wait counts in the API latency (it is measured
   * from when the request was due), so a slow API cannot hide behind more connections.
   */
  connections?: number;
  /** Requests open at once (on a connection or waiting for one); a send due beyond this is skipped and counted. */
  maxInFlightRequests?: number;
}

export class Ingestor {
  private readonly pool: Pool;
  readonly totals: IngestTotals = { requests: 0, sent: 0, accepted: 0, failed: 0, skipped: 0 };
  /** Accepted events in the order they were accepted (a section remembers where its phase began). */
  readonly accepted: AcceptedEvent[] = [];
  /** Event id → monotonic ms when its request was due. */
  readonly sentAt = new Map<string, number>();
  readonly eventsPerRequest: number;
  private readonly apiKey: string;
  private readonly eventType: string;
  private readonly arrivals: Arrivals;
  private readonly maxInFlightRequests: number;
  private readonly filler: string;
  private arrivedCount = 0;
  private inFlightRequests = 0;
  private inFlightEvents = 0;
  private eventNumber = 0;
  private readonly apiLatencies: number[] = [];
  private lastError = '';

  constructor(opts: IngestorOptions) {
    this.eventsPerRequest = opts.eventsPerRequest ?? 1;
    this.apiKey = opts.apiKey;
    this.eventType = opts.eventType;
    this.arrivals = opts.arrivals;
    this.maxInFlightRequests = opts.maxInFlightRequests ?? 256;
    this.pool = new Pool(opts.apiUrl, { connections: opts.connections ?? 32, pipelining: 1, keepAliveTimeout: 30_000 });
    this.filler = 'x'.repeat(Math.max(0, opts.payloadBytes - 200));
    this.arrivals.onArrival((id) => {
      if (this.sentAt.has(id)) this.arrivedCount++;
    });
  }

  get lastErrorText(): string {
    return this.lastError;
  }

  /** Accepted events that have not arrived yet. */
  missing(): number {
    return this.accepted.length - this.arrivedCount;
  }

  /** Events sent and not arrived yet: accepted and on their way, or still in a request. */
  backlog(): number {
    return this.missing() + this.inFlightEvents;
  }

  private body(): string {
    const event = () => ({ event: this.eventType, data: { n: this.eventNumber++, filler: this.filler } });
    if (this.eventsPerRequest === 1) return JSON.stringify(event());
    return JSON.stringify({ events: Array.from({ length: this.eventsPerRequest }, event) });
  }

  private accept(id: string, sentAt: number, sender: number): void {
    this.totals.accepted++;
    this.sentAt.set(id, sentAt);
    this.accepted.push({ id, sentAt, sender });
    // It may have arrived before its answer was read.
    if (this.arrivals.has(id)) this.arrivedCount++;
  }

  /**
   * Sends one request (one event, or a batch) that was due at `dueAt` (monotonic ms); resolves
   * with the ids the API accepted.
   */
  async send(dueAt: number, from: Sender = { sender: 0, apiKey: this.apiKey }): Promise<string[]> {
    const events = this.eventsPerRequest;
    this.inFlightRequests++;
    this.inFlightEvents += events;
    this.totals.requests++;
    this.totals.sent += events;
    try {
      const res = await this.pool.request({
        path: events === 1 ? '/v1/events' : '/v1/events/batch',
        method: 'POST',
        headers: { authorization: `Bearer ${from.apiKey}`, 'content-type': 'application/json' },
        body: this.body(),
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      const text = await res.body.text();
      const answeredAt = nowMs();
      if (res.statusCode !== 202 && res.statusCode !== 207) {
        this.totals.failed += events;
        this.lastError = `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
        return [];
      }
      if (this.apiLatencies.length < 500_000) this.apiLatencies.push(answeredAt - dueAt);
      if (events === 1) {
        const id = (JSON.parse(text) as { id: string }).id;
        this.accept(id, dueAt, from.sender);
        return [id];
      }
      const ids: string[] = [];
      for (const r of (JSON.parse(text) as { results: Array<{ status: number; id?: string; error?: { code: string } }> }).results) {
        if (r.status === 202 && r.id) {
          this.accept(r.id, dueAt, from.sender);
          ids.push(r.id);
        } else {
          this.totals.failed++;
          this.lastError = `batch item ${r.status}: ${r.error?.code ?? ''}`;
        }
      }
      return ids;
    } catch (err) {
      this.totals.failed += events;
      this.lastError = String(err);
      return [];
    } finally {
      this.inFlightRequests--;
      this.inFlightEvents -= events;
    }
  }

  /**
   * Sends at `rate` events/s for `durationMs`, in requests of eventsPerRequest events. Open loop:
   * the schedule does not wait for answers, and each request's latency counts from when it was
   * due; a request due while maxInFlightRequests are open is skipped and its events counted.
   * `onTick` runs about once a second; when it returns true the run stops early. `route` picks
   * the sender (API key) of the k-th request.
   */
  async runAtRate(
    rate: number,
    durationMs: number,
    opts: { onTick?: () => boolean | void | Promise<boolean | void>; route?: (k: number) => Sender } = {},
  ): Promise<{ requests: number; sent: number; skipped: number; seconds: number; stoppedEarly: boolean }> {
    const requestsPerSecond = rate / this.eventsPerRequest;
    const total = Math.max(1, Math.round((requestsPerSecond * durationMs) / 1000));
    const intervalMs = 1000 / requestsPerSecond;
    const start = nowMs();
    let k = 0;
    let requests = 0;
    let skipped = 0;
    let lastTick = start;
    let stoppedEarly = false;
    // The tick (pulling arrivals over IPC, …) runs beside the schedule, never holding up a send.
    let ticking = false;
    let tickError: unknown;
    while (k < total && !stoppedEarly && tickError === undefined) {
      const now = nowMs();
      if (now > start + durationMs + 5_000) break; // never run past the window by more than 5 s
      for (; k < total && start + k * intervalMs <= now; k++) {
        if (this.inFlightRequests >= this.maxInFlightRequests) {
          skipped += this.eventsPerRequest;
          this.totals.skipped += this.eventsPerRequest;
          continue;
        }
        requests++;
        void this.send(start + k * intervalMs, opts.route?.(k));
      }
      const onTick = opts.onTick;
      if (onTick && !ticking && now - lastTick >= 1_000) {
        lastTick = now;
        ticking = true;
        void Promise.resolve()
          .then(onTick)
          .then(
            (stop) => {
              if (stop === true) stoppedEarly = true;
            },
            (err: unknown) => (tickError ??= err),
          )
          .finally(() => (ticking = false));
      }
      // Wake for the next due request; at most every 5 ms so ticks stay regular, at least 1 ms apart.
      const nextDue = start + k * intervalMs;
      await new Promise((r) => setTimeout(r, Math.min(5, Math.max(1, nextDue - nowMs()))));
    }
    // Let the last requests (and the last tick) finish (bounded).
    const waitUntil = nowMs() + 30_000;
    while ((this.inFlightRequests > 0 || ticking) && nowMs() < waitUntil) await new Promise((r) => setTimeout(r, 10));
    if (tickError !== undefined) throw tickError;
    return { requests, sent: requests * this.eventsPerRequest, skipped, seconds: (nowMs() - start) / 1000, stoppedEarly };
  }

  /** API response-time percentiles (per request, from when it was due) since the last call, then resets them. */
  takeApiLatency(): { p50: number; p99: number; count: number } {
    const sorted = this.apiLatencies.splice(0).sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), count: sorted.length };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<[number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
