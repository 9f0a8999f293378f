/**
 * Request signatures of the RocketMQ HTTP protocol:
 *
 *   Authorization: MQ <AccessKeyId>:<Signature>
 *   Signature = base64(HMAC-SHA1(secretKey, StringToSign))
 *   StringToSign = METHOD + "\n" + Content-MD5 + "\n" + Content-Type + "\n" + Date + "\n"
 *                  + CanonicalizedMQHeaders + CanonicalizedResource
 *
 * CanonicalizedMQHeaders is every `x-mq-*` header, lower case, sorted, as
 * `name:value\n`; CanonicalizedResource is the request's path and query string
 * exactly as sent (`/topics/T/messages?consumer=G&numOfMessages=3`). An empty
 * header signs as an empty line.
 */
import { md5 } from 'hono/utils/crypto';
import { decodeBase64, encodeBase64 } from 'hono/utils/encode';
import type { AccountBook } from '../../core/accounts';
import { ProtocolError } from './errors';
import { log } from '../../log';

/** A request's Date may be at most this far from the server's clock, either way. */
export const MAX_DATE_SKEW_MS = 15 * 60 * 1000;

/** The protocol version every client sends in `x-mq-version`. */
export const PROTOCOL_VERSION = '2015-06-06';

export interface SignedParts {
  method: string;
  contentMd5: string;
  contentType: string;
  date: string;
  /** Every header, by lower-case name (only `x-mq-*` ones are signed). */
  headers: Iterable<[string, string]>;
  /** Path and query string as sent. */
  resource: string;
}

/** The x-mq-* headers, lower case and sorted, each as `name:value\n`. */
export function canonicalizedMqHeaders(headers: Iterable<[string, string]>): string {
  return [...headers]
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => name.startsWith('x-mq-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('');
}

export function stringToSign(parts: SignedParts): string {
  return `${parts.method}\n${parts.contentMd5}\n${parts.contentType}\n${parts.date}\n${canonicalizedMqHeaders(parts.headers)}${parts.resource}`;
}

const encoder = new TextEncoder();

function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, [usage]);
}

function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return decodeBase64(text);
}

/** base64(HMAC-SHA1(secret, text)): what a client puts after the colon. */
export async function sign(secret: string, text: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(text));
  return encodeBase64(mac);
}

/** Whether `signature` (base64) is the HMAC-SHA1 of `text` under `secret`, compared in constant time. */
export async function verify(secret: string, text: string, signature: string): Promise<boolean> {
  const mac = fromBase64(signature);
  if (!mac || mac.length !== 20) return false;
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), mac, encoder.encode(text));
}

/** Upper-case hex MD5 of bytes (the protocol's MessageBodyMD5). */
export async function md5Hex(bytes: Uint8Array): Promise<string> {
  return (await md5(bytes))!.toUpperCase();
}

/**
 * Checks a Content-MD5 header against the body. Two forms are accepted:
 * base64 of the 16 digest bytes (RFC 1864) and base64 of the digest's hex
 * text, which is what the official SDKs send.
 */
export async function checkContentMd5(header: string, body: Uint8Array): Promise<void> {
  const hex = (await md5Hex(body)).toLowerCase();
  const given = fromBase64(header.trim());
  if (given) {
    if (given.length === 16 && [...given].map((b) => b.toString(16).padStart(2, '0')).join('') === hex) return;
    if (given.length === 32 && new TextDecoder().decode(given).toLowerCase() === hex) return;
  }
  throw new ProtocolError(
    'InvalidDigest',
    'the Content-MD5 header does not match the request body (send the MD5 of the body, or no Content-MD5)',
  );
}

/** Checks the Date header: present, parseable, and within {@link MAX_DATE_SKEW_MS} of `now`. */
export function checkDate(date: string | undefined, now: number): void {
  if (!date) throw new ProtocolError('MissingDateHeader', 'the Date header is required on a signed request');
  const at = Date.parse(date);
  if (Number.isNaN(at))
    throw new ProtocolError(
      'InvalidDateHeader',
      `the Date header '${date.slice(0, 64)}' is not an HTTP date (like 'Tue, 18 Nov 2025 08:00:00 GMT')`,
    );
  if (Math.abs(now - at) > MAX_DATE_SKEW_MS) {
    throw new ProtocolError(
      'TimeExpired',
      `the Date header is ${Math.round((now - at) / 1000)} s from the server's clock; at most ${MAX_DATE_SKEW_MS / 60000} minutes either way are accepted`,
    );
  }
}

