import { randomBytes } from 'node:crypto';
import { STANDARD_SECRET_PREFIX } from './signatures';

export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 256;

/** `whsec_` + base64 of 32 random bytes: verifiable by every Standard Webhooks library. */
export function generateSecret(): string {
  return STANDARD_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Why a user-chosen secret is too weak or malformed, or undefined when it is acceptable. */
export function secretProblem(secret: string): string | undefined {
  if (secret.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters`;
  if (secret.length > MAX_SECRET_LENGTH) return `must be at most ${MAX_SECRET_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(secret)) return 'must be printable ASCII without spaces';
  if (new Set(secret).size < 6) return 'is too repetitive';
  if (secret.startsWith(STANDARD_SECRET_PREFIX)) {
    const b64 = secret.slice(STANDARD_SECRET_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || Buffer.from(b64, 'base64').length < 24) {
      return 'a whsec_ secret must carry at least 24 bytes of base64 after the prefix';
    }
  }
  return undefined;
}
