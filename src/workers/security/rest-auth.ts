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
import type { Account } from '../../core/accounts';
import { decide } from '../../core/acl';
import { FlareError } from '../../core/errors';
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
import { validateNames, type Need, type NeedInput } from './requirements';
import { requestBytes, requestJson } from '../request';
import { refuseReplayedWrite } from './replay';
import { isUpgrade } from './origins';
import { log } from '../../log';

// Say it at start (when the Worker is loaded), not only at the first request.
try {
  announce(securityMode(env as Env));
} catch {
  // a bad FLAREMQ_ACCOUNTS or FLAREMQ_MODE: logged by securityMode; every request answers SERVER_MISCONFIGURED
}

const AUTHORIZATION = new RegExp(`^${SIGNING_ALGORITHM} ([A-Za-z0-9._-]{1,128}):(\\S+)$`);

/** The one answer to an unknown access key and to a signature that does not match, so that neither tells which. */
const BAD_CREDENTIALS =
  'the access key or the signature is not valid for this request; see docs/security.md#signing-a-rest-request';

/** Refuses with {@link BAD_CREDENTIALS}; `why` (which of the two, the string signed) goes to the log only. */
function badCredentials(why: string): never {
  log.warn('a REST request was refused', { code: 'INVALID_SIGNATURE', reason: why.slice(0, 1024) });
  return refuse('INVALID_SIGNATURE', BAD_CREDENTIALS);
}

function refuse(code: ConstructorParameters<typeof FlareError>[0], detail: string): never {
  const err = new FlareError(code, detail);
  countRefusal('rest', code, err.status);
  throw err;
}

/** The refusal of a body larger than MAX_REQUEST_BYTES, counted. */
function tooLarge(detail: string): FlareError {
  const err = new FlareError('REQUEST_TOO_LARGE', detail);
  countRefusal('rest', err.code, err.status);
  return err;
}

/** What the headers of a signed request say, checked before its body is read. */
export interface SignedHeaders {
  account: Account;
  signature: string;
  /** X-Flaremq-Timestamp, as sent. */
  timestamp: string;
}

/**
 * Checks the Authorization header's format, its access key and the timestamp:
 * everything that needs no body, so that an unsigned or badly signed request
 * is refused before its body is read.
 */
export function checkSignedHeaders(req: Request, book: ReadonlyMap<string, Account>, now: number): SignedHeaders {
  const authorization = req.headers.get('authorization');
  if (!authorization) {
    refuse(
      'UNAUTHENTICATED',
      `sign the request: Authorization: ${SIGNING_ALGORITHM} <accessKey>:<signature> and ${TIMESTAMP_HEADER} (docs/security.md)`,
    );
  }
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match)
    refuse('INVALID_SIGNATURE', `the Authorization header must be '${SIGNING_ALGORITHM} <accessKey>:<signature>'`);
  const [, accessKey, signature] = match;
  // The timestamp before the key, so that a stale request does not tell whether its key exists.
  const timestamp = req.headers.get(TIMESTAMP_HEADER) ?? '';
  if (!/^\d{1,15}$/.test(timestamp))
    refuse('REQUEST_EXPIRED', `${TIMESTAMP_HEADER} must be the time of signing in milliseconds since the epoch`);
  const skew = now - Number(timestamp);
  if (Math.abs(skew) > MAX_TIMESTAMP_SKEW_MS) {
    refuse(
      'REQUEST_EXPIRED',
      `${TIMESTAMP_HEADER} is ${Math.round(skew / 1000)} s from the server's clock; at most ${MAX_TIMESTAMP_SKEW_MS / 60_000} minutes either way are accepted`,
    );
  }
  const account = book.get(accessKey);
  if (!account) badCredentials(`the access key '${accessKey}' does not exist`);
  return { account, signature, timestamp };
}

/** Checks the signature itself against the request (host, path, query) and its body. */
export async function verifySignature(req: Request, signed: SignedHeaders, bytes: Uint8Array): Promise<void> {
  const url = new URL(req.url);
  const text = stringToSign({
    method: req.method,
    host: url.host,
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    timestamp: signed.timestamp,
    bodySha256: await sha256Hex(bytes),
  });
  if (!(await verifyHmacSha256Hex(signed.account.secretKey, text, signed.signature))) {
    badCredentials(
      `the signature of '${signed.account.accessKey}' does not match; the string signed here was ${JSON.stringify(text)}`,
    );
  }
}

/** Checks the signature of a request; returns its account. */
export async function authenticateRest(
  req: Request,
  bytes: Uint8Array,
  book: ReadonlyMap<string, Account>,
  now: number,
): Promise<Account> {
  const signed = checkSignedHeaders(req, book, now);
  await verifySignature(req, signed, bytes);
  return signed.account;
}

/** What a route needs, given its request (a requirement that depends on the topics a body or a handle names). */
export type NeedOf = (input: NeedInput) => Need;

/**
 * The REST gate of one route (its middleware, from the route's declaration in
 * ../api/declare.ts): in accounts mode, checks the signature, the source
 * address and what the route needs; without accounts, applies FLAREMQ_MODE.
 * `public` routes are served unsigned. Names in the path (topic, group) are
 * validated for a signed caller before the ACL reads them.
 */
export function gate(need: Need | NeedOf): MiddlewareHandler<{ Bindings: Env }> {
  const needOf: NeedOf = typeof need === 'function' ? need : () => need;
  const isPublic = need === 'public';
  return async (c, next) => {
    // Served whatever the security config says, even a broken one (the document, the index).
    if (isPublic) return next();
    const mode = securityMode(c.env);
    announce(mode);
    if (mode.kind === 'development' || mode.kind === 'open') return next();
    if (mode.kind === 'closed') {
      // Nothing but the public routes (the OpenAPI document): reads too, since they show every message.
      const err = accountsNotConfigured();
      countRefusal('rest', err.code, err.status);
      throw err;
    }
    const method = c.req.method;
    // Headers first: an unsigned or badly signed request is refused before its body is read.
    const signed = checkSignedHeaders(c.req.raw, mode.book, Date.now());
    const hasBody = method !== 'GET' && method !== 'HEAD';
    // Read once: the route's input parser gets the same bytes and the same parse (../request.ts).
    const bytes = hasBody ? await requestBytes(c.req.raw, tooLarge) : new Uint8Array(0);
    await verifySignature(c.req.raw, signed, bytes);
    const account = signed.account;
    const params = c.req.param() as Record<string, string>;
    validateNames(params);
    // Only a signed body is parsed here (some requirements read the topics it names).
    const json = hasBody ? await requestJson(c.req.raw) : undefined;
    // One decoding of the query, Hono's (the routes read c.req.query), for the requirement too.
    const needed = needOf({ params, query: (name) => c.req.query(name), body: json?.ok ? json.value : undefined });
    const refusal = decide(
      account.accessKey,
      account,
      typeof needed === 'string' ? { action: 'this request' } : needed,
      c.req.header('cf-connecting-ip'),
    );
    if (refusal) refuse(refusal.code, refusal.detail);
    // A stream's upgrade too: its signature opens a socket that writes (sends, commits), so it is good once.
    if (hasBody || isUpgrade(c.req.raw)) {
      try {
        await refuseReplayedWrite(c.env, account.accessKey, signed.signature, Number(signed.timestamp));
      } catch (err) {
        if (err instanceof FlareError && err.code === 'REQUEST_REPLAYED') countRefusal('rest', err.code, err.status);
        throw err;
      }
    }
    return next();
  };
}
