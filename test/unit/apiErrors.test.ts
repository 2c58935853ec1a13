import { AppError, notFound } from '../../src/domain/errors';
import { ApiError, STATUS_OF_KIND, toApiError } from '../../src/api/errors';

test('a domain error gets its HTTP status from its kind, with its code, message and details unchanged', () => {
  const cases: Array<[AppError, number]> = [
    [new AppError('invalid', 'invalid_cursor', 'the cursor is not one this API returned'), 400],
    [notFound('webhook'), 404],
    [new AppError('conflict', 'delivery_in_progress', 'the delivery is being retried already'), 409],
    [new AppError('too_large', 'payload_too_large', 'too large'), 413],
    [new AppError('unprocessable', 'idempotency_key_reused', 'reused', { eventId: 'evt_1' }), 422],
    [new AppError('rate_limited', 'rate_limited', 'later', { retryAfterSeconds: 1 }), 429],
  ];
  for (const [err, status] of cases) {
    const http = toApiError(err);
    expect(http).toBeInstanceOf(ApiError);
    expect([http.status, http.code, http.message, http.details]).toEqual([status, err.code, err.message, err.details]);
  }
  expect(Object.keys(STATUS_OF_KIND).sort()).toEqual(cases.map(([e]) => e.kind).sort());
  expect(notFound('webhook').message).toBe('webhook not found');
});
