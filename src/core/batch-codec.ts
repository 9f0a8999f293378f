import type { NewMessage, StoredMessage } from './message';

/**
 * The binary form of a batch of stored messages: one queue log row, one stream frame. Pure code with no runtime
 * imports, so that the SDK decodes the frames the queue objects send with the same file.
 *
 * Layout (little-endian), in the spirit of RocketMQ's ConsumeQueue, whose fixed 20-byte entries (commit log
 * offset, size, tag hash) let a consumer skip a message without reading it:
 *
 *   header   u8 version (1) · u8 0 · u16 0 · u32 count · f64 offset of the first message       16 bytes
 *   entries  per message: i32 tag hash · u32 record start · u32 body length · f64 store time   20 bytes each
 *   records  per message: f64 born time · u32 reconsumeTimes · str tags · str uniqueKey
 *            · u16 key count, str each · u16 property count, (str name · long str value) each · body bytes
 *
 * `str` is a u16 byte length and UTF-8, `long str` a u32 byte length and UTF-8. A record ends where the next one
 * starts (the last one at the end of the batch), its body being its last `body length` bytes. Reading the tag
 * hash, store time or body size of a message reads its entry only; decoding one message reads its record only.
 */

export const BATCH_CODEC_VERSION = 1;
const HEADER_BYTES = 16;
const ENTRY_BYTES = 20;
const RECORD_FIXED_BYTES = 8 + 4;
const MAX_SHORT = 0xffff;

/** A message as the codec writes it: a new message with the time it was stored. */
export type BatchMessage = NewMessage & { storeTimestamp: number };

/** Consecutive messages as one encoded batch. */
export interface EncodedBatch {
  /** Offset of the first message. */
  first: number;
  count: number;
  bytes: Uint8Array;
}

const encoder = new TextEncoder();
// ignoreBOM: a string that begins with U+FEFF keeps it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The tag hash of RocketMQ's ConsumeQueue entries (MessageExtBrokerInner.tagsString2tagsCode): Java's
 * String.hashCode of the tag over UTF-16 code units, 0 for no tag. Equal tags have equal hashes; a hash match is
 * confirmed by comparing the tag itself, as RocketMQ's consumer re-checks the tag string.
 */
export function tagHash(tag: string): number {
  let h = 0;
  for (let i = 0; i < tag.length; i++) h = (Math.imul(h, 31) + tag.charCodeAt(i)) | 0;
  return h;
}

/** The hashes a tag filter accepts (null: every message). */
export function tagHashes(tags: readonly string[] | null): Set<number> | null {
  return tags === null ? null : new Set(tags.map(tagHash));
}

/** A message's strings as UTF-8, measured once for sizing and writing. */
interface Parts {
  tags: Uint8Array;
  uniqueKey: Uint8Array;
  keys: Uint8Array[];
  properties: [Uint8Array, Uint8Array][];
  size: number;
}

function short(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length > MAX_SHORT)
    throw new RangeError(`${what} is ${bytes.length} bytes; a batch holds at most ${MAX_SHORT}`);
  return bytes;
}

function partsOf(m: BatchMessage): Parts {
  const tags = short(encoder.encode(m.tags), 'a tag');
  const uniqueKey = short(encoder.encode(m.uniqueKey), 'a unique key');
  const keys = m.keys.map((k) => short(encoder.encode(k), 'a key'));
  const properties = Object.entries(m.properties).map(([k, v]): [Uint8Array, Uint8Array] => [
    short(encoder.encode(k), 'a property name'),
    encoder.encode(v),
  ]);
  if (keys.length > MAX_SHORT || properties.length > MAX_SHORT)
    throw new RangeError(`a message has more than ${MAX_SHORT} keys or properties`);
  let size = ENTRY_BYTES + RECORD_FIXED_BYTES + 2 + tags.length + 2 + uniqueKey.length + 2 + 2 + m.body.length;
  for (const k of keys) size += 2 + k.length;
  for (const [k, v] of properties) size += 2 + k.length + 4 + v.length;
  return { tags, uniqueKey, keys, properties, size };
}

