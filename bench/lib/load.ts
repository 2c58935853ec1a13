// Open-loop event ingestion through the public API (POST /v1/events) at a target rate.
import { Pool } from 'undici';
import { percentile } from '../../scripts/lib/percentile';
import { nowMs } from './clock';

export interface IngestTotals {
  sent: number;
  accepted: number;
  failed: number;
  /** Sends skipped because too many requests were already in flight (the API fell behind). */
  skipped: number;
}

export class Ingestor {
  private readonly pool: Pool;
  readonly totals: IngestTotals = { sent: 0, accepted: 0, failed: 0, skipped: 0 };
  /** Event id → monotonic ms when its POST was sent. */
  readonly sentAt = new Map<string, number>();
  private inFlight = 0;
  private readonly apiLatencies: number[] = [];
  private lastError = '';
  private readonly filler: string;

  constructor(private readonly apiUrl: string, private readonly apiKey: string, private readonly eventType: string, payloadBytes: number, private readonly maxInFlight = 256) {
    // A connection per request in flight, as from many independent producers: with fewer, the
    // API's answer time (it answers once the event's dispatch has started, ~100 ms under load)
    // caps the rate the generator can offer (connections ÷ answer time), not Hookferry.
    this.pool = new Pool(apiUrl, { connections: maxInFlight, pipelining: 1, keepAliveTimeout: 30_000 });
    this.filler = 'x'.repeat(Math.max(0, payloadBytes - 200));
  }

  get pending(): number {
    return this.inFlight;
  }

  get lastErrorText(): string {
    return this.lastError;
  }

  /** Sends one event; resolves with its id (undefined on failure). */
  async sendOne(n: number, key = this.apiKey): Promise<{ id?: string; sentAt: number }> {
    const sentAt = nowMs();
    this.inFlight++;
    this.totals.sent++;
    try {
      const res = await this.pool.request({
        path: '/v1/events',
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ event: this.eventType, data: { n, filler: this.filler } }),
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      const text = await res.body.text();
      if (res.statusCode !== 202) {
        this.totals.failed++;
        this.lastError = `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
        return { sentAt };
      }
      const id = (JSON.parse(text) as { id: string }).id;
      this.totals.accepted++;
      this.sentAt.set(id, sentAt);
      if (this.apiLatencies.length < 200_000) this.apiLatencies.push(nowMs() - sentAt);
      return { id, sentAt };
    } catch (err) {
      this.totals.failed++;
      this.lastError = String(err);
      return { sentAt };
    } finally {
      this.inFlight--;
    }
  }

  /**
   * Sends at `rate` events/s for `durationMs` (open loop: the schedule does not wait for
   * answers; a send is skipped, and counted, when maxInFlight requests are already open).
   * `onTick` runs about once a second; when it returns true the run stops early.
   */
  async runAtRate(rate: number, durationMs: number, onTick?: () => boolean | void | Promise<boolean | void>): Promise<{ sent: number; skipped: number; seconds: number; stoppedEarly: boolean }> {
    const start = nowMs();
    const end = start + durationMs;
    let due = 0;
    let sent = 0;
    let skipped = 0;
    let lastTick = start;
    const total = Math.round((rate * durationMs) / 1000);
    let n = this.totals.sent;
    let stoppedEarly = false;
    while (sent + skipped < total) {
      const now = nowMs();
      if (now > end + 5_000) break; // never run past the window by more than 5 s
      due = Math.min(total, Math.floor(((now - start) / 1000) * rate) + 1);
      while (sent + skipped < due) {
        if (this.inFlight >= this.maxInFlight) {
          skipped++;
          this.totals.skipped++;
          continue;
        }
        sent++;
        void this.sendOne(n++);
      }
      if (onTick && now - lastTick >= 1_000) {
        lastTick = now;
        if ((await onTick()) === true) {
          stoppedEarly = true;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    // Let the last requests finish (bounded).
    const waitUntil = nowMs() + 30_000;
    while (this.inFlight > 0 && nowMs() < waitUntil) await new Promise((r) => setTimeout(r, 10));
    return { sent, skipped, seconds: (nowMs() - start) / 1000, stoppedEarly };
  }

  /** API response-time percentiles over everything sent so far, then resets them. */
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
