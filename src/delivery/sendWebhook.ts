/**
 * The one place Hookferry makes outbound HTTP requests to customer endpoints.
 *
 * Guarantees:
 *  - only http:/https: URLs without embedded credentials;
 *  - every address connected to passes the AddressPolicy (SSRF guard): IP-literal
 *    hosts are checked before connecting, hostnames are resolved inside undici's
 *    connect `lookup` hook so the check applies to the address actually used
 *    (DNS-rebinding safe);
 *  - redirects are never followed;
 *  - the whole exchange is bounded by timeoutMs and the response body by
 *    maxResponseBytes (the rest is never read);
 *  - never throws: every failure is a classified `{ kind: 'error' }` result.
 */
import { promises as dnsPromises } from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { checkAddress, type AddressPolicy } from '../domain/addressPolicy';

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;

export interface SendOptions {
  policy: AddressPolicy;
  /** Defaults to dns.promises.lookup(hostname, { all: true }). */
  resolver?: Resolver;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  maxResponseBytes: number;
}

export type SendErrorClass =
  | 'invalid_url'
  | 'blocked_address'
  | 'dns'
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'tls'
  | 'network';

export type SendResult =
  | {
      kind: 'response';
      statusCode: number;
      headers: Record<string, string>;
      body: string;
      truncated: boolean;
      durationMs: number;
    }
  | { kind: 'error'; errorClass: SendErrorClass; message: string; durationMs: number };

/** Raised from the lookup hook when no resolved address passes the policy. */
class BlockedAddressError extends Error {
  readonly code = 'HOOKFERRY_BLOCKED_ADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'BlockedAddressError';
  }
}

/** Raised from the lookup hook when name resolution fails. */
class DnsLookupError extends Error {
  readonly code: string;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'DnsLookupError';
    this.code = code ?? 'ENOTFOUND';
  }
}

class RequestTimeoutError extends Error {
  readonly code = 'HOOKFERRY_TIMEOUT';
  constructor(ms: number) {
    super(`request timed out after ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

const defaultResolver: Resolver = async (hostname) => {
  const results = await dnsPromises.lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` function for net/tls.connect that resolves through `resolver` and
 * only ever hands back addresses allowed by `policy`. Node calls it with
 * `all: true` when autoSelectFamily (happy eyeballs) is on, otherwise expects a
 * single address.
 */
function guardedLookup(policy: AddressPolicy, resolver: Resolver) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    const wantFamily = options && (options.family === 4 || options.family === 6) ? options.family : 0;
    resolver(hostname).then(
      (answers) => {
        const candidates = (answers ?? []).filter((a) => wantFamily === 0 || a.family === wantFamily);
        if (candidates.length === 0) {
          callback(new DnsLookupError(`no addresses found for ${hostname}`, 'ENOTFOUND'), []);
          return;
        }
        const allowed: LookupAddress[] = [];
        const reasons: string[] = [];
        for (const a of candidates) {
          const verdict = checkAddress(a.address, policy);
          if (verdict.allowed) allowed.push({ address: a.address, family: isIP(a.address) || a.family });
          else reasons.push(verdict.reason);
        }
        if (allowed.length === 0) {
          callback(new BlockedAddressError(`${hostname} resolves only to blocked addresses: ${reasons.join('; ')}`), []);
          return;
        }
        if (options && options.all) callback(null, allowed);
        else callback(null, allowed[0].address, allowed[0].family);
      },
      (err: unknown) => {
        const e = err as NodeJS.ErrnoException;
        callback(new DnsLookupError(`DNS lookup failed for ${hostname}: ${e?.message ?? String(err)}`, e?.code), []);
      },
    );
  };
}

const AGENT_OPTIONS = {
  keepAliveTimeout: 4_000,
  keepAliveMaxTimeout: 60_000,
  connections: 32,
  pipelining: 1,
} as const;

const agents = new WeakMap<AddressPolicy, WeakMap<Resolver, Agent>>();

function agentFor(policy: AddressPolicy, resolver: Resolver): Agent {
  let byResolver = agents.get(policy);
  if (!byResolver) {
    byResolver = new WeakMap();
    agents.set(policy, byResolver);
  }
  let agent = byResolver.get(resolver);
  if (!agent) {
    agent = new Agent({
      ...AGENT_OPTIONS,
      connect: {
        timeout: 10_000, // the per-request bound (timeoutMs) comes from the abort signal
        lookup: guardedLookup(policy, resolver) as never,
      },
    });
    byResolver.set(resolver, agent);
  }
  return agent;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|CERT_UNTRUSTED|CERT_REJECTED|ERR_SSL)/;

/** The error itself followed by its `cause` chain (bounded). */
function errorChain(err: unknown): Array<{ code?: string; name?: string; message?: string; library?: string }> {
  const out: Array<{ code?: string; name?: string; message?: string; library?: string }> = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    out.push(cur as { code?: string });
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

function classify(err: unknown, timedOut: boolean): SendErrorClass {
  const chain = errorChain(err);
  if (chain.some((e) => e instanceof BlockedAddressError || e.code === 'HOOKFERRY_BLOCKED_ADDRESS')) return 'blocked_address';
  if (timedOut) return 'timeout';
  for (const e of chain) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (e instanceof DnsLookupError) return 'dns';
    switch (code) {
      case 'ECONNREFUSED':
        return 'connection_refused';
      case 'ECONNRESET':
      case 'EPIPE':
      case 'UND_ERR_SOCKET':
      case 'UND_ERR_CLOSED':
        return 'connection_reset';
      case 'ETIMEDOUT':
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'UND_ERR_HEADERS_TIMEOUT':
      case 'UND_ERR_BODY_TIMEOUT':
      case 'UND_ERR_ABORTED':
      case 'ABORT_ERR':
      case 'HOOKFERRY_TIMEOUT':
        return 'timeout';
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EAI_NONAME':
      case 'EAI_NODATA':
      case 'EAI_FAIL':
      case 'ENODATA':
        return 'dns';
      default:
        break;
    }
    if (TLS_CODE.test(code) || e.library === 'SSL routines') return 'tls';
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'timeout';
  }
  return 'network';
}

function describe(err: unknown): string {
  const chain = errorChain(err);
  if (chain.length === 0) return String(err);
  const parts: string[] = [];
  for (const e of chain) {
    const text = `${e.code ? `${e.code}: ` : ''}${e.message ?? ''}`.trim();
    if (text && !parts.includes(text)) parts.push(text);
  }
  return parts.join(' <- ') || String(err);
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(', ') : value;
    out[key] = key in out ? `${out[key]}, ${joined}` : joined;
  }
  return out;
}

