import { AppError } from '../domain/errors';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The Idempotency-Key header, checked; undefined when absent. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) throw new AppError('invalid', 'invalid_idempotency_key', 'Idempotency-Key must be 1-200 printable ASCII characters');
  return header;
}
