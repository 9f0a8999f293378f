import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, isUtf8, toBase64 } from '../../src/core/body';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const decodes = (bytes: Uint8Array) => {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** Bytes around UTF-8's boundaries: lead bytes of each length, their limits, continuation bytes, never-valid bytes. */
const edgeByte = fc.constantFrom(
  0x00,
  0x41,
  0x7f,
  0x80,
  0x8f,
  0x90,
  0x9f,
  0xa0,
  0xbd,
  0xbf,
  0xc0,
  0xc1,
  0xc2,
  0xdf,
  0xe0,
  0xe1,
  0xec,
  0xed,
  0xee,
  0xef,
  0xf0,
  0xf1,
  0xf3,
  0xf4,
  0xf5,
  0xff,
);
const bytes = fc
  .array(fc.oneof(edgeByte, fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
  .map((a) => Uint8Array.from(a));

describe('bodies', () => {
  it('isUtf8 says what the strict decoder says', () => {
    fc.assert(
      fc.property(bytes, (b) => isUtf8(b) === decodes(b)),
      { numRuns: 20_000 },
    );
    for (const text of ['héllo wörld', '日本語', '😀', '\uFFFD', '\uFEFFbom'])
      expect(isUtf8(new TextEncoder().encode(text))).toBe(true);
  });

  it('answers text for UTF-8 and base64 for other bytes, and base64 round-trips', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const encoded = encodeBody(b, 'utf8');
        expect(encoded.bodyEncoding).toBe(decodes(b) ? 'utf8' : 'base64');
        expect(decodeBody(encoded.body, encoded.bodyEncoding)).toEqual(
          encoded.bodyEncoding === 'utf8' ? new TextEncoder().encode(strictUtf8.decode(b)) : b,
        );
        expect(toBase64(b)).toBe(btoa(String.fromCharCode(...b)));
      }),
      { numRuns: 5_000 },
    );
  });
});
