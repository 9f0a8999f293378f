/**
 * Signatures of REST API requests (/api/v1/**), shared by the Worker (which
 * verifies) and the SDK (which signs). WebCrypto only: it runs in Workers,
 * Node ≥ 20 and browsers. docs/security.md shows it by hand.
 *
 *   X-Flaremq-Timestamp: <milliseconds since the epoch>
 *   Authorization: FLAREMQ-HMAC-SHA256 <accessKey>:<signature>
 *
 *   signature    = lower-case hex of HMAC-SHA256(secretKey, stringToSign)
 *   stringToSign = "FLAREMQ-HMAC-SHA256\n" + METHOD + "\n" + host + "\n" + path + "\n" + query + "\n"
 *                  + timestamp + "\n" + lower-case hex of SHA-256(body)
 *
 * `host`, `path` and `query` are the URL's host (lower case, with the port
 * unless it is the scheme's default), pathname and search without its `?`, as
 * the WHATWG URL parser gives them (`new URL(url).host`), exactly as sent: no
 * sorting, no re-encoding. A request without a body hashes the empty string.
 * The host binds a signature to one deployment; the Worker also refuses a
 * write whose signature it has already seen (docs/security.md, "Replays").
 */

export const SIGNING_ALGORITHM = 'FLAREMQ-HMAC-SHA256';
export const TIMESTAMP_HEADER = 'x-flaremq-timestamp';
/** A signed request's timestamp may be at most this far from the server's clock, either way (no replay). */
export const MAX_TIMESTAMP_SKEW_MS = 15 * 60 * 1000;

/** An account's keys, as the client holds them. */
export interface Credentials {
  accessKey: string;
  secretKey: string;
}

export interface SignedRequestParts {
  method: string;
  /** The URL's host as the WHATWG URL parser gives it (`example.com`, `localhost:8787`). */
  host: string;
  /** The URL's pathname, as sent. */
  path: string;
  /** The URL's search without its leading `?` ('' when none). */
  query: string;
  /** Milliseconds since the epoch, as the decimal text sent in the header. */
  timestamp: string;
  /** Lower-case hex SHA-256 of the body. */
  bodySha256: string;
}

export function stringToSign(p: SignedRequestParts): string {
  return [SIGNING_ALGORITHM, p.method.toUpperCase(), p.host, p.path, p.query, p.timestamp, p.bodySha256].join('\n');
}

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256Hex(body: Uint8Array | string): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

function key(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

export async function hmacSha256Hex(secret: string, text: string): Promise<string> {
  return hex(await crypto.subtle.sign('HMAC', await key(secret, 'sign'), encoder.encode(text)));
}

/** Whether `signature` (64 hex digits) is the HMAC of `text` under `secret`, compared in constant time. */
export async function verifyHmacSha256Hex(secret: string, text: string, signature: string): Promise<boolean> {
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return false;
  const mac = Uint8Array.from(signature.match(/../g) ?? [], (h) => parseInt(h, 16));
  return crypto.subtle.verify('HMAC', await key(secret, 'verify'), mac, encoder.encode(text));
}

/** The host, path and query of a URL as they are signed. */
export function signedTarget(url: string): { host: string; path: string; query: string } {
  const u = new URL(url);
  return { host: u.host, path: u.pathname, query: u.search.replace(/^\?/, '') };
}

let lastClockTimestamp = 0;

/**
 * The timestamp of a signature made now: the clock's milliseconds, but never
 * twice the same in one process, so that two identical requests signed in one
 * millisecond differ (the Worker refuses a write whose signature it has seen).
 */
function clockTimestamp(): number {
  lastClockTimestamp = Math.max(Math.floor(Date.now()), lastClockTimestamp + 1);
  return lastClockTimestamp;
}

/**
 * The headers that sign one request: `authorization` and `x-flaremq-timestamp`.
 * `body` is exactly the bytes (or text, sent as UTF-8) the request will carry.
 * Without `now`, the timestamp is the clock's, made unique in this process.
 */
export async function signingHeaders(
  credentials: Credentials,
  request: { method: string; url: string; body?: Uint8Array | string | null },
  now: number = clockTimestamp(),
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(now));
  const text = stringToSign({
    method: request.method,
    ...signedTarget(request.url),
    timestamp,
    bodySha256: await sha256Hex(request.body ?? ''),
  });
  return {
    authorization: `${SIGNING_ALGORITHM} ${credentials.accessKey}:${await hmacSha256Hex(credentials.secretKey, text)}`,
    [TIMESTAMP_HEADER]: timestamp,
  };
}
