// The benchmark's webhook receiver, run as its own process (forked with an IPC channel) so it
// never competes with the worker's event loop. It verifies every Standard Webhooks signature,
// records when each event first arrived (monotonic clock, comparable across processes) and
// answers 200 at once — except under HANG_PREFIX, where it never answers (an endpoint that hangs
// until the worker's attempt times out). The parent asks for counters and arrival times over IPC.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { nowMs } from './lib/clock';
import { HANG_PREFIX, type ReceiverReply, type ReceiverRequest } from './lib/receiverProtocol';

const secret = process.env.BENCH_SECRET ?? '';
if (!secret.startsWith('whsec_')) throw new Error('BENCH_SECRET must be a whsec_ secret');
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
const referenceVerifier = new Webhook(secret);
const REFERENCE_CHECKS = 200; // the first requests are also checked with the official library

interface EventArrivals {
  first: number;
  last: number;
  count: number;
}

const events = new Map<string, EventArrivals>();
const seenMessages = new Set<string>();
let newFirsts: Array<[string, number]> = [];
let requests = 0;
let verified = 0;
let badSignatures = 0;
let duplicates = 0;
let referenceChecked = 0;
let referenceFailed = 0;
let inFlight = 0;
let maxInFlight = 0;
let hangingRequests = 0;
let hangingOpen = 0;

/** Reads the request and keeps it open until the caller gives up (closes the connection). */
function hang(req: http.IncomingMessage, res: http.ServerResponse): void {
  hangingRequests++;
  hangingOpen++;
  res.once('close', () => hangingOpen--);
  req.resume();
}

function verify(headers: http.IncomingHttpHeaders, body: string): boolean {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sig !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
  for (const part of sig.split(' ')) {
    const [version, b64] = part.split(',');
    if (version !== 'v1' || !b64) continue;
    const given = Buffer.from(b64, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  }
  return false;
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url?.startsWith(HANG_PREFIX)) return hang(req, res);
  inFlight++;
  if (inFlight > maxInFlight) maxInFlight = inFlight;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = nowMs();
    requests++;
    const body = Buffer.concat(chunks).toString('utf8');
    const ok = verify(req.headers, body);
    if (referenceChecked < REFERENCE_CHECKS) {
      referenceChecked++;
      try {
        referenceVerifier.verify(body, req.headers as Record<string, string>);
      } catch {
        referenceFailed++;
      }
    }
    if (!ok) {
      badSignatures++;
    } else {
      verified++;
      const msgId = req.headers['webhook-id'] as string;
      if (seenMessages.has(msgId)) duplicates++;
      else seenMessages.add(msgId);
      let eventId = '';
      try {
        eventId = String((JSON.parse(body) as { id?: unknown }).id ?? '');
      } catch {
        eventId = '';
      }
      const e = events.get(eventId);
      if (e) {
        e.count++;
        e.last = at;
      } else {
        events.set(eventId, { first: at, last: at, count: 1 });
        newFirsts.push([eventId, at]);
      }
    }
    inFlight--;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'text/plain', 'content-length': ok ? '2' : '13' });
    res.end(ok ? 'ok' : 'bad signature');
  });
}

/** A listener on a free loopback port; every one shares the counters and arrival times. */
function listen(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handle);
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

const servers: http.Server[] = [];

function reply(msg: ReceiverReply): void {
  process.send?.(msg);
}

process.on('message', (raw: ReceiverRequest) => {
  switch (raw.type) {
    case 'stats':
      reply({ type: 'stats', seq: raw.seq, requests, verified, badSignatures, duplicates, uniqueEvents: events.size, maxInFlight, referenceChecked, referenceFailed, hangingRequests, hangingOpen });
      return;
    case 'drainFirsts': {
      const out = newFirsts;
      newFirsts = [];
      reply({ type: 'firsts', seq: raw.seq, firsts: out });
      return;
    }
    case 'events':
      reply({ type: 'events', seq: raw.seq, events: raw.ids.map((id) => events.get(id) ?? null) });
      return;
    case 'resetMaxInFlight':
      maxInFlight = inFlight;
      reply({ type: 'ok', seq: raw.seq });
      return;
    case 'listenMore':
      // Endpoints of their own origin (the worker's HTTP agent caps connections per origin).
      void Promise.all(Array.from({ length: raw.count }, () => listen())).then((added) => {
        servers.push(...added.map((a) => a.server));
        reply({ type: 'urls', seq: raw.seq, urls: added.map((a) => a.url) });
      });
      return;
    case 'stop':
      for (const server of servers) {
        server.close();
        server.closeAllConnections();
      }
      reply({ type: 'ok', seq: raw.seq });
      setTimeout(() => process.exit(0), 50).unref();
      return;
  }
});
process.on('disconnect', () => process.exit(0));

void listen().then(({ server, url }) => {
  servers.push(server);
  reply({ type: 'listening', seq: 0, url });
});
