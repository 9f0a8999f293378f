/**
 * Which web pages may call the Worker from a browser (docs/security.md, "Browsers and other origins").
 *
 * A browser sends a cross-origin POST without asking first (no CORS preflight)
 * when its Content-Type is text/plain, form-urlencoded or multipart, and a GET
 * from an <img> or a no-cors fetch: the page cannot read the answer, but the
 * write is done. In development or open mode nothing is signed, so any page a
 * developer visits could write to their `npm start` server. Hence:
 *
 * - the deployment's own origin (its dashboard) and the origins listed in
 *   CORS_ALLOWED_ORIGINS are allowed; only they get CORS allow headers;
 * - an unsafe request (not GET, HEAD or OPTIONS) from any other browser origin
 *   is refused with 403 ORIGIN_NOT_ALLOWED, whatever its body, before any route
 *   runs; browsers name the origin in `Origin` (always on such requests) and
 *   the kind of caller in `Sec-Fetch-Site` (Fetch Metadata);
 * - the RocketMQ HTTP protocol consumes with GET (`trans=pop` and plain
 *   consume change state), so there a GET from another site is refused too;
 * - JSON bodies must be typed application/json (../request.ts), which a page
 *   can only send after a preflight that other origins fail.
 *
 * Clients that are not browsers (the SDK in Node, the CLI, curl, the official
 * RocketMQ SDKs) send neither header and are not affected.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { FlareError } from '../../core/errors';
import { TIMESTAMP_HEADER } from '../../core/request-signing';
import type { Env } from '../../env';
import { config } from '../../services/cluster';
import { countRefusal } from '../refusals';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a browser origin may call this deployment: its own origin, or one of CORS_ALLOWED_ORIGINS. */
export function originAllowed(origin: string, requestUrl: string, env: Env): boolean {
  return origin === new URL(requestUrl).origin || config(env).corsAllowedOrigins.includes(origin);
}

/**
 * Whether a request comes from a page of another origin that is not allowed:
 * its Origin header names one, or (no Origin, e.g. a no-cors GET) Fetch
 * Metadata says it comes from another site.
 */
export function fromForeignPage(req: Request, env: Env): boolean {
  const origin = req.headers.get('origin');
  if (origin !== null) return !originAllowed(origin, req.url, env);
  const site = req.headers.get('sec-fetch-site');
  return site === 'cross-site' || site === 'same-site';
}

function refuse(req: Request, surface: 'rest' | 'http-protocol'): never {
  const err = new FlareError(
    'ORIGIN_NOT_ALLOWED',
    `${req.method} from the web page of ${req.headers.get('origin')?.slice(0, 100) ?? 'another site'} is refused: only this deployment's own pages and the origins in CORS_ALLOWED_ORIGINS may write from a browser (docs/security.md)`,
  );
  countRefusal(surface, err.code, err.status);
  throw err;
}

/**
 * A WebSocket upgrade is a GET that browsers send from any page without CORS (they name the page's Origin);
 * the streams it opens send and commit, so it counts as a write.
 */
export const isUpgrade = (req: Request): boolean => req.headers.get('upgrade')?.toLowerCase() === 'websocket';

/** Refuses unsafe requests (WebSocket upgrades included) from foreign pages (every path of the Worker). */
export const refuseForeignWrites: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if ((!SAFE_METHODS.has(c.req.method) || isUpgrade(c.req.raw)) && fromForeignPage(c.req.raw, c.env))
    refuse(c.req.raw, c.req.path.startsWith('/api/') ? 'rest' : 'http-protocol');
  await next();
};

/** Refuses every request from foreign pages, GET included: for the RocketMQ HTTP protocol, whose GETs consume. */
export const refuseForeignPages: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if (c.req.method !== 'OPTIONS' && fromForeignPage(c.req.raw, c.env)) refuse(c.req.raw, 'http-protocol');
  await next();
};

const allowHeaders = cors({
  origin: (origin) => origin,
  allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  allowHeaders: ['content-type', 'authorization', TIMESTAMP_HEADER],
  maxAge: 600,
});

/**
 * CORS for the REST API: allowed origins get the allow headers (a preflight is
 * answered 204 with them); any other origin gets none, so its page can neither
 * send a preflighted request nor read an answer.
 */
export const corsForAllowedOrigins: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const origin = c.req.header('origin');
  if (origin === undefined) return next();
  if (originAllowed(origin, c.req.url, c.env)) return allowHeaders(c, next);
  if (c.req.method === 'OPTIONS') return c.body(null, 204, { vary: 'Origin' });
  await next();
  c.res.headers.append('vary', 'Origin');
};
