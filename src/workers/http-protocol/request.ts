/** Per-request helpers of the HTTP protocol: request ids, bodies, query parameters. */
import { readBodyBytes } from '../request';
import { ProtocolError } from './errors';

/** A request id as the protocol's: 24 upper-case hex digits, the first 8 the time in seconds. */
export function newRequestId(now = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(8));
  const time = Math.floor(now / 1000)
    .toString(16)
    .toUpperCase()
    .padStart(8, '0')
    .slice(-8);
  return (
    time +
    [...random]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase()
  );
}

/** Reads the whole body, refusing more than `limit` bytes before reading it all. */
export function readBody(req: Request, limit: number): Promise<Uint8Array> {
  return readBodyBytes(req, limit, (detail) => new ProtocolError('InvalidArgument', detail, 413));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The body as UTF-8 text, or MalformedXML. */
export function bodyText(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new ProtocolError('MalformedXML', 'the request has no body; send an XML document');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ProtocolError('MalformedXML', 'the request body is not UTF-8 text');
  }
}

/** An integer query parameter within bounds; `fallback` when absent. */
export function intQuery(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ProtocolError(
      'InvalidArgument',
      `${name} must be an integer from ${min} to ${max}; got '${value.slice(0, 40)}'`,
    );
  }
  return n;
}

/** A required, non-empty query parameter. */
export function requiredQuery(value: string | undefined, name: string): string {
  if (value === undefined || value === '')
    throw new ProtocolError('InvalidArgument', `the query parameter ${name} is required`);
  return value;
}
