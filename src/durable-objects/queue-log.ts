import { MAX_PULL_BYTES, PULL_SCAN_WINDOW } from '../core/limits';
import type { NewMessage, StoredMessage } from '../core/message';
import type { PullRequest, PullResult } from './message-queue';

/** A row of `mq_message`: one message, keyed by its queue offset. */
export type MessageRow = {
  queue_offset: number;
  body: ArrayBuffer;
  tags: string;
  keys: string;
  properties: string;
  born_ts: number;
  store_ts: number;
  unique_key: string;
  reconsume_times: number;
};

export function fromRow(r: MessageRow): StoredMessage {
  return {
    queueOffset: r.queue_offset,
    body: new Uint8Array(r.body),
    tags: r.tags,
    keys: r.keys === '' ? [] : r.keys.split(' '),
    properties: JSON.parse(r.properties) as Record<string, string>,
    bornTimestamp: r.born_ts,
    storeTimestamp: r.store_ts,
    uniqueKey: r.unique_key,
    reconsumeTimes: r.reconsume_times,
  };
}

function asArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}

/**
 * The queue's log (RocketMQ's CommitLog and ConsumeQueue for one queue):
 * `mq_message` keyed by queue offset, and `mq_key`, the index by key. It
 * reads and writes rows; the offset counter and the waiting pulls belong to
 * the MessageQueue object that owns it.
 */
export class QueueLog {
  constructor(private readonly sql: SqlStorage) {}

  /** The newest row's offset and store time, to restore the counters at start. */
  last(): { queue_offset: number; store_ts: number } | undefined {
    return this.sql
      .exec<{ queue_offset: number; store_ts: number }>('SELECT queue_offset, store_ts FROM mq_message ORDER BY queue_offset DESC LIMIT 1')
      .toArray()[0];
  }

  /** The oldest stored offset; `nextOffset` when the log is empty. */
  minOffset(nextOffset: number): number {
    const row = this.sql.exec<{ m: number | null }>('SELECT MIN(queue_offset) AS m FROM mq_message').toArray()[0];
    return row?.m ?? nextOffset;
  }

