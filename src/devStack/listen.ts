// Where `npm start` listens: loopback unless HOST says otherwise, and never beyond it with the
// published development admin key.
import ipaddr from 'ipaddr.js';
import { DEV_ADMIN_KEY } from '../devDefaults';
import { StartupProblem } from '../startupProblem';

export const DEV_HOST = '127.0.0.1';

/** Whether only this machine can reach an address: `localhost`, 127.0.0.0/8, ::1 (also as ::ffff:127.x). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare.toLowerCase() === 'localhost') return true;
  if (!ipaddr.isValid(bare)) return false; // a host name: it may well resolve to a network address
  let address = ipaddr.parse(bare);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address();
  return address.range() === 'loopback';
}

/** Throws, saying what to set, when the API would be reachable from other machines with the development admin key. */
export function assertSafeToListen(host: string, adminKey: string | undefined): void {
  if (isLoopbackHost(host) || adminKey !== DEV_ADMIN_KEY) return;
  throw new StartupProblem(
    `HOST=${host} makes the API reachable from other machines, and the admin key is the published development default ` +
      `(${DEV_ADMIN_KEY}), with which anyone could create teams. Set HOOKFERRY_ADMIN_KEY to a secret of your own ` +
      `(e.g. HOOKFERRY_ADMIN_KEY=$(openssl rand -hex 24)), or leave HOST unset to listen on ${DEV_HOST} only.`,
  );
}
