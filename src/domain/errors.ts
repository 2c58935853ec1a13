// The errors domain and service code raise: what went wrong, in words any caller understands,
// never in a transport's terms. `src/api/errors.ts` alone turns a kind into an HTTP status.

/**
 * What kind of refusal an error is. Callers branch on the kind (the API maps each to one HTTP
 * status); `code` says which refusal it is, stable for clients to match on.
 */
export type ErrorKind =
  /** The input is not valid (a field, a cursor, an unknown event type). */
  | 'invalid'
  /** What was named does not exist (or is another team's). */
  | 'not_found'
  /** The request conflicts with the current state (in progress, disabled, taken). */
  | 'conflict'
  /** The input is larger than allowed. */
  | 'too_large'
  /** Understood, but cannot be done as asked (an idempotency key reused with another body). */
  | 'unprocessable'
  /** Too many requests: try again later. */
  | 'rate_limited';

/** An expected refusal: `{ kind, code, message, details? }`. Anything else thrown is a fault. */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError('not_found', 'not_found', `${what} not found`);
