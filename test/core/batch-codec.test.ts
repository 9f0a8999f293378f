import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BatchView,
  decodeBatch,
  encodeBatch,
  encodeBatches,
  tagHash,
  tagHashes,
  type BatchMessage,
} from '../../src/core/batch-codec';

const text = new TextEncoder();

function message(i: number, over: Partial<BatchMessage> = {}): BatchMessage {
  return {
    body: text.encode(`body ${i}`),
    tags: i % 2 === 0 ? 'TagA' : 'TagB',
    keys: i % 3 === 0 ? [`k${i}`, 'shared'] : [],
    properties: { n: String(i) },
    bornTimestamp: 1_700_000_000_000 + i,
    storeTimestamp: 1_700_000_000_500 + i,
    uniqueKey: `U${i}`,
    reconsumeTimes: i % 4,
    ...over,
  };
}

const stored = (first: number, ms: BatchMessage[]) => ms.map((m, i) => ({ ...m, queueOffset: first + i }));

describe('batch codec', () => {
  it('hashes tags as Java String.hashCode, 0 for no tag (RocketMQ tagsCode)', () => {
    expect(tagHash('')).toBe(0);
    expect(tagHash('TagA')).toBe(2598919); // "TagA".hashCode() in Java
    expect(tagHash('hello world')).toBe(1794106052);
    expect(tagHash('a'.repeat(40))).toBe(1042809472); // wraps as Java's int does (computed with BigInt mod 2^32)
    expect(tagHashes(null)).toBeNull();
    expect([...tagHashes(['TagA', 'TagB'])!]).toEqual([tagHash('TagA'), tagHash('TagB')]);
  });

  it('round-trips every field of every message at consecutive offsets', () => {
    const ms = Array.from({ length: 50 }, (_, i) => message(i));
    ms[7] = message(7, {
      tags: '',
      keys: [],
      properties: {},
      uniqueKey: '',
      body: text.encode('\uFEFFstarts with a BOM'),
    });
    ms[8] = message(8, {
      tags: 'ταγ',
      properties: { ключ: 'значение ✓', bom: '\uFEFFvalue' },
      body: new Uint8Array([0, 255, 1]),
    });
    const decoded = decodeBatch(encodeBatch(2 ** 40, ms));
    expect(decoded.map((m) => ({ ...m, body: [...m.body] }))).toEqual(
      stored(2 ** 40, ms).map((m) => ({ ...m, body: [...m.body] })),
    );
  });

  it('keeps a property named __proto__ as a property', () => {
    const props = JSON.parse('{"__proto__": "x", "a": "b"}') as Record<string, string>;
    const [m] = decodeBatch(encodeBatch(0, [message(0, { properties: props })]));
    expect(Object.entries(m.properties)).toEqual([
      ['__proto__', 'x'],
      ['a', 'b'],
    ]);
  });

  it('reads one message by index and the entry fields without decoding the rest', () => {
    const ms = Array.from({ length: 10 }, (_, i) => message(i));
    const view = new BatchView(encodeBatch(100, ms));
    expect([view.first, view.count, view.end]).toEqual([100, 10, 110]);
    expect(view.indexOf(105)).toBe(5);
    expect(view.indexOf(110)).toBe(-1);
    expect(view.indexOf(99)).toBe(-1);
    expect(view.message(5)).toEqual({ ...ms[5], queueOffset: 105 });
    expect(view.tags(3)).toBe('TagB');
    expect(view.uniqueKey(9)).toBe('U9');
    expect(view.keys(3)).toEqual(['k3', 'shared']);
    expect(view.keys(4)).toEqual([]);
    expect(view.bodyLength(4)).toBe(ms[4].body.length);
    expect(view.storeTimestamp(2)).toBe(ms[2].storeTimestamp);
    expect(() => view.message(10)).toThrow(RangeError);
  });

  it('skips messages whose tag hash is not accepted without decoding their records', () => {
    const ms = Array.from({ length: 6 }, (_, i) => message(i));
    const bytes = encodeBatch(0, ms);
    // Break the records of the TagB messages (a key count past their end): a filter for TagA never reads them.
    for (const i of [1, 3, 5]) {
      const at = new BatchView(bytes);
      const start = new DataView(bytes.buffer).getUint32(16 + 20 * i + 4, true);
      const keyCountAt = start + 12 + 2 + at.tags(i).length + 2 + at.uniqueKey(i).length;
      new DataView(bytes.buffer).setUint16(keyCountAt, 0xffff, true);
    }
    const view = new BatchView(bytes);
    expect(() => view.message(1)).toThrow(RangeError);
    const accepted = tagHashes(['TagA']);
    const picked = Array.from({ length: view.count }, (_, i) => i).filter((i) => view.mayMatch(i, accepted));
    expect(picked).toEqual([0, 2, 4]);
    expect(picked.map((i) => view.message(i).tags)).toEqual(['TagA', 'TagA', 'TagA']);
    expect(Array.from({ length: 6 }, (_, i) => view.mayMatch(i, null))).toEqual(Array(6).fill(true));
  });

  it('splits into batches within a byte limit, a large message alone', () => {
    const ms = Array.from({ length: 10 }, (_, i) => message(i, { body: new Uint8Array(i === 4 ? 5000 : 100) }));
    const batches = encodeBatches(7, ms, 1000);
    expect(batches.every((b) => b.bytes.length <= 1000 || b.count === 1)).toBe(true);
    expect(batches.find((b) => b.first === 11)).toMatchObject({ count: 1 });
    expect(batches.map((b) => b.first)).toEqual(
      batches.map((_, i) => 7 + batches.slice(0, i).reduce((n, b) => n + b.count, 0)),
    );
    expect(batches.flatMap((b) => decodeBatch(b.bytes))).toEqual(stored(7, ms));
    const one = encodeBatches(0, ms, 1 << 20);
    expect(one).toHaveLength(1);
    expect(one[0].bytes).toEqual(encodeBatch(0, ms));
  });

  it('refuses malformed bytes with a RangeError', () => {
    const good = encodeBatch(0, [message(0), message(1)]);
    expect(() => new BatchView(new Uint8Array(3))).toThrow(RangeError);
    const wrongVersion = good.slice();
    wrongVersion[0] = 9;
    expect(() => new BatchView(wrongVersion)).toThrow(RangeError);
    expect(() => new BatchView(good.subarray(0, good.length - 20))).toThrow(RangeError);
    const hugeCount = good.slice();
    new DataView(hugeCount.buffer).setUint32(4, 1e6, true);
    expect(() => new BatchView(hugeCount)).toThrow(RangeError);
  });

  it('refuses strings a u16 length cannot hold', () => {
    expect(() => encodeBatch(0, [message(0, { tags: 'x'.repeat(70_000) })])).toThrow(RangeError);
  });

  it('round-trips arbitrary messages (property test)', () => {
    const arbMessage = fc.record({
      body: fc.uint8Array({ maxLength: 64 }),
      tags: fc.string({ maxLength: 20, unit: 'binary' }),
      keys: fc.array(fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme' }), { maxLength: 4 }),
      properties: fc.dictionary(
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.string({ maxLength: 40, unit: 'grapheme' }),
        { maxKeys: 5 },
      ),
      bornTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      storeTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      uniqueKey: fc.string({ maxLength: 32 }),
      reconsumeTimes: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 100 }),
        fc.array(arbMessage, { maxLength: 20 }),
        (first, ms) => {
          // Lone surrogates do not survive UTF-8 in any encoding; compare with what TextEncoder makes of them.
          const norm = (s: string) => new TextDecoder().decode(text.encode(s));
          const expected = stored(first, ms).map((m) => ({
            ...m,
            tags: norm(m.tags),
            uniqueKey: norm(m.uniqueKey),
            body: [...m.body],
          }));
          const view = new BatchView(encodeBatch(first, ms));
          expect(view.messages().map((m) => ({ ...m, body: [...m.body] }))).toEqual(expected);
          ms.forEach((m, i) => expect(view.tagHash(i)).toBe(tagHash(m.tags)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
