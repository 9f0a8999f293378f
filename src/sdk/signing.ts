/**
 * Request signing for the SDK: with an account's keys, every request carries
 * `Authorization: FLAREMQ-HMAC-SHA256 <accessKey>:<signature>` and
 * `X-Flaremq-Timestamp` (the algorithm: src/core/request-signing.ts; the
 * rules: docs/security.md). Without keys nothing is added (local development).
 */
import { signingHeaders, type Credentials } from '../core/request-signing';
import type { FetchLike } from './http';

export type { Credentials } from '../core/request-signing';

function bodyOf(body: RequestInit['body']): string | Uint8Array | null {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('flaremq signing: only string and byte bodies can be signed');
}

/**
 * A fetch that signs each request with `credentials` before calling `inner`.
 * Pass it as a client's `fetch`, or let the client build it from its credentials.
 */
export function signingFetch(credentials: Credentials, inner: FetchLike): FetchLike {
  return async (input, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    const signed = await signingHeaders(credentials, { method, url: input, body: bodyOf(init.body) });
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(signed)) headers.set(name, value);
    return inner(input, { ...init, headers });
  };
}