/** Who made a request: the account's access key, or null in local development mode (no accounts configured). */
export interface Caller {
  accessKey: string | null;
}

const AUTHORIZATION = /^MQ ([^:\s]+):(\S+)$/;

/** The one answer to an unknown access key and to a signature that does not match, so that neither tells which. */
const BAD_CREDENTIALS =
  'the access key or the signature is not valid for this request; see docs/http-protocol.md#authentication';

/** Refuses with {@link BAD_CREDENTIALS} as SignatureDoesNotMatch; `why` goes to the log only. */
function badCredentials(why: string): ProtocolError {
  log.warn('an HTTP protocol request was refused', { code: 'SignatureDoesNotMatch', reason: why.slice(0, 1024) });
  return new ProtocolError('SignatureDoesNotMatch', BAD_CREDENTIALS);
}

/**
 * Authenticates a request. With no accounts configured (local development)
 * every request is accepted without looking at its signature or Date. With
 * accounts, the request must carry a valid `Authorization: MQ key:signature`
 * by a known key and a Date within 15 minutes, and a request with a body
 * must carry Content-MD5 (the only part of the signed string that covers the
 * body; the official SDKs always send it). In both modes a Content-MD5
 * header, when present, must match the body.
 */
export async function authenticate(
  req: Request,
  body: Uint8Array | (() => Promise<Uint8Array>),
  book: AccountBook,
  now = Date.now(),
): Promise<Caller> {
  // The body is read only once the headers pass: an unsigned or badly signed request is refused unread.
  const readBody = typeof body === 'function' ? body : async () => body;
  const contentMd5 = req.headers.get('content-md5') ?? '';
  const version = req.headers.get('x-mq-version');
  if (version !== null && version !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      'InvalidArgument',
      `x-mq-version '${version.slice(0, 32)}' is not supported; flaremq speaks ${PROTOCOL_VERSION}`,
    );
  }
  if (book.size === 0) {
    if (contentMd5 !== '') await checkContentMd5(contentMd5, await readBody());
    return { accessKey: null };
  }

  const authorization = req.headers.get('authorization');
  if (!authorization)
    throw new ProtocolError(
      'MissingAuthorizationHeader',
      'the Authorization header is required: MQ <AccessKeyId>:<Signature>',
    );
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match)
    throw new ProtocolError(
      'InvalidAuthorizationHeader',
      "the Authorization header must be 'MQ <AccessKeyId>:<Signature>'",
    );
  const [, accessKey, signature] = match;
  // The Date before the key, so that a stale request does not tell whether its key exists.
  checkDate(req.headers.get('date') ?? undefined, now);
  const account = book.get(accessKey);
  if (!account) throw badCredentials(`the access key '${accessKey.slice(0, 128)}' does not exist`);
  const bytes = await readBody();
  if (contentMd5 !== '') await checkContentMd5(contentMd5, bytes);
  else if (bytes.length > 0) {
    throw new ProtocolError(
      'InvalidDigest',
      'a signed request with a body must carry Content-MD5 (base64 of the MD5 of the body, signed): without it the signature does not cover the body',
    );
  }
  const url = new URL(req.url);
  const text = stringToSign({
    method: req.method,
    contentMd5,
    contentType: req.headers.get('content-type') ?? '',
    date: req.headers.get('date') ?? '',
    headers: req.headers.entries(),
    resource: url.pathname + url.search,
  });
  if (!(await verify(account.secretKey, text, signature))) {
    throw badCredentials(
      `the signature of '${accessKey}' does not match; the string signed here was ${JSON.stringify(text.replace(/\n/g, '\\n'))}`,
    );
  }
  return { accessKey };
}
