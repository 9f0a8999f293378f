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

/** The runtime's own base64 of Uint8Array (workerd and recent browsers have it; Node 22 not), typed here as TypeScript's ES2022 lib lacks it. */
const nativeBase64 = Uint8Array as unknown as {
  fromBase64?: (text: string) => Uint8Array;
  prototype: { toBase64?: () => string };
};
const fromBase64Native = nativeBase64.fromBase64?.bind(Uint8Array);
const toBase64Native = nativeBase64.prototype.toBase64;

/** Decodes a JSON body field into bytes. */
export function decodeBody(body: string, encoding: BodyEncoding): Uint8Array {
  if (encoding === 'utf8') return encoder.encode(body);
  if (!BASE64.test(body))
    throw new FlareError('INVALID_MESSAGE', 'body is not valid base64 (standard alphabet, with padding)');
  if (fromBase64Native) return fromBase64Native(body);
  const binary = atob(body);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  if (toBase64Native) return toBase64Native.call(bytes);
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
  if (preferred === 'utf8' && isUtf8(bytes)) {
    try {
      return { body: strictUtf8.decode(bytes), bodyEncoding: 'utf8' };
    } catch {
      // not UTF-8 after all: base64
    }
  }
  return { body: toBase64(bytes), bodyEncoding: 'base64' };
}

/**
 * Whether bytes are UTF-8 as the strict decoder reads it (WHATWG: no overlong
 * forms, no surrogates, nothing past U+10FFFF). Checked here rather than by
 * the decoder's refusal: workerd's decoders take about 35 µs per KiB of bytes
 * that are not UTF-8 (a binary body), this loop about 1.
 */
export function isUtf8(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let more: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) more = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      more = 2;
      if (b === 0xe0) low = 0xa0;
      else if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3;
      if (b === 0xf0) low = 0x90;
      else if (b === 0xf4) high = 0x8f;
    } else return false;
    if (i + more >= n) return false; // cut short
    const second = bytes[i + 1];
    if (second < low || second > high) return false;
    for (let k = 2; k <= more; k++) {
      const c = bytes[i + k];
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += more + 1;
  }
  return true;
}
