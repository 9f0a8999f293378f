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

/**
 * Reads the request body as JSON, refusing more than MAX_REQUEST_BYTES before
 * reading it all. An empty body reads as `emptyAs` when given, else is refused.
 */
export async function readJson(c: Context, emptyAs?: unknown): Promise<unknown> {
  const bytes = await readBodyBytes(c.req.raw, MAX_REQUEST_BYTES, (detail) => new FlareError('REQUEST_TOO_LARGE', detail));
  if (bytes.length === 0) {
    if (emptyAs !== undefined) return emptyAs;
    throw new FlareError('MALFORMED_JSON', 'the request has no body; send a JSON object');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new FlareError('MALFORMED_JSON', 'the request body is not UTF-8 text');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FlareError('MALFORMED_JSON', `the request body is not valid JSON: ${(err as Error).message}`);
  }
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
