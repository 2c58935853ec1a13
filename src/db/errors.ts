// How database errors are told apart: those that go away by themselves (the server is down or
// restarting, a deadlock, a serialization conflict) are worth retrying; the rest (a constraint
// violated, a value the column refuses) would fail the same way again.

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/** PostgreSQL cannot be reached, or dropped the connection. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  return UNAVAILABLE_MESSAGE.test(e.message ?? '');
}

// serialization_failure, deadlock_detected, lock_not_available, query_canceled (statement
// timeout), and classes 53 (insufficient resources) and 08 (connection exceptions).
const TRANSIENT_CODES = new Set(['40001', '40P01', '55P03', '57014']);

/** Retrying the same statement later may succeed. */
export function isTransientDatabaseError(err: unknown): boolean {
  if (isDatabaseUnavailable(err)) return true;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('53') || code.startsWith('08'));
}
