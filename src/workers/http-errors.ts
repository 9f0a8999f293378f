import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { FlareError, toFlareError } from '../core/errors';
import { log } from '../log';

/** The JSON error body: `{ "error": { "code", "message", "retriable" } }`. */
export function errorResponse(c: Context, err: FlareError): Response {
  return c.json(
    { error: { code: err.code, message: err.detail, retriable: err.retriable } },
    err.status as ContentfulStatusCode,
  );
}

/** Hono's onError: FlareErrors keep their code; anything else is logged and answered 500 INTERNAL_ERROR. */
export function onError(err: Error, c: Context): Response {
  const flare = toFlareError(err);
  if (flare) {
    if (flare.status >= 500) {
      log.error('a request failed', {
        method: c.req.method,
        path: c.req.path,
        status: flare.status,
        code: flare.code,
        reason: flare.detail,
      });
    }
    return errorResponse(c, flare);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return errorResponse(c, new FlareError('INVALID_REQUEST', err.message || 'the request was refused'));
  }
  log.error('a request failed unexpectedly', { method: c.req.method, path: c.req.path, error: err });
  return errorResponse(c, new FlareError('INTERNAL_ERROR', 'an unexpected failure; it is logged with its cause'));
}

export function notFound(c: Context): Response {
  return errorResponse(
    c,
    new FlareError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}; see /api/v1/openapi.json`),
  );
}
