import type { Context } from 'hono';
import { FlareError, type ErrorCode } from '../core/errors';
import { MAX_REQUEST_BYTES } from '../core/limits';

/**
 * Reads a whole request body, refusing more than `limit` bytes before reading
 * it all: `tooLarge(detail)` makes the error each surface answers with.
 */
export async function readBodyBytes(req: Request, limit: number, tooLarge: (detail: string) => Error): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > limit) throw tooLarge(`the request body is ${declared} bytes; at most ${limit} are read`);
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(`the request body passes ${limit} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** What a request's body parsed to: read once, by the auth layer or the route, whichever comes first. */
type ParsedJson = { ok: true; value: unknown } | { ok: false; error: FlareError };

const bodies = new WeakMap<Request, Promise<Uint8Array>>();
const parsed = new WeakMap<Request, ParsedJson>();

/**
 * The request's body, at most MAX_REQUEST_BYTES, read once: a second call (the
 * route after the auth layer) gets the same bytes without reading or copying
 * them again. `tooLarge` makes the refusal of a larger body.
 */
export function requestBytes(req: Request, tooLarge: (detail: string) => Error = (detail) => new FlareError('REQUEST_TOO_LARGE', detail)): Promise<Uint8Array> {
  let bytes = bodies.get(req);
  if (!bytes) {
    bytes = readBodyBytes(req, MAX_REQUEST_BYTES, tooLarge);
    bodies.set(req, bytes);
  }
  return bytes;
}

function parseJsonBytes(bytes: Uint8Array): ParsedJson {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, error: new FlareError('MALFORMED_JSON', 'the request body is not UTF-8 text') };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: new FlareError('MALFORMED_JSON', `the request body is not valid JSON: ${(err as Error).message}`) };
  }
}

/** The body parsed as JSON, once per request (`undefined` for an empty body); a body that does not parse gives its error. */
export async function requestJson(req: Request, tooLarge?: (detail: string) => Error): Promise<ParsedJson> {
  const bytes = await requestBytes(req, tooLarge);
  if (bytes.length === 0) return { ok: true, value: undefined };
  let result = parsed.get(req);
  if (!result) {
    result = parseJsonBytes(bytes);
    parsed.set(req, result);
  }
  return result;
}

/**
 * Reads the request body as JSON, refusing more than MAX_REQUEST_BYTES before
 * reading it all. An empty body reads as `emptyAs` when given, else is refused.
 */
export async function readJson(c: Context, emptyAs?: unknown): Promise<unknown> {
  const result = await requestJson(c.req.raw);
  if (!result.ok) throw result.error;
  if (result.value === undefined) {
    if (emptyAs !== undefined) return emptyAs;
    throw new FlareError('MALFORMED_JSON', 'the request has no body; send a JSON object');
  }
  return result.value;
}

interface IntOptions {
  min?: number;
  max?: number;
  /** Used when the parameter is absent; without it the parameter is required. */
  fallback?: number;
  code?: ErrorCode;
}

/** Parses an integer query or path parameter, with a message that says what is accepted. */
export function intParam(value: string | undefined, name: string, opts: IntOptions = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, fallback, code = 'INVALID_REQUEST' } = opts;
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    throw new FlareError(code, `${name} is required: an integer from ${min} to ${max}`);
  }
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new FlareError(code, `${name} must be an integer from ${min} to ${max}; got '${value.slice(0, 40)}'`);
  }
  return n;
}

/** Parses a boolean query parameter ("true"/"false"/"1"/"0"). */
export function boolParam(value: string | undefined, name: string, fallback = false): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new FlareError('INVALID_REQUEST', `${name} must be true or false`);
}