function write(first: number, messages: readonly BatchMessage[], parts: readonly Parts[]): Uint8Array {
  let total = HEADER_BYTES;
  for (const p of parts) total += p.size;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, BATCH_CODEC_VERSION);
  view.setUint32(4, messages.length, true);
  view.setFloat64(8, first, true);
  let pos = HEADER_BYTES + ENTRY_BYTES * messages.length;
  const putShort = (b: Uint8Array): void => {
    view.setUint16(pos, b.length, true);
    bytes.set(b, pos + 2);
    pos += 2 + b.length;
  };
  messages.forEach((m, i) => {
    const p = parts[i];
    const entry = HEADER_BYTES + ENTRY_BYTES * i;
    view.setInt32(entry, tagHash(m.tags), true);
    view.setUint32(entry + 4, pos, true);
    view.setUint32(entry + 8, m.body.length, true);
    view.setFloat64(entry + 12, m.storeTimestamp, true);
    view.setFloat64(pos, m.bornTimestamp, true);
    view.setUint32(pos + 8, m.reconsumeTimes, true);
    pos += RECORD_FIXED_BYTES;
    putShort(p.tags);
    putShort(p.uniqueKey);
    view.setUint16(pos, p.keys.length, true);
    pos += 2;
    for (const k of p.keys) putShort(k);
    view.setUint16(pos, p.properties.length, true);
    pos += 2;
    for (const [k, v] of p.properties) {
      putShort(k);
      view.setUint32(pos, v.length, true);
      bytes.set(v, pos + 4);
      pos += 4 + v.length;
    }
    bytes.set(m.body, pos);
    pos += m.body.length;
  });
  return bytes;
}

/** Encodes messages at consecutive offsets from `first` as one batch. */
export function encodeBatch(first: number, messages: readonly BatchMessage[]): Uint8Array {
  return write(first, messages, messages.map(partsOf));
}

/**
 * Encodes messages at consecutive offsets from `first` as few batches as keep each within `maxBytes` (a message
 * larger than that alone is a batch of its own).
 */
export function encodeBatches(first: number, messages: readonly BatchMessage[], maxBytes: number): EncodedBatch[] {
  const parts = messages.map(partsOf);
  const out: EncodedBatch[] = [];
  let start = 0;
  let size = HEADER_BYTES;
  const flush = (end: number): void => {
    out.push({
      first: first + start,
      count: end - start,
      bytes: write(first + start, messages.slice(start, end), parts.slice(start, end)),
    });
    start = end;
    size = HEADER_BYTES;
  };
  parts.forEach((p, i) => {
    if (i > start && size + p.size > maxBytes) flush(i);
    size += p.size;
  });
  if (start < messages.length || messages.length === 0) flush(messages.length);
  return out;
}

/** Decoded bytes of a string: short ASCII without TextDecoder, which costs more than the loop for a few bytes. */
function text(bytes: Uint8Array, start: number, length: number): string {
  if (length <= 32) {
    let s = '';
    for (let i = start; i < start + length; i++) {
      const c = bytes[i];
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, start + length));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, start + length));
}

function malformed(detail: string): never {
  throw new RangeError(`malformed batch: ${detail}`);
}

/**
 * A read-only view of one encoded batch. Construction checks the header and the entries; each accessor reads
 * what it names. Message `i` is the one at offset `first + i`. Decoded bodies share the batch's memory.
 */
