import { FlareError } from './errors';

/** How a body travels in JSON: UTF-8 text, or base64 for arbitrary bytes. */
export type BodyEncoding = 'utf8' | 'base64';

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseBodyEncoding(value: unknown, field = 'bodyEncoding'): BodyEncoding {
  if (value === undefined || value === null || value === 'utf8' || value === 'text') return 'utf8';
  if (value === 'base64') return 'base64';
  throw new FlareError('INVALID_REQUEST', `${field} is "utf8" (default; "text" is the same) or "base64"`);
}

/** Decodes a JSON body field into bytes. */
export function decodeBody(body: string, encoding: BodyEncoding): Uint8Array {
  if (encoding === 'utf8') return encoder.encode(body);
  if (!BASE64.test(body)) throw new FlareError('INVALID_MESSAGE', 'body is not valid base64 (standard alphabet, with padding)');
  const binary = atob(body);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/**
 * Encodes stored bytes for a JSON answer: as text when asked for utf8 and the
 * bytes are valid UTF-8, otherwise base64. The answer says which it used.
 */
export function encodeBody(bytes: Uint8Array, preferred: BodyEncoding): { body: string; bodyEncoding: BodyEncoding } {
  if (preferred === 'utf8') {
    try {
      return { body: strictUtf8.decode(bytes), bodyEncoding: 'utf8' };
    } catch {
      // not UTF-8: fall through to base64
    }
  }
  return { body: toBase64(bytes), bodyEncoding: 'base64' };
}
