import { FlareError } from '../core/errors';
import { MAX_JSON_CONTAINERS, MAX_JSON_DEPTH, MAX_REQUEST_BYTES } from '../core/limits';

/**
 * Reads a whole request body, refusing more than `limit` bytes before reading
 * it all: `tooLarge(detail)` makes the error each surface answers with.
 * Not hono/body-limit: as a middleware it reads a body sent without Content-Length before the signature
 * check can refuse it, and hands on a copied Request, which the once-per-request cache below would read again.
 */
export async function readBodyBytes(
  req: Request,
  limit: number,
  tooLarge: (detail: string) => Error,
): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > limit) throw tooLarge(`the request body is ${declared} bytes; at most ${limit} are read`);
  if (!req.body) return new Uint8Array(0);
  // A declared length within the limit: read in one native pass (the loop below costs an await per chunk, and a
  // body arrives in many small chunks). HTTP framing holds the body to its Content-Length.
  if (Number.isSafeInteger(declared) && declared >= 0) return new Uint8Array(await req.arrayBuffer());
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
  if (chunks.length === 1) return chunks[0];
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
export function requestBytes(
  req: Request,
  tooLarge: (detail: string) => Error = (detail) => new FlareError('REQUEST_TOO_LARGE', detail),
): Promise<Uint8Array> {
  let bytes = bodies.get(req);
  if (!bytes) {
    bytes = readBodyBytes(req, MAX_REQUEST_BYTES, tooLarge);
    bodies.set(req, bytes);
  }
  return bytes;
}

/** The body parsed as JSON, once per request (`undefined` for an empty body); a body that does not parse gives its error. */
export async function requestJson(req: Request, tooLarge?: (detail: string) => Error): Promise<ParsedJson> {
  const bytes = await requestBytes(req, tooLarge);
  if (bytes.length === 0) return { ok: true, value: undefined };
  let result = parsed.get(req);
  if (!result) {
    try {
      result = { ok: true, value: parseJsonBody(bytes, req.headers.get('content-type')) };
    } catch (err) {
      if (!(err instanceof FlareError)) throw err;
      result = { ok: false, error: err };
    }
    parsed.set(req, result);
  }
  return result;
}

/**
 * Parses a JSON request body already read. A body must be typed
 * `Content-Type: application/json` (parameters such as charset allowed): a web
 * page can send text/plain, form-urlencoded or multipart to another origin
 * without a CORS preflight, application/json it cannot (docs/security.md).
 * Its arrays and objects are counted before parsing (checkJsonShape). An empty
 * body needs no type: it reads as `emptyAs` when given, else is refused.
 */
export function parseJsonBody(bytes: Uint8Array, contentType: string | null | undefined, emptyAs?: unknown): unknown {
  if (bytes.length === 0) {
    if (emptyAs !== undefined) return emptyAs;
    throw new FlareError('MALFORMED_JSON', 'the request has no body; send a JSON object');
  }
  if (!isJsonType(contentType)) {
    throw new FlareError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the body is read as JSON only with Content-Type: application/json; this request says ${contentType ? `'${contentType.slice(0, 80)}'` : 'nothing'} (with curl: -H 'content-type: application/json')`,
    );
  }
  checkJsonShape(bytes);
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new FlareError('MALFORMED_JSON', 'the request body is not UTF-8 text');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FlareError('MALFORMED_JSON', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Whether a Content-Type header names application/json (any parameters, any case). */
export function isJsonType(contentType: string | null | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Refuses, before JSON.parse, a body whose arrays and objects nest deeper than
 * MAX_JSON_DEPTH or number more than MAX_JSON_CONTAINERS (400 JSON_TOO_COMPLEX):
 * 8 MiB of `[[],[],…]` would become 2.8 million arrays in the isolate's memory.
 * One pass over the bytes, skipping strings (UTF-8 never puts these ASCII bytes
 * inside a multi-byte character); malformed JSON is left to JSON.parse.
 */
export function checkJsonShape(bytes: Uint8Array): void {
  let depth = 0;
  let containers = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === QUOTE) {
      i = stringEnd(bytes, i + 1);
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      depth++;
      containers++;
      if (depth > MAX_JSON_DEPTH)
        throw new FlareError(
          'JSON_TOO_COMPLEX',
          `the JSON body nests arrays and objects more than ${MAX_JSON_DEPTH} deep`,
        );
      if (containers > MAX_JSON_CONTAINERS)
        throw new FlareError(
          'JSON_TOO_COMPLEX',
          `the JSON body holds more than ${MAX_JSON_CONTAINERS} arrays and objects`,
        );
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      depth--;
    }
  }
}

/**
 * The index of the quote that closes a string whose text starts at `from`
 * (the end of the bytes when none does): found with indexOf, the runtime's
 * own search, rather than byte by byte — a message body is most of a body's bytes.
 * A quote after an odd run of backslashes is escaped.
 */
function stringEnd(bytes: Uint8Array, from: number): number {
  for (let at = from; ; ) {
    const quote = bytes.indexOf(QUOTE, at);
    if (quote < 0) return bytes.length;
    let backslashes = 0;
    while (quote - backslashes - 1 >= from && bytes[quote - backslashes - 1] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}
