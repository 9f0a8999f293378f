/**
 * Caps on the URL, the query string and the headers, checked before a
 * request reaches any route (the body's cap is checked as it is read).
 * Cloudflare's own edge limits are larger (16 KB URL, 128 KB headers); these
 * keep what flaremq parses, logs and signs small.
 */
import { FlareError } from '../../core/errors';
import {
  MAX_HEADER_BYTES,
  MAX_HEADER_COUNT,
  MAX_QUERY_BYTES,
  MAX_QUERY_PARAMS,
  MAX_URL_BYTES,
} from '../../core/limits';
import { countRefusal, type Surface } from '../refusals';

type Refuse = (code: 'URL_TOO_LONG' | 'HEADERS_TOO_LARGE', detail: string) => never;

/** Throws URL_TOO_LONG or HEADERS_TOO_LARGE (counted as refusals of `surface`) when a request passes a cap. */
export function checkRequestLimits(req: Request, surface: Surface): void {
  const refuse: Refuse = (code, detail) => {
    const err = new FlareError(code, detail);
    countRefusal(surface, code, err.status);
    throw err;
  };
  // A URL within every cap as a whole (its path and query are no longer than it, and its query has a parameter per
  // `&` at most) is not parsed: parsing every request's URL and parameters took a few % of a pull's CPU time.
  const url = req.url;
  const q = url.indexOf('?');
  const fits =
    url.length <= MAX_URL_BYTES &&
    (q < 0 || (url.length - q - 1 <= MAX_QUERY_BYTES && ampersands(url, q) < MAX_QUERY_PARAMS));
  if (!fits) checkUrl(new URL(url), refuse);
  let count = 0;
  let bytes = 0;
  for (const [name, value] of req.headers) {
    count++;
    bytes += name.length + value.length;
  }
  if (count > MAX_HEADER_COUNT)
    refuse('HEADERS_TOO_LARGE', `the request has ${count} headers; at most ${MAX_HEADER_COUNT} are accepted`);
  if (bytes > MAX_HEADER_BYTES)
    refuse('HEADERS_TOO_LARGE', `the request headers are ${bytes} bytes; at most ${MAX_HEADER_BYTES} are accepted`);
}

function ampersands(text: string, from: number): number {
  let n = 0;
  for (let i = text.indexOf('&', from); i >= 0; i = text.indexOf('&', i + 1)) n++;
  return n;
}

function checkUrl(url: URL, refuse: Refuse): void {
  const target = url.pathname.length + url.search.length;
  if (target > MAX_URL_BYTES)
    refuse('URL_TOO_LONG', `the URL's path and query are ${target} bytes; at most ${MAX_URL_BYTES} are accepted`);
  if (url.search.length - 1 > MAX_QUERY_BYTES)
    refuse(
      'URL_TOO_LONG',
      `the query string is ${url.search.length - 1} bytes; at most ${MAX_QUERY_BYTES} are accepted`,
    );
  let params = 0;
  for (const _ of url.searchParams.keys()) {
    if (++params > MAX_QUERY_PARAMS)
      refuse('URL_TOO_LONG', `the query string has more than ${MAX_QUERY_PARAMS} parameters`);
  }
}
