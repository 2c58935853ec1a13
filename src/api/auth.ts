import type { RequestHandler } from 'express';
import { constantTimeEquals, type ApiKeyCache } from '../services/apiKeys';
import { ApiError } from './errors';
import type { AuthKind } from './route';
import type { RateLimiter } from './rateLimit';

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Middleware per auth kind: team API keys (rate limited per key), the admin key, or none. */
export function authGuards({ apiKeys, rateLimiter, adminKey }: { apiKeys: ApiKeyCache; rateLimiter: RateLimiter; adminKey: string | undefined }): Record<AuthKind, RequestHandler> {
  return {
    none: (_req, _res, next) => next(),
    admin: (req, _res, next) => {
      const key = bearer(req.get('authorization'));
      if (!adminKey) return next(new ApiError(403, 'admin_disabled', 'admin routes are disabled: set HOOKFERRY_ADMIN_KEY'));
      if (!key || !constantTimeEquals(key, adminKey)) return next(new ApiError(401, 'unauthorized', 'missing or invalid admin key (Authorization: Bearer $HOOKFERRY_ADMIN_KEY)'));
      next();
    },
    team: async (req, res, next) => {
      try {
        const key = bearer(req.get('authorization'));
        if (!key) throw new ApiError(401, 'unauthorized', 'missing API key: send Authorization: Bearer <api key>');
        const found = await apiKeys.teamFor(key);
        if (!found) throw new ApiError(401, 'unauthorized', 'invalid or revoked API key');
        const wait = await rateLimiter.take(found.keyId);
        if (wait > 0) {
          throw new ApiError(429, 'rate_limited', 'too many requests for this API key', undefined, { 'retry-after': String(Math.ceil(wait / 1000)) });
        }
        res.locals.team = { id: found.teamId, keyId: found.keyId };
        next();
      } catch (err) {
        next(err);
      }
    },
  };
}