  /** Writes messages at consecutive offsets from `first`; the caller holds the transaction. */
  insert(messages: NewMessage[], first: number, storeTimestamp: number): void {
    messages.forEach((m, i) => {
      const offset = first + i;
      this.sql.exec(
        `INSERT INTO mq_message (queue_offset, body, tags, keys, properties, born_ts, store_ts, unique_key, reconsume_times)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        offset,
        asArrayBuffer(m.body),
        m.tags,
        m.keys.join(' '),
        JSON.stringify(m.properties),
        m.bornTimestamp,
        storeTimestamp,
        m.uniqueKey,
        m.reconsumeTimes,
      );
      for (const key of m.keys) {
        this.sql.exec('INSERT OR IGNORE INTO mq_key (key, store_ts, queue_offset) VALUES (?, ?, ?)', key, storeTimestamp, offset);
      }
    });
  }

  /**
   * One read of a pull: up to `maxMessages` from `offset` that pass the tag
   * filter, within a scan window, with RocketMQ's statuses.
   */
  read(offset: number, maxOffset: number, req: PullRequest): PullResult {
    const minOffset = this.minOffset(maxOffset);
    const base = { messages: [] as StoredMessage[], minOffset, maxOffset };
    if (offset < minOffset || offset > maxOffset) {
      return { ...base, status: 'OFFSET_ILLEGAL', nextBeginOffset: offset < minOffset ? minOffset : maxOffset };
    }
    if (offset === maxOffset) return { ...base, status: 'NO_NEW_MSG', nextBeginOffset: maxOffset };
    const end = Math.min(offset + PULL_SCAN_WINDOW, maxOffset);
    const tagClause = req.tags ? ` AND tags IN (${req.tags.map(() => '?').join(', ')})` : '';
    const cursor = this.sql.exec<MessageRow>(
      `SELECT * FROM mq_message WHERE queue_offset >= ? AND queue_offset < ?${tagClause} ORDER BY queue_offset LIMIT ?`,
      offset,
      end,
      ...(req.tags ?? []),
      req.maxMessages,
    );
    const maxBytes = req.maxBytes ?? MAX_PULL_BYTES;
    const messages: StoredMessage[] = [];
    let bytes = 0;
    let full = false;
    for (const row of cursor) {
      messages.push(fromRow(row));
      bytes += row.body.byteLength;
      if (messages.length >= req.maxMessages || bytes >= maxBytes) {
        full = true;
        break;
      }
    }
    if (messages.length === 0) return { ...base, status: 'NO_MATCHED_MSG', nextBeginOffset: end };
    const nextBeginOffset = full ? messages[messages.length - 1].queueOffset + 1 : end;
    return { ...base, messages, status: 'FOUND', nextBeginOffset };
  }

  /**
   * Messages at offsets in [from, end) in offset order that have one of `filter.tags` (all when null) and that
   * `filter.accept` takes (all when absent): at most `max`, stopping once bodies reach `maxBytes` (at least one).
   * `next` is the offset after the last one looked at (`end` when the range was exhausted).
   */
  scan(
    from: number,
    end: number,
    filter: { tags: readonly string[] | null; accept?: (m: StoredMessage) => boolean },
    max: number,
    maxBytes: number,
  ): { messages: StoredMessage[]; next: number } {
    const tagClause = filter.tags ? ` AND tags IN (${filter.tags.map(() => '?').join(', ')})` : '';
    // Without `accept` the LIMIT is exact; with it, rows are read lazily until enough pass.
    const limit = filter.accept ? -1 : max;
    const cursor = this.sql.exec<MessageRow>(
      `SELECT * FROM mq_message WHERE queue_offset >= ? AND queue_offset < ?${tagClause} ORDER BY queue_offset LIMIT ?`,
      from,
      end,
      ...(filter.tags ?? []),
      limit,
    );
    const messages: StoredMessage[] = [];
    let bytes = 0;
    for (const row of cursor) {
      const m = fromRow(row);
      if (filter.accept && !filter.accept(m)) continue;
      messages.push(m);
      bytes += row.body.byteLength;
      if (messages.length >= max || bytes >= maxBytes) return { messages, next: m.queueOffset + 1 };
    }
    return { messages, next: end };
  }

  /** The message at `offset`, or null. */
  get(offset: number): StoredMessage | null {
    const row = this.sql.exec<MessageRow>('SELECT * FROM mq_message WHERE queue_offset = ?', offset).toArray()[0];
    return row ? fromRow(row) : null;
  }

  /** Messages with `key` stored within [begin, end], newest first. */
  queryByKey(key: string, begin: number, end: number, max: number): StoredMessage[] {
    return this.sql
      .exec<MessageRow>(
        `SELECT m.* FROM mq_key k JOIN mq_message m ON m.queue_offset = k.queue_offset
         WHERE k.key = ? AND k.store_ts >= ? AND k.store_ts <= ? ORDER BY k.store_ts DESC, k.queue_offset DESC LIMIT ?`,
        key,
        begin,
        end,
        max,
      )
      .toArray()
      .map(fromRow);
  }

  /** The newest messages, newest first: at most `max`, and about MAX_PULL_BYTES of bodies (at least one). */
  latest(max: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    let bytes = 0;
    for (const row of this.sql.exec<MessageRow>('SELECT * FROM mq_message ORDER BY queue_offset DESC LIMIT ?', max)) {
      out.push(fromRow(row));
      bytes += row.body.byteLength;
      if (bytes >= MAX_PULL_BYTES) break;
    }
    return out;
  }

  /** Messages with this unique key (more than one if a producer resent it), newest first. */
  queryByUniqueKey(uniqueKey: string, max: number): StoredMessage[] {
    return this.sql
      .exec<MessageRow>('SELECT * FROM mq_message WHERE unique_key = ? ORDER BY queue_offset DESC LIMIT ?', uniqueKey, max)
      .toArray()
      .map(fromRow);
  }

  /** The first offset stored at or after `timestamp`; `nextOffset` when there is none. */
  searchOffset(timestamp: number, nextOffset: number): number {
    const row = this.sql
      .exec<{ queue_offset: number }>('SELECT queue_offset FROM mq_message WHERE store_ts >= ? ORDER BY store_ts, queue_offset LIMIT 1', timestamp)
      .toArray()[0];
    return row ? row.queue_offset : nextOffset;
  }

  /** Deletes every message (the topic was deleted). */
  clear(): void {
    this.sql.exec('DELETE FROM mq_message');
    this.sql.exec('DELETE FROM mq_key');
  }
}
