import { describe, expect, it } from 'vitest';
import { newUniqueKey } from '../../src/core/msg-id';
import {
  appendRows,
  filterMayHave,
  MAX_ROW_DATA_BYTES,
  tagMaskOf,
  UNIQUE_KEY_EARLY_MS,
  UNIQUE_KEY_LATE_MS,
  uniqueKeyFilter,
  uniqueKeyIndexed,
  uniqueKeyTime,
} from '../../src/durable-objects/queue/log-row';

const message = (i: number, over: Record<string, unknown> = {}) => ({
  body: new TextEncoder().encode(`b${i}`),
  tags: i % 2 ? 'A' : 'B',
  keys: [],
  properties: {},
  bornTimestamp: 1,
  uniqueKey: newUniqueKey(1_000_000),
  reconsumeTimes: 0,
  ...over,
});

describe('log rows', () => {
  it('a unique key filter has no false negatives and few false positives', () => {
    for (const n of [1, 10, 100, 1000]) {
      const keys = Array.from({ length: n }, () => newUniqueKey());
      const filter = uniqueKeyFilter(keys);
      expect(keys.every((k) => filterMayHave(filter, k))).toBe(true);
      const others = Array.from({ length: 2000 }, () => newUniqueKey());
      expect(others.filter((k) => filterMayHave(filter, k)).length).toBeLessThan(2000 * 0.05);
    }
    expect(filterMayHave(uniqueKeyFilter([]), newUniqueKey())).toBe(false);
  });

  it('indexes a unique key only when it carries no time or the message was stored outside its window', () => {
    const t = 1_700_000_000_000;
    const key = newUniqueKey(t);
    expect(uniqueKeyTime(key)).toBe(t);
    expect(uniqueKeyTime('my-own-id')).toBeNull();
    expect(uniqueKeyIndexed(key, t)).toBe(false);
    expect(uniqueKeyIndexed(key, t - UNIQUE_KEY_EARLY_MS)).toBe(false);
    expect(uniqueKeyIndexed(key, t + UNIQUE_KEY_LATE_MS)).toBe(false);
    expect(uniqueKeyIndexed(key, t - UNIQUE_KEY_EARLY_MS - 1)).toBe(true);
    expect(uniqueKeyIndexed(key, t + UNIQUE_KEY_LATE_MS + 1)).toBe(true);
    expect(uniqueKeyIndexed('my-own-id', t)).toBe(true);
  });

  it('summarises a row: count, store times, tag mask, index rows', () => {
    const [row] = appendRows(
      10,
      [message(0, { keys: ['k1', 'k2'] }), message(1), message(2, { uniqueKey: 'custom' })],
      1_000_000,
    );
    expect(row).toMatchObject({ first: 10, count: 3, firstTs: 1_000_000, lastTs: 1_000_000, indexed: 3 });
    expect(row.tagMask & tagMaskOf(['A'])!).not.toBe(0);
    expect(row.tagMask & tagMaskOf(['B'])!).not.toBe(0);
    expect(tagMaskOf(null)).toBeNull();
  });

  it('splits an append at the row limit', () => {
    const big = new Uint8Array(800 * 1024);
    const rows = appendRows(
      0,
      Array.from({ length: 5 }, (_, i) => message(i, { body: big })),
      1,
    );
    expect(rows.map((r) => [r.first, r.count])).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    expect(rows.every((r) => r.data.byteLength <= MAX_ROW_DATA_BYTES)).toBe(true);
  });
});
