import { type BatchView, encodeBatches, tagHash, type BatchMessage } from '../../core/batch-codec';
import type { NewMessage } from '../../core/message';

/**
 * The row codec of the queue log: how messages become `mq_batch` rows and what a row says of its messages without
 * being decoded. The one mapping of a message to a row (the blob is src/core/batch-codec.ts); the log, replication
 * and the migration of the old per-message rows all go through it. docs/storage.md.
 */

/**
 * Largest blob of one row: Durable Objects' SQLite takes rows of at most 2 MB; an append larger than this is
 * stored as several rows.
 */
export const MAX_ROW_DATA_BYTES = 1_900_000;

/** One row of `mq_batch`: consecutive messages from `first`, as stored and as replication ships it. */
export interface LogRow {
  first: number;
  count: number;
  /** Store times of the first and last message. */
  firstTs: number;
  lastTs: number;
  /** One bit per tag hash present (bit `hash & 31`): a filtered read skips a row without one of its tags' bits. */
  tagMask: number;
  /** A Bloom filter of the messages' unique keys (uniqueKeyFilter). */
  keyFilter: Uint8Array;
  /** Rows this row has in `mq_index` (keys, and unique keys outside their time window). */
  indexed: number;
  data: Uint8Array;
}

/** An `mq_index` row: a key (kind 0) or a unique key (kind 1) of the message at `offset`. */
export type IndexEntry = [kind: 0 | 1, key: string, storeTs: number, offset: number];

export const KEY = 0;
export const UNIQUE_KEY = 1;

/**
 * A unique key made by flaremq (core/msg-id.ts newUniqueKey: 32 hex digits, the first 12 the milliseconds it was
 * made) is found by looking at the rows stored from UNIQUE_KEY_EARLY_MS before that time to UNIQUE_KEY_LATE_MS
 * after it; a message stored outside that window (delayed, retried, committed from a half message, a producer's
 * clock far off) or whose unique key carries no time gets an `mq_index` row instead.
 */
export const UNIQUE_KEY_EARLY_MS = 60_000;
export const UNIQUE_KEY_LATE_MS = 300_000;

/** The time in a unique key made by newUniqueKey, or null for another form. */
export function uniqueKeyTime(uniqueKey: string): number | null {
  if (uniqueKey.length !== 32 || !/^[0-9A-F]{32}$/.test(uniqueKey)) return null;
  return parseInt(uniqueKey.slice(0, 12), 16);
}

/** Whether a message stored at `storeTs` needs an index row to be found by its unique key. */
export function uniqueKeyIndexed(uniqueKey: string, storeTs: number): boolean {
  const t = uniqueKeyTime(uniqueKey);
  return t === null || storeTs < t - UNIQUE_KEY_EARLY_MS || storeTs > t + UNIQUE_KEY_LATE_MS;
}

/** The tag-mask bit of a tag. */
export const tagBit = (tag: string): number => (1 << (tagHash(tag) & 31)) >>> 0;

/** The mask a read for `tags` needs a row to share (null: every row). */
export function tagMaskOf(tags: readonly string[] | null): number | null {
  return tags === null ? null : tags.reduce((m, t) => (m | tagBit(t)) >>> 0, 0);
}

const FILTER_HASHES = 3;
const FILTER_BITS_PER_KEY = 10;

/** Two independent 32-bit hashes of a string (Java's and FNV-1a), for double hashing. */
function hashes(s: string): [number, number] {
  let fnv = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) fnv = Math.imul(fnv ^ s.charCodeAt(i), 0x01000193);
  return [tagHash(s) >>> 0, (fnv | 1) >>> 0];
}

/** A Bloom filter of unique keys, 10 bits a key and 3 probes (about 1 % false positives); hand-written as it is 15 lines. */
export function uniqueKeyFilter(keys: readonly string[]): Uint8Array {
  const bits = Math.max(64, keys.length * FILTER_BITS_PER_KEY);
  const filter = new Uint8Array(Math.ceil(bits / 8));
  const m = filter.length * 8;
  for (const key of keys) {
    const [a, b] = hashes(key);
    for (let i = 0; i < FILTER_HASHES; i++) {
      const bit = (a + i * b) % m;
      filter[bit >>> 3] |= 1 << (bit & 7);
    }
  }
  return filter;
}

/** Whether `key` may be in a filter made by uniqueKeyFilter (false: certainly not). */
export function filterMayHave(filter: Uint8Array, key: string): boolean {
  const m = filter.length * 8;
  if (m === 0) return false;
  const [a, b] = hashes(key);
  for (let i = 0; i < FILTER_HASHES; i++) {
    const bit = (a + i * b) % m;
    if ((filter[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** The index rows of a row's messages. */
export function indexEntries(view: BatchView): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i < view.count; i++) {
    const offset = view.first + i;
    const ts = view.storeTimestamp(i);
    const uniqueKey = view.uniqueKey(i);
    if (uniqueKeyIndexed(uniqueKey, ts)) out.push([UNIQUE_KEY, uniqueKey, ts, offset]);
    for (const key of view.keys(i)) out.push([KEY, key, ts, offset]);
  }
  return out;
}

/** Rows for messages at consecutive offsets from `first`, each stored at its own time (as few rows as MAX_ROW_DATA_BYTES allows). */
export function rowsOf(first: number, messages: readonly BatchMessage[]): LogRow[] {
  return encodeBatches(first, messages, MAX_ROW_DATA_BYTES).map((batch) => {
    const ms = messages.slice(batch.first - first, batch.first - first + batch.count);
    let tagMask = 0;
    let indexed = 0;
    for (const m of ms) {
      tagMask = (tagMask | tagBit(m.tags)) >>> 0;
      indexed += m.keys.length + (uniqueKeyIndexed(m.uniqueKey, m.storeTimestamp) ? 1 : 0);
    }
    return {
      first: batch.first,
      count: batch.count,
      firstTs: ms[0]?.storeTimestamp ?? 0,
      lastTs: ms[ms.length - 1]?.storeTimestamp ?? 0,
      tagMask,
      keyFilter: uniqueKeyFilter(ms.map((m) => m.uniqueKey)),
      indexed,
      data: batch.bytes,
    };
  });
}

/** Rows for an append: messages at consecutive offsets from `first`, all stored at `storeTimestamp`. */
export function appendRows(first: number, messages: readonly NewMessage[], storeTimestamp: number): LogRow[] {
  return rowsOf(
    first,
    messages.map((m) => ({ ...m, storeTimestamp })),
  );
}

/** Bytes a row counts for against the storage cap: its blob and its filter. */
export const rowBytes = (row: Pick<LogRow, 'data' | 'keyFilter'>): number =>
  row.data.byteLength + row.keyFilter.byteLength;
