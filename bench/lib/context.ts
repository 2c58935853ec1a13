// What every section of the benchmark shares: the stack, the receiver, the arrivals, CPU
// windows, teams and webhooks, and the ingestors it opened (closed at the end).
import { sql } from 'kysely';
import { newId } from '../../src/ids';
import { nowMs } from './clock';
import { Arrivals, Ingestor, type IngestorOptions } from './load';
import type { ResourceMonitor } from './procstat';
import type { ReceiverHandle } from './receiverClient';
import { BENCH_ADMIN_KEY, type BenchStack } from './stack';
import type { CpuPerDelivery } from './types';
import { storedWebhookSecrets } from '../../src/services/webhookSecrets';

export const EVENT_TYPE = 'prospect.qualified';
export const PAYLOAD_BYTES = 512;
/**
 * The load generator's keep-alive connections to the API, per ingestor: what a producer's HTTP
 * client keeps open, not one per request in flight. Now that the API answers at commit (a few ms),
 * 64 carry well over the target rates; if answers slow down, requests wait for a connection and
 * that wait counts in the API latency (measured from each request's due time).
 */
export const LOAD_CONNECTIONS = 64;
/**
 * The processes whose CPU counts in "CPU per delivery": Hookferry's own, Temporal and PostgreSQL.
 * `temporalPostgres` (the backends of the Temporal server's databases) exists only with
 * `--temporal cluster`: the dev server keeps its SQLite in its own process.
 */
export const COUNTED_PROCESSES = ['worker', 'api', 'temporal', 'temporalPostgres', 'postgres'] as const;
const ONLY_WITH_CLUSTER = 'temporalPostgres';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface CpuWindow {
  /** Mean cores busy per process over the window, plus `machine` (every process on the machine). */
  cores: Record<string, number>;
  cpuSeconds: Record<string, number>;
  seconds: number;
}

/** CPU ms per delivery of each process, and the total over COUNTED_PROCESSES. */
export function cpuPerDelivery(cpuSeconds: Record<string, number>, delivered: number): CpuPerDelivery {
  const out: CpuPerDelivery = {};
  let total = 0;
  for (const k of [...COUNTED_PROCESSES, 'receiver', 'loadgen']) {
    if (k === ONLY_WITH_CLUSTER && !(k in cpuSeconds)) continue;
    const ms = ((cpuSeconds[k] ?? 0) * 1000) / Math.max(1, delivered);
    out[k] = round(ms, 2);
    if ((COUNTED_PROCESSES as readonly string[]).includes(k)) total += ms;
  }
  out.total = round(total, 2);
  return out;
}

export class BenchContext {
  readonly arrivals: Arrivals;
  private readonly ingestors: Ingestor[] = [];

  constructor(
    readonly say: (line: string) => void,
    readonly stack: BenchStack,
    readonly receiver: ReceiverHandle,
    private readonly monitor: ResourceMonitor,
    /** The signing secret of every bench webhook (the receiver verifies with it). */
    readonly secret: string,
    /** Temporal limit errors seen so far in any process's output. */
    readonly limitErrors: () => number,
  ) {
    this.arrivals = new Arrivals(() => receiver.drainFirsts());
  }

  /** Starts measuring CPU; call the result to end the window. */
  cpuWindow(): () => CpuWindow {
    const c0 = this.monitor.cpuNow();
    const m0 = this.monitor.machineBusyNow();
    const t0 = nowMs();
    return () => {
      const c1 = this.monitor.cpuNow();
      const seconds = (nowMs() - t0) / 1000;
      const cores: Record<string, number> = {};
      const cpuSeconds: Record<string, number> = {};
      for (const k of Object.keys(c1)) {
        cpuSeconds[k] = c1[k]! - (c0[k] ?? 0);
        cores[k] = round(cpuSeconds[k]! / seconds, 2);
      }
      cores.machine = round((this.monitor.machineBusyNow() - m0) / seconds, 2);
      return { cores, cpuSeconds, seconds };
    };
  }