/** Reads at most `limit` bytes of `body`, then stops and destroys the stream. */
async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<{ buf: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  const max = Math.max(0, Math.floor(limit));
  try {
    for await (const chunk of body as AsyncIterable<Buffer | string>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (total + buf.length > max) {
        const room = max - total;
        if (room > 0) chunks.push(buf.subarray(0, room));
        total = max;
        truncated = true;
        break; // leaving the loop destroys the stream; nothing more is read
      }
      chunks.push(buf);
      total += buf.length;
    }
  } finally {
    if (!body.destroyed) body.destroy();
  }
  return { buf: Buffer.concat(chunks, total), truncated };
}

/** POSTs a webhook. Never throws. */
export async function sendWebhook(req: WebhookRequest, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const fail = (errorClass: SendErrorClass, message: string): SendResult => ({
    kind: 'error',
    errorClass,
    message,
    durationMs: elapsed(),
  });

  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return fail('invalid_url', `invalid URL: ${String(req.url).slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail('invalid_url', `unsupported URL scheme ${url.protocol} (only http: and https: are allowed)`);
  }
  if (url.username !== '' || url.password !== '') {
    return fail('invalid_url', 'URLs with embedded credentials are not allowed');
  }
  if (url.hostname === '') {
    return fail('invalid_url', 'URL has no host');
  }

  // IP-literal hosts never reach the lookup hook (net.connect skips DNS for
  // them), so they are checked here, before any connection. The WHATWG parser
  // has already normalised decimal/octal/hex IPv4 spellings and IPv6 forms.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) !== 0) {
    const verdict = checkAddress(host, options.policy);
    if (!verdict.allowed) return fail('blocked_address', verdict.reason);
  }

  const timeoutMs = Math.max(1, Math.floor(req.timeoutMs));
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new RequestTimeoutError(timeoutMs));
  }, timeoutMs);

  const dispatcher = agentFor(options.policy, options.resolver ?? defaultResolver);
  try {
    const res = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: controller.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const { buf, truncated } = await readCapped(res.body, req.maxResponseBytes);
    return {
      kind: 'response',
      statusCode: res.statusCode,
      headers: flattenHeaders(res.headers),
      body: buf.toString('utf8'),
      truncated,
      durationMs: elapsed(),
    };
  } catch (err) {
    const errorClass = classify(err, timedOut);
    const message = errorClass === 'timeout' && timedOut ? `request timed out after ${timeoutMs} ms` : describe(err);
    return fail(errorClass, message);
  } finally {
    clearTimeout(timer);
  }
}
