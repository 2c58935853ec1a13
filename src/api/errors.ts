import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../db/errors';
import { AppError, type ErrorKind } from '../domain/errors';
import type { Logger } from '../logger';

/**
 * An error in HTTP's terms: a status, and the body every error answer has,
 * `{ error: { code, message, details? } }`. Services throw AppError (src/domain/errors.ts);
 * the API raises ApiError itself only for what is HTTP's own (credentials, request parsing and
 * validation, media types, unknown routes).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The one place a domain error's kind becomes an HTTP status. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
};

/** A domain error (or an ApiError already) in HTTP's terms. */
export function toApiError(err: AppError | ApiError): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(STATUS_OF_KIND[err.kind], err.code, err.message, err.details);
}

/** At most this many validation issues are listed: a 60,000-element array must not echo 60,000. */
export const MAX_ISSUES = 20;
const MAX_ISSUE_TEXT = 300;

const clip = (s: string) => (s.length > MAX_ISSUE_TEXT ? `${s.slice(0, MAX_ISSUE_TEXT)}…` : s);

export function zodDetails(err: Pick<ZodError, 'issues'>) {
  return err.issues.slice(0, MAX_ISSUES).map((i) => ({ path: clip(i.path.map(String).join('.')), message: clip(i.message), code: i.code }));
}

/** Names the full path as the client sent it: under a mount (`/v1`), `req.path` drops the prefix. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  const fullPath = clip(req.originalUrl.split('?')[0] ?? '');
  next(new ApiError(404, 'route_not_found', `no route for ${req.method} ${fullPath}`));
};

/** Maps anything thrown to the error shape; bad input is always a 4xx, never a 500. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let apiError: ApiError;
    if (err instanceof ApiError || err instanceof AppError) apiError = toApiError(err);
    else if (err instanceof ZodError) apiError = new ApiError(400, 'validation_error', 'the request is not valid', zodDetails(err));
    else if (err?.type === 'entity.parse.failed') apiError = new ApiError(400, 'invalid_json', 'the request body is not valid JSON');
    else if (err?.type === 'entity.too.large') apiError = new ApiError(413, 'payload_too_large', `the request body is larger than ${err.limit} bytes`);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') apiError = new ApiError(415, 'unsupported_encoding', String(err.message));
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) apiError = new ApiError(err.status, 'bad_request', String(err.message));
    else if (isDatabaseUnavailable(err)) {
      log.warn({ err: String(err), path: req.path }, 'database unavailable');
      apiError = new ApiError(503, 'database_unavailable', 'the database is unavailable; nothing was stored, try again shortly', undefined, { 'retry-after': '5' });
    } else if (isTemporalUnavailable(err)) {
      log.warn({ err: String(err), path: req.path }, 'temporal unavailable');
      apiError = new ApiError(503, 'temporal_unavailable', 'the workflow service is unavailable; try again shortly', undefined, { 'retry-after': '5' });
    } else {
      log.error({ err, path: req.path }, 'unhandled error');
      apiError = new ApiError(500, 'internal_error', 'internal error');
    }
    res.locals.errorCode = apiError.code; // for the ingestion metrics (src/metrics/api.ts)
    if (res.headersSent) return;
    res.status(apiError.status).set(apiError.headers).json({ error: { code: apiError.code, message: apiError.message, ...(apiError.details !== undefined ? { details: apiError.details } : {}) } });
  };
}

function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: number } | undefined;
  return e?.name === 'ServiceError' || e?.name === 'ConnectionError' || e?.code === 14;
}
