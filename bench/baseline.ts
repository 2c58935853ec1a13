// The physical limit for signed POSTs on this machine: a plain Node HTTP client (undici) that
// signs each request exactly as Hookferry does (src/domain/signatures.ts) and drives the same
// receiver at the same concurrency. Run as its own process (forked) so, like the worker, it has
// an event loop of its own; sends its result over IPC.
import { Agent } from 'undici';
import { randomBytes } from 'node:crypto';
import { percentile } from '../scripts/lib/percentile';
import { signatureHeaders } from '../src/domain/signatures';
import { nowMs } from './lib/clock';

export interface BaselineInput {
  url: string;
  secret: string;
  /** Requests in flight at once (queued on the agent's connections like the worker's). */
  concurrency: number;
  /** TCP connections to the receiver (the worker's undici agent uses the same number). */
  connections: number;
  durationMs: number;
  maxRequests: number;
  payloadBytes: number;
}

export interface BaselineResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

async function run(input: BaselineInput): Promise<BaselineResult> {
  const agent = new Agent({ connections: input.connections, pipelining: 1, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 });
  const url = new URL(input.url);
  const filler = 'x'.repeat(Math.max(0, input.payloadBytes - 160));
  let started = 0;
  let done = 0;
  let errors = 0;
  const latencies: number[] = [];
  const t0 = nowMs();
  const deadline = t0 + input.durationMs;

  async function loop(): Promise<void> {
    while (started < input.maxRequests && nowMs() < deadline) {
      started++;
      const id = `evt_${randomBytes(12).toString('base64url')}`;
      const msgId = `msg_${randomBytes(12).toString('base64url')}`;
      const body = JSON.stringify({ id, event: 'prospect.qualified', teamId: 'team_baseline', timestamp: new Date().toISOString(), data: { n: started, filler } });
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Hookferry-baseline',
        ...signatureHeaders({ msgId, timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [input.secret], sha256Header: 'X-Webhook-Signature', hexHeader: 'X-Kakiyo-Signature' }),
      };
      const sentAt = nowMs();
      try {
        const res = await agent.request({ origin: url.origin, path: url.pathname, method: 'POST', headers, body });
        await res.body.text();
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(nowMs() - sentAt);
      done++;
    }
  }
  await Promise.all(Array.from({ length: input.concurrency }, () => loop()));
  const seconds = (nowMs() - t0) / 1000;
  await agent.close();
  latencies.sort((a, b) => a - b);
  return { requests: done, errors, seconds, requestsPerSecond: done / seconds, latencyP50Ms: percentile(latencies, 50), latencyP99Ms: percentile(latencies, 99) };
}

process.once('message', (input: BaselineInput) => {
  run(input).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (err: unknown) => process.send?.({ ok: false, error: String(err) }, () => process.exit(1)),
  );
});