  /** A team with plenty of credits, through the admin API. */
  async createTeam(label: string): Promise<{ id: string; apiKey: string }> {
    const res = await fetch(`${this.stack.apiUrl}/admin/v1/teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Bench ${label}`, notificationEmail: 'bench@example.com', credits: 1_000_000_000 }),
    });
    if (res.status !== 201) throw new Error(`creating a team failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string; apiKey: string };
  }

  /** `count` webhooks of one team at `baseUrl/hook/<n>`, rows written straight into the database (fast for thousands). */
  async addWebhooks(teamId: string, count: number, baseUrl = this.receiver.url): Promise<void> {
    for (let i = 0; i < count; i += 1_000) {
      const rows = Array.from({ length: Math.min(1_000, count - i) }, (_, j) => ({
        id: newId('wh'),
        team_id: teamId,
        name: `bench-${i + j}`,
        url: `${baseUrl}/hook/${i + j}`,
        secret: this.secret,
        events: ['*'],
        retry_schedule: JSON.stringify('exponential'),
      }));
      // Stored as the API stores them: the secret sealed under this run's key.
      await this.stack.db.insertInto('webhooks').values(rows.map((r) => storedWebhookSecrets(this.stack.secretKeys, r))).execute();
    }
  }

  /** A call to the team API with a team's key; throws unless it answers `expect`. */
  async teamApi<T>(apiKey: string, method: string, path: string, body: unknown, expect: number): Promise<T> {
    const res = await fetch(`${this.stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status !== expect) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** A load generator of its own for a section (its backlog and latencies are the section's). */
  ingestor(apiKey: string, opts: Pick<IngestorOptions, 'eventsPerRequest' | 'maxInFlightRequests'> = {}): Ingestor {
    const ing = new Ingestor({ apiUrl: this.stack.apiUrl, apiKey, eventType: EVENT_TYPE, payloadBytes: PAYLOAD_BYTES, arrivals: this.arrivals, connections: LOAD_CONNECTIONS, ...opts });
    this.ingestors.push(ing);
    return ing;
  }

  /** Waits until every event `ing` got accepted has arrived (or `ms` passes); returns how many are still missing. */
  async drain(ing: Ingestor, ms: number): Promise<number> {
    const until = nowMs() + ms;
    for (;;) {
      await this.arrivals.pull();
      const missing = ing.missing();
      if (missing === 0) return 0;
      if (nowMs() > until) {
        this.say(`drain: ${missing} events still not arrived after ${Math.round(ms / 1000)}s`);
        return missing;
      }
      await sleep(250);
    }
  }

  /** Waits until each of `ids` has arrived (or `ms` passes); returns how many are still missing. */
  async waitFor(ids: readonly string[], ms: number): Promise<number> {
    const until = nowMs() + ms;
    let pending = [...ids];
    for (;;) {
      await this.arrivals.pull();
      pending = pending.filter((id) => !this.arrivals.has(id));
      if (pending.length === 0 || nowMs() > until) return pending.length;
      await sleep(250);
    }
  }

  /**
   * How many deliveries of these events were handed to a deliverToEndpoint workflow of their own
   * (as-needed: a retry, a hold, a failure, or an endpoint judged slow or busy; every: all of them).
   */
  async deliveriesWithOwnWorkflow(eventIds: readonly string[]): Promise<number> {
    if (eventIds.length === 0) return 0;
    const row = await this.stack.db
      .selectFrom('deliveries')
      .select(sql<number>`count(*)::int`.as('n'))
      .where(sql<boolean>`event_id = any(${[...eventIds]}::text[])`)
      .where('delivery_workflow_id', 'is not', null)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async close(): Promise<void> {
    await Promise.all(this.ingestors.map((i) => i.close().catch(() => undefined)));
  }
}
