/**
 * Outbound address policy (SSRF guard).
 *
 * An address may be contacted if it falls inside an operator-supplied allowlisted
 * CIDR, or otherwise only if it is a public (globally routable) unicast address.
 * IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-translated,
 * IPv4-compatible, NAT64 well-known prefix, 6to4) are judged by their embedded
 * IPv4 address, with the same rules, allowlist included.
 *
 * Pure logic: no I/O.
 */
import ipaddr from 'ipaddr.js';
import { isIPv4, isIPv6 } from 'node:net';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

export interface AddressPolicy {
  allowedCidrs: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
}

export type AddressCheck = { allowed: true } | { allowed: false; reason: string };

/** Parses one strictly-written IP (dotted-quad IPv4 or IPv6, no zone id); null if not one. */
function parseStrictIp(text: string): Addr | null {
  if (isIPv4(text)) return ipaddr.IPv4.parse(text);
  if (isIPv6(text) && !text.includes('%')) return ipaddr.IPv6.parse(text);
  return null;
}

/**
 * Parses a comma-separated list of CIDRs ("10.0.0.0/8, fd00::/8, 127.0.0.1").
 * Whitespace around entries is ignored, empty entries are skipped, a bare address
 * means a single host (/32 or /128). Throws an Error naming the first invalid entry.
 */
export function parseAllowedCidrs(value: string | undefined): AddressPolicy {
  const allowedCidrs: Array<[Addr, number]> = [];
  if (value === undefined) return { allowedCidrs };
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    const addrText = slash === -1 ? entry : entry.slice(0, slash);
    const addr = parseStrictIp(addrText);
    if (addr === null) {
      throw new Error(`Invalid CIDR in allowlist: "${entry}" (not an IPv4 or IPv6 address)`);
    }
    const maxBits = addr.kind() === 'ipv4' ? 32 : 128;
    let bits = maxBits;
    if (slash !== -1) {
      const bitsText = entry.slice(slash + 1);
      if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > maxBits) {
        throw new Error(`Invalid CIDR in allowlist: "${entry}" (prefix length must be 0-${maxBits})`);
      }
      bits = Number(bitsText);
    }
    allowedCidrs.push([addr, bits]);
  }
  return { allowedCidrs };
}

function isAllowlisted(addr: Addr, policy: AddressPolicy): boolean {
  for (const [net, bits] of policy.allowedCidrs) {
    if (addr.kind() === net.kind()) {
      if (addr.match(net, bits)) return true;
    } else if (addr.kind() === 'ipv4' && net.kind() === 'ipv6') {
      // An IPv4 address also matches an IPv6 CIDR written in IPv4-mapped form
      // (e.g. ::ffff:127.0.0.0/104).
      if ((addr as ipaddr.IPv4).toIPv4MappedAddress().match(net, bits)) return true;
    }
  }
  return false;
}

/** IPv4 ranges (from ipaddr.js' table) that are globally reachable unicast/anycast. */
const PUBLIC_V4_RANGES = new Set(['unicast', 'as112', 'amt']);

function checkIPv4(addr: ipaddr.IPv4, policy: AddressPolicy, shown: string): AddressCheck {
  if (isAllowlisted(addr, policy)) return { allowed: true };
  const range = addr.range();
  if (PUBLIC_V4_RANGES.has(range)) return { allowed: true };
  return { allowed: false, reason: `address ${shown} is not public (${range})` };
}

const V6 = (text: string, bits: number): [ipaddr.IPv6, number] => [ipaddr.IPv6.parse(text), bits];

/** Global unicast space (RFC 4291/3587); everything outside it is refused. */
const GLOBAL_UNICAST = V6('2000::', 3);
const NAT64_WELL_KNOWN = V6('64:ff9b::', 96);
const SIX_TO_FOUR = V6('2002::', 16);
const IPV4_TRANSLATED = V6('::ffff:0:0:0', 96);
const IPV4_COMPATIBLE = V6('::', 96);

/**
 * IPv6 ranges (ipaddr.js names) inside 2000::/3 that are reachable on the public
 * Internet. Anything else ipaddr.js names inside 2000::/3 (teredo, benchmarking,
 * documentation, ORCHID, the rest of the IETF protocol block) is refused.
 */
const PUBLIC_V6_RANGES = new Set(['unicast', 'amt', 'as112v6']);

/** Returns the IPv4 address embedded in an IPv6 address, if it is of such a form. */
function embeddedIPv4(addr: ipaddr.IPv6): { v4: ipaddr.IPv4; form: string } | null {
  const p = addr.parts;
  const fromWords = (hi: number, lo: number) =>
    new ipaddr.IPv4([(hi >> 8) & 0xff, hi & 0xff, (lo >> 8) & 0xff, lo & 0xff]);
  if (addr.isIPv4MappedAddress()) return { v4: addr.toIPv4Address(), form: 'IPv4-mapped' };
  if (addr.match(IPV4_TRANSLATED)) return { v4: fromWords(p[6], p[7]), form: 'IPv4-translated' };
  if (addr.match(NAT64_WELL_KNOWN)) return { v4: fromWords(p[6], p[7]), form: 'NAT64' };
  if (addr.match(SIX_TO_FOUR)) return { v4: fromWords(p[1], p[2]), form: '6to4' };
  // IPv4-compatible (deprecated) ::a.b.c.d — but :: and ::1 are their own things.
  if (addr.match(IPV4_COMPATIBLE) && !(p[6] === 0 && p[7] <= 1)) {
    return { v4: fromWords(p[6], p[7]), form: 'IPv4-compatible' };
  }
  return null;
}

function checkIPv6(addr: ipaddr.IPv6, policy: AddressPolicy, shown: string): AddressCheck {
  if (isAllowlisted(addr, policy)) return { allowed: true };
  const embedded = embeddedIPv4(addr);
  if (embedded) {
    const inner = checkIPv4(embedded.v4, policy, embedded.v4.toString());
    if (inner.allowed) return inner;
    return { allowed: false, reason: `address ${shown} embeds a blocked IPv4 address (${embedded.form}): ${inner.reason}` };
  }
  const range = addr.range();
  if (!addr.match(GLOBAL_UNICAST) || !PUBLIC_V6_RANGES.has(range)) {
    const label = range === 'unicast' ? 'not global unicast' : range;
    return { allowed: false, reason: `address ${shown} is not public (${label})` };
  }
  return { allowed: true };
}

/**
 * Decides whether `ip` (a textual IPv4/IPv6 address, as returned by DNS or taken
 * from a URL host) may be contacted under `policy`. Anything that is not a valid
 * IP address is refused.
 */
export function checkAddress(ip: string, policy: AddressPolicy): AddressCheck {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  let addr: Addr | null = null;
  if (isIPv4(text)) addr = ipaddr.IPv4.parse(text);
  else if (isIPv6(text)) addr = ipaddr.IPv6.parse(text); // a zone id is kept but irrelevant to the range
  if (addr === null) return { allowed: false, reason: `"${ip}" is not an IP address` };
  return addr.kind() === 'ipv4'
    ? checkIPv4(addr as ipaddr.IPv4, policy, text)
    : checkIPv6(addr as ipaddr.IPv6, policy, text);
}
