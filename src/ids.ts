import { randomBytes } from 'node:crypto';

const ID_BYTES = 12;
/** Random bytes are drawn from the OS a few kilobytes at a time: one call per 512 ids, not per id. */
const POOL_BYTES = ID_BYTES * 512;
let pool = Buffer.alloc(0);
let offset = 0;

/** Prefixed, URL-safe random ids (96 random bits): `evt_…`, `wh_…`, `msg_…` — readable in logs and the Temporal UI. */
export function newId(prefix: 'team' | 'key' | 'wh' | 'evt' | 'msg' | 'req' | 'dsp'): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return `${prefix}_${id}`;
}
