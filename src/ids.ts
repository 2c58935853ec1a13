import { randomBytes } from 'node:crypto';

/** Prefixed, URL-safe random ids: `evt_…`, `wh_…`, `msg_…` — readable in logs and the Temporal UI. */
export function newId(prefix: 'team' | 'key' | 'wh' | 'evt' | 'msg' | 'req' | 'dsp'): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
