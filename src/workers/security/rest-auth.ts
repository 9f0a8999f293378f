/**
 * The REST API's gate (/api/v1/**): in accounts mode, verifies the request's
 * signature (src/core/request-signing.ts), then the account's source address
 * and permissions for this route (requirements.ts); without accounts, applies
 * FLAREMQ_MODE (mode.ts): closed unless development or open. Every refusal is
 * counted (../refusals.ts). An unknown access key and a wrong signature get one
 * answer ({@link BAD_CREDENTIALS}); which it was goes to the log.
 */
import { env } from 'cloudflare:workers';
import type { MiddlewareHandler } from 'hono';
import { getPath } from 'hono/utils/url';
import type { Account } from '../../core/accounts';
import { decide } from '../../core/acl';
import { FlareError } from '../../core/errors';
import { MAX_REQUEST_BYTES } from '../../core/limits';
import {
  MAX_TIMESTAMP_SKEW_MS,
  SIGNING_ALGORITHM,
  TIMESTAMP_HEADER,
  sha256Hex,
  stringToSign,
  verifyHmacSha256Hex,
} from '../../core/request-signing';
import type { Env } from '../../env';
import { countRefusal } from '../refusals';
import { accountsNotConfigured, announce, securityMode } from './mode';
import { requirementOf } from './requirements';
import { readBodyBytes } from '../request';

// Say it at start (when the Worker is loaded), not only at the first request.
try {
  announce(securityMode(env as Env));
} catch {
  // a bad FLAREMQ_ACCOUNTS or FLAREMQ_MODE: logged by securityMode; every request answers SERVER_MISCONFIGURED
}

const API_PREFIX = '/api/v1';
const AUTHORIZATION = new RegExp(`^${SIGNING_ALGORITHM} ([A-Za-z0-9._-]{1,128}):(\\S+)$`);

/** The one answer to an unknown access key and to a signature that does not match, so that neither tells which. */
const BAD_CREDENTIALS = 'the access key or the signature is not valid for this request; see docs/security.md#signing-a-rest-request';

/** Refuses with {@link BAD_CREDENTIALS}; `why` (which of the two, the string signed) goes to the log only. */
function badCredentials(why: string): never {
  console.warn(`flaremq: REST request refused (INVALID_SIGNATURE): ${why}`.slice(0, 1024));
  return refuse('INVALID_SIGNATURE', BAD_CREDENTIALS);
}

function refuse(code: ConstructorParameters<typeof FlareError>[0], detail: string): never {
  const err = new FlareError(code, detail);
  countRefusal('rest', code, err.status);
  throw err;
}

/** Reads the whole body, at most MAX_REQUEST_BYTES (a refusal, counted, beyond). */
function readBytes(req: Request): Promise<Uint8Array> {
  return readBodyBytes(req, MAX_REQUEST_BYTES, (detail) => {
    const err = new FlareError('REQUEST_TOO_LARGE', detail);
    countRefusal('rest', err.code, err.status);
    return err;
  });
}

function parseJsonLeniently(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined; // the route answers MALFORMED_JSON
  }
}

/** Checks the signature of a request; returns its account. */
export async function authenticateRest(req: Request, bytes: Uint8Array, book: ReadonlyMap<string, Account>, now: number): Promise<Account> {
  const authorization = req.headers.get('authorization');
  if (!authorization) {
    refuse('UNAUTHENTICATED', `sign the request: Authorization: ${SIGNING_ALGORITHM} <accessKey>:<signature> and ${TIMESTAMP_HEADER} (docs/security.md)`);
  }
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) refuse('INVALID_SIGNATURE', `the Authorization header must be '${SIGNING_ALGORITHM} <accessKey>:<signature>'`);
  const [, accessKey, signature] = match;
  // The timestamp before the key, so that a stale request does not tell whether its key exists.
  const timestamp = req.headers.get(TIMESTAMP_HEADER) ?? '';
  if (!/^\d{1,15}$/.test(timestamp)) refuse('REQUEST_EXPIRED', `${TIMESTAMP_HEADER} must be the time of signing in milliseconds since the epoch`);
  const skew = now - Number(timestamp);
  if (Math.abs(skew) > MAX_TIMESTAMP_SKEW_MS) {
    refuse('REQUEST_EXPIRED', `${TIMESTAMP_HEADER} is ${Math.round(skew / 1000)} s from the server's clock; at most ${MAX_TIMESTAMP_SKEW_MS / 60_000} minutes either way are accepted`);
  }
  const account = book.get(accessKey);
  if (!account) badCredentials(`the access key '${accessKey}' does not exist`);
  const url = new URL(req.url);
  const text = stringToSign({
    method: req.method,
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    timestamp,
    bodySha256: await sha256Hex(bytes),
  });
  if (!(await verifyHmacSha256Hex(account.secretKey, text, signature))) {
    badCredentials(`the signature of '${accessKey}' does not match; the string signed here was ${JSON.stringify(text)}`);
  }
  return account;
}

/** The middleware of /api/v1. */
export const restAuth: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const mode = securityMode(c.env);
  announce(mode);
  const method = c.req.method;
  if (mode.kind === 'development' || mode.kind === 'open') return next();
  const url = new URL(c.req.url);
  // The path as Hono's router sees it (decoded the same way), so that the rule checked is the route served.
  const routed = getPath(c.req.raw);
  const path = routed.startsWith(API_PREFIX) ? routed.slice(API_PREFIX.length) || '/' : routed;
  if (mode.kind === 'closed') {
    // Nothing but the public routes (the OpenAPI document): reads too, since they show every message.
    if (requirementOf(method, path, url.searchParams, undefined) !== 'public') {
      const err = accountsNotConfigured();
      countRefusal('rest', err.code, err.status);
      throw err;
    }
    return next();
  }
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const bytes = hasBody ? await readBytes(c.req.raw) : new Uint8Array(0);
  if (hasBody) c.req.raw = new Request(c.req.raw, { body: bytes.length > 0 ? bytes : null });
  if (requirementOf(method, path, url.searchParams, undefined) === 'public') return next();
  const account = await authenticateRest(c.req.raw, bytes, mode.book, Date.now());
  // Only a signed body is parsed here (some rules read the topics it names).
  const need = requirementOf(method, path, url.searchParams, parseJsonLeniently(bytes));
  const refusal = decide(account.accessKey, account, typeof need === 'string' ? { action: 'this request' } : need, c.req.header('cf-connecting-ip'));
  if (refusal) refuse(refusal.code, refusal.detail);
  return next();
};