export class BatchView {
  readonly first: number;
  readonly count: number;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    if (bytes.length < HEADER_BYTES) malformed(`${bytes.length} bytes`);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.view.getUint8(0) !== BATCH_CODEC_VERSION) malformed(`version ${this.view.getUint8(0)}`);
    this.count = this.view.getUint32(4, true);
    this.first = this.view.getFloat64(8, true);
    if (!Number.isSafeInteger(this.first) || this.first < 0) malformed(`first offset ${this.first}`);
    let previous = HEADER_BYTES + ENTRY_BYTES * this.count;
    if (previous > bytes.length) malformed(`${this.count} entries in ${bytes.length} bytes`);
    for (let i = 0; i < this.count; i++) {
      const start = this.recordStart(i);
      const end = this.recordEnd(i);
      if (start < previous || end > bytes.length || end - start < RECORD_FIXED_BYTES + 8 + this.bodyLength(i))
        malformed(`record ${i}`);
      previous = end;
    }
  }

  private recordStart(i: number): number {
    return this.view.getUint32(HEADER_BYTES + ENTRY_BYTES * i + 4, true);
  }

  private recordEnd(i: number): number {
    return i + 1 < this.count ? this.recordStart(i + 1) : this.bytes.length;
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count)
      throw new RangeError(`message ${i} is not in a batch of ${this.count}`);
  }

  /** Offset after the last message. */
  get end(): number {
    return this.first + this.count;
  }

  /** Index of the message at `offset`, or -1 when this batch does not hold it. */
  indexOf(offset: number): number {
    return offset >= this.first && offset < this.first + this.count ? offset - this.first : -1;
  }

  tagHash(i: number): number {
    this.check(i);
    return this.view.getInt32(HEADER_BYTES + ENTRY_BYTES * i, true);
  }

  bodyLength(i: number): number {
    this.check(i);
    return this.view.getUint32(HEADER_BYTES + ENTRY_BYTES * i + 8, true);
  }

  storeTimestamp(i: number): number {
    this.check(i);
    return this.view.getFloat64(HEADER_BYTES + ENTRY_BYTES * i + 12, true);
  }

  /** Whether message `i` may have one of the tags whose hashes are `hashes` (null: all); confirm with tags(i). */
  mayMatch(i: number, hashes: ReadonlySet<number> | null): boolean {
    return hashes === null || hashes.has(this.tagHash(i));
  }

  /** Reads a short string at `pos`: [value, position after it]. */
  private shortAt(pos: number, limit: number): [string, number] {
    const length = this.view.getUint16(pos, true);
    if (pos + 2 + length > limit) malformed(`string at ${pos}`);
    return [text(this.bytes, pos + 2, length), pos + 2 + length];
  }

  tags(i: number): string {
    this.check(i);
    return this.shortAt(this.recordStart(i) + RECORD_FIXED_BYTES, this.recordEnd(i))[0];
  }

  uniqueKey(i: number): string {
    this.check(i);
    const limit = this.recordEnd(i);
    const [, pos] = this.shortAt(this.recordStart(i) + RECORD_FIXED_BYTES, limit);
    return this.shortAt(pos, limit)[0];
  }

  /** The keys of message `i`, without decoding its properties or body. */
  keys(i: number): string[] {
    this.check(i);
    const limit = this.recordEnd(i) - this.bodyLength(i);
    let [, pos] = this.shortAt(this.recordStart(i) + RECORD_FIXED_BYTES, limit);
    [, pos] = this.shortAt(pos, limit);
    if (pos + 2 > limit) malformed(`record ${i}`);
    const keys: string[] = [];
    for (let k = this.view.getUint16(pos, true), p = pos + 2; k > 0; k--) {
      let key: string;
      [key, p] = this.shortAt(p, limit);
      keys.push(key);
    }
    return keys;
  }

  /** Message `i`, decoded. */
  message(i: number): StoredMessage {
    this.check(i);
    const start = this.recordStart(i);
    const bodyEnd = this.recordEnd(i);
    const bodyStart = bodyEnd - this.bodyLength(i);
    const v = this.view;
    let [tags, pos] = this.shortAt(start + RECORD_FIXED_BYTES, bodyStart);
    let uniqueKey: string;
    [uniqueKey, pos] = this.shortAt(pos, bodyStart);
    const keyCount = v.getUint16(pos, true);
    pos += 2;
    const keys: string[] = [];
    for (let k = 0; k < keyCount; k++) {
      let key: string;
      [key, pos] = this.shortAt(pos, bodyStart);
      keys.push(key);
    }
    if (pos + 2 > bodyStart) malformed(`record ${i}`);
    const propertyCount = v.getUint16(pos, true);
    pos += 2;
    const properties: [string, string][] = [];
    for (let p = 0; p < propertyCount; p++) {
      let name: string;
      [name, pos] = this.shortAt(pos, bodyStart);
      if (pos + 4 > bodyStart) malformed(`record ${i}`);
      const length = v.getUint32(pos, true);
      if (pos + 4 + length > bodyStart) malformed(`record ${i}`);
      properties.push([name, text(this.bytes, pos + 4, length)]);
      pos += 4 + length;
    }
    if (pos !== bodyStart) malformed(`record ${i}`);
    return {
      queueOffset: this.first + i,
      body: this.bytes.subarray(bodyStart, bodyEnd),
      tags,
      keys,
      // fromEntries defines own properties, so a property named __proto__ stays a property.
      properties: Object.fromEntries(properties),
      bornTimestamp: v.getFloat64(start, true),
      storeTimestamp: this.storeTimestamp(i),
      uniqueKey,
      reconsumeTimes: v.getUint32(start + 8, true),
    };
  }

  /** Every message, in offset order. */
  messages(): StoredMessage[] {
    return Array.from({ length: this.count }, (_, i) => this.message(i));
  }
}

/** Decodes a whole batch. */
export function decodeBatch(bytes: Uint8Array): StoredMessage[] {
  return new BatchView(bytes).messages();
}
