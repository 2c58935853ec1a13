import { promises as dns } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { checkAddress, type AddressPolicy } from '../domain/addressPolicy';

export const MAX_URL_LENGTH = 2048;

/** Whitespace (incl. Unicode spaces), C0/C1 controls, bidi formatting and unpaired surrogates. */
const INVISIBLE_OR_UNSAFE = /[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|\p{Cs}/u;

/**
 * Why a webhook URL is refused, or undefined. HTTPS is required; plain HTTP only for
 * addresses inside HOOKFERRY_ALLOWED_CIDRS (local development and tests). Addresses are
 * checked again on every connection (src/delivery/sendWebhook.ts): this is early feedback.
 */
export async function webhookUrlProblem(text: string, policy: AddressPolicy): Promise<string | undefined> {
  if (text.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  // The URL parser would silently drop tabs, newlines and surrounding spaces, and the URL is
  // stored and shown as sent: refuse what would be changed, hidden or unstorable instead.
  if (INVISIBLE_OR_UNSAFE.test(text)) return 'must not contain whitespace, control characters, bidirectional formatting characters or unpaired surrogates';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a valid absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
  if (url.username || url.password) return 'must not contain credentials';
  if (!url.hostname) return 'must name a host';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = ipaddr.isValid(host);
  if (literal) {
    const check = checkAddress(host, policy);
    if (!check.allowed) return `points at a non-public address (${check.reason})`;
  }
  if (url.protocol === 'http:') {
    const addresses = literal ? [host] : await resolveAll(url.hostname);
    const allowlisted = addresses.length > 0 && addresses.every((a) => policy.allowedCidrs.some(([range, bits]) => sameKindMatch(a, range, bits)));
    if (!allowlisted) return 'must use https (plain http is only accepted for addresses in HOOKFERRY_ALLOWED_CIDRS)';
  }
  return undefined;
}

async function resolveAll(hostname: string): Promise<string[]> {
  try {
    return (await dns.lookup(hostname, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

function sameKindMatch(address: string, range: ipaddr.IPv4 | ipaddr.IPv6, bits: number): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.kind() === range.kind() && parsed.match(range as never, bits);
}
