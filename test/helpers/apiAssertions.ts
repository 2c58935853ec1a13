import type { ApiResponse } from './stack';

/**
 * Asserts the one error shape the API answers everywhere:
 * `{ error: { code, message, details? } }` — nothing else at the top level or inside.
 */
export function expectErrorShape(res: ApiResponse): void {
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  expect(res.body).toEqual(expect.any(Object));
  expect(Object.keys(res.body)).toEqual(['error']);
  const error = res.body.error;
  expect(error).toEqual(expect.any(Object));
  expect(typeof error.code).toBe('string');
  expect(error.code).toMatch(/^[a-z_]+$/);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(error)) expect(['code', 'message', 'details']).toContain(key);
}

/** Asserts the status, the error code and the shape of an error answer. */
export function expectError(res: ApiResponse, status: number, code: string): void {
  if (res.status !== status || res.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body).slice(0, 2000)}`);
  }
  expectErrorShape(res);
}

/** True when a value is shaped like the error answer (for property-based tests). */
export function isErrorShape(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return false;
  const e = error as Record<string, unknown>;
  if (typeof e.code !== 'string' || typeof e.message !== 'string' || e.message.length === 0) return false;
  return Object.keys(e).every((k) => k === 'code' || k === 'message' || k === 'details');
}
