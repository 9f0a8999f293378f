import { BatchView, tagHashes } from '../../core/batch-codec';
import { MAX_PULL_BYTES, PULL_SCAN_WINDOW } from '../../core/limits';
import type { NewMessage, StoredMessage } from '../../core/message';
import { LegacyLog } from './legacy-log';
import { ownBuffer } from './message-columns';
import {
  appendRows,
  filterMayHave,
  indexEntries,
  KEY,
  rowBytes,
  rowsOf,
  tagMaskOf,
  UNIQUE_KEY,
  UNIQUE_KEY_EARLY_MS,
  UNIQUE_KEY_LATE_MS,
  uniqueKeyTime,
  type LogRow,
} from './log-row';
import type { PullRequest, PullResult } from './message-queue';

/** What a scan keeps: tags (null: all) and, optionally, a test of the decoded message. */
export interface ScanFilter {
  tags: readonly string[] | null;
  accept?: (m: StoredMessage) => boolean;
}

/** Legacy messages (legacy-log.ts) moved to the batch log per step of the migration. */
export const LEGACY_CHUNK = 2_000;
/** Most messages in one row made from legacy messages. */
const LEGACY_ROW_COUNT = 1_000;

type BatchRow = {
  first_offset: number;
  count: number;
  first_ts: number;
  last_ts: number;
  bytes: number;
  log_end: number;
  tag_mask: number;
  indexed: number;
  key_filter: ArrayBuffer;
  data: ArrayBuffer;
};

const toLogRow = (r: Omit<BatchRow, 'bytes' | 'log_end'>): LogRow => ({
  first: r.first_offset,
  count: r.count,
  firstTs: r.first_ts,
  lastTs: r.last_ts,
  tagMask: r.tag_mask,
  keyFilter: new Uint8Array(r.key_filter),
  indexed: r.indexed,
  data: new Uint8Array(r.data),
});

/**
 * Message `i` of a row with a body of its own: a view into the row would carry the whole row wherever the message
 * goes (an RPC answer clones the buffer a view is on, not just the view).
 */
function ownMessage(view: BatchView, i: number): StoredMessage {
  const m = view.message(i);
  m.body = m.body.slice();
  return m;
}

/**
 * The queue's log (RocketMQ's CommitLog and ConsumeQueue for one queue): `mq_batch`, a row per append keyed by the
 * offset of its first message, holding the messages in the binary form of core/batch-codec.ts, and `mq_index`, the
 * keys of the messages that have keys (and the unique keys their time window does not find). docs/storage.md.
 * It reads and writes rows; the offset counter and the waiting pulls belong to the MessageQueue object that owns it.
 * Rows an object created before the batch log holds are read through `legacy` while they move (migrateStep).
 */
export class QueueLog {
  private legacy: LegacyLog | null = null;
  /** Messages appended (by sends, timers, transactions and replication) since the object started. */
  appended = 0;
  /** Bytes of the rows and index rows written since the object started. */
  bytesWritten = 0;

  constructor(private readonly sql: SqlStorage) {}

  /** Reads the log's state; call once the schema is migrated, under blockConcurrencyWhile. */
  open(): void {
    this.legacy = LegacyLog.open(this.sql);
  }

  /**
   * The newest row (null: none). Read each time rather than kept in memory, so that a transaction rolled back
   * leaves nothing stale behind (one descent of the rowid B-tree).
   */
  private tail(): { first: number; count: number; lastTs: number; logEnd: number } | null {
    const r = this.sql
      .exec<BatchRow>('SELECT first_offset, count, last_ts, log_end FROM mq_batch ORDER BY first_offset DESC LIMIT 1')
      .toArray()[0];
    return r ? { first: r.first_offset, count: r.count, lastTs: r.last_ts, logEnd: r.log_end } : null;
  }

  /** True while rows of the first log remain to be moved (the alarm moves them: migrateStep). */
  migrating(): boolean {
    return this.legacy !== null;
  }

  /**
   * Moves up to LEGACY_CHUNK of the newest legacy messages into batch rows, at their offsets, with their store
   * times; the caller holds the transaction. Answers whether legacy rows remain.
   */
  migrateStep(max = LEGACY_CHUNK): boolean {
    if (!this.legacy) return false;
    const { messages, done } = this.legacy.take(max);
    // Consecutive runs (an old log has no gaps, but a run never spans one), stored from the top down, each below the lowest row.
    const runs: StoredMessage[][] = [];
    for (const m of messages) {
      const run = runs[runs.length - 1];
      if (run && run[run.length - 1].queueOffset + 1 === m.queueOffset && run.length < LEGACY_ROW_COUNT) run.push(m);
      else runs.push([m]);
    }
    for (const run of runs.reverse()) {
      for (const row of rowsOf(run[0].queueOffset, run).reverse()) this.writeRow(row);
    }
    if (done) this.legacy = null;
    return !done;
  }

  /** The newest message's offset and store time, to restore the counters at start. */
  last(): { queue_offset: number; store_ts: number } | undefined {
    const tail = this.tail();
    if (tail) return { queue_offset: tail.first + tail.count - 1, store_ts: tail.lastTs };
    return this.legacy?.last();
  }

  private head(): { first: number; bytes: number; logEnd: number; lastTs: number } | null {
    const r = this.sql
      .exec<BatchRow>('SELECT first_offset, bytes, log_end, last_ts FROM mq_batch ORDER BY first_offset LIMIT 1')
      .toArray()[0];
    return r ? { first: r.first_offset, bytes: r.bytes, logEnd: r.log_end, lastTs: r.last_ts } : null;
  }

  /** The oldest stored offset; `nextOffset` when the log is empty. */
  minOffset(nextOffset: number): number {
    return this.legacy?.min() ?? this.head()?.first ?? nextOffset;
  }

  /** Bytes the batch log holds (what MAX_QUEUE_BYTES caps): the difference of the positions of its newest and oldest rows. */
  bytes(): number {
    const head = this.head();
    const tail = this.tail();
    return head && tail ? tail.logEnd - (head.logEnd - head.bytes) : 0;
  }

  /** Writes one row after the newest (or, for the migration, below the oldest) and its index rows. */
  private writeRow(row: LogRow): void {
    let logEnd: number;
    const tail = this.tail();
    if (!tail) logEnd = rowBytes(row);
    else if (row.first >= tail.first + tail.count) logEnd = tail.logEnd + rowBytes(row);
    else {
      // Below every row (the migration moves the old log from the top down): ends where the lowest row begins.
      const head = this.head()!;
      if (row.first + row.count > head.first)
        throw new Error(`log row ${row.first}+${row.count} overlaps the row at ${head.first}`);
      logEnd = head.logEnd - head.bytes;
    }
    this.putRow(row, logEnd);
  }

  /** The one insert of the log: a row ending at byte position `logEnd`, and its index rows. */
  private putRow(row: LogRow, logEnd: number): void {
    const bytes = rowBytes(row);
    this.sql.exec(
      `INSERT INTO mq_batch (first_offset, count, first_ts, last_ts, bytes, log_end, tag_mask, indexed, key_filter, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.first,
      row.count,
      row.firstTs,
      row.lastTs,
      bytes,
      logEnd,
      row.tagMask,
      row.indexed,
      ownBuffer(row.keyFilter),
      ownBuffer(row.data),
    );
    this.bytesWritten += bytes;
    if (row.indexed > 0) {
      for (const [kind, key, ts, offset] of indexEntries(new BatchView(row.data))) {
        this.sql.exec(
          'INSERT OR IGNORE INTO mq_index (kind, key, store_ts, queue_offset) VALUES (?, ?, ?, ?)',
          kind,
          key,
          ts,
          offset,
        );
        this.bytesWritten += key.length + 24;
      }
    }
  }

  /** Writes messages at consecutive offsets from `first`; the caller holds the transaction. */
  insert(messages: NewMessage[], first: number, storeTimestamp: number): void {
    this.insertRows(appendRows(first, messages, storeTimestamp));
  }

  /** Stores rows as another copy of the log stored them (replication), after the newest row; the caller holds the transaction. */
  insertRows(rows: readonly LogRow[]): void {
    for (const row of rows) {
      this.writeRow(row);
      this.appended += row.count;
    }
  }

  /** The first offset of the stored row holding `offset`, if one does; its blob is not read. */
  private rowStart(offset: number): number | undefined {
    const r = this.sql
      .exec<Pick<BatchRow, 'first_offset' | 'count'>>(
        'SELECT first_offset, count FROM mq_batch WHERE first_offset <= ? ORDER BY first_offset DESC LIMIT 1',
        offset,
      )
      .toArray()[0];
    return r && offset < r.first_offset + r.count ? r.first_offset : undefined;
  }

  /**
   * Rows whose first offset is in [start, end) (and, with a mask, that share a bit of it), in offset order, for a
   * read that may stop early. Asked for a few at a time rather than by one open cursor: workerd steps SQLite a
   * row ahead of the one it hands out, and SQLite reads a row's whole blob (up to 2 MB) when it steps onto it, so a
   * cursor left open would read a row the caller never uses. Each query asks for the rows `wanted()` messages need
   * if the rows are as large as the last one (at least one).
   */
  private *rowsBetween<C extends keyof BatchRow>(
    columns: readonly C[],
    start: number,
    end: number,
    mask: number | null,
    wanted: () => number,
  ): Generator<Pick<BatchRow, C | 'first_offset' | 'count'>> {
    const query = `SELECT first_offset, count, ${columns.join(', ')} FROM mq_batch WHERE first_offset >= ? AND first_offset < ?${mask === null ? '' : ' AND (tag_mask & ?) != 0'} ORDER BY first_offset LIMIT ?`;
    let from = start;
    let rowSize = 0;
    while (from < end) {
      const limit = rowSize === 0 ? 1 : Math.max(1, Math.ceil(wanted() / rowSize));
      const rows = this.sql.exec<Pick<BatchRow, C | 'first_offset' | 'count'>>(
        query,
        from,
        end,
        ...(mask === null ? [] : [mask]),
        limit,
      );
      let read = 0;
      for (const r of rows) {
        read++;
        rowSize = r.count;
        from = r.first_offset + r.count;
        yield r;
      }
      if (read < limit) return;
    }
  }

  /** The stored row holding `offset` (the newest row whose first offset is at most it), if it holds it. */
  private rowAt(offset: number): BatchRow | undefined {
    const r = this.sql
      .exec<BatchRow>('SELECT * FROM mq_batch WHERE first_offset <= ? ORDER BY first_offset DESC LIMIT 1', offset)
      .toArray()[0];
    return r && offset < r.first_offset + r.count ? r : undefined;
  }

  /**
   * Rows from `from` on, as stored (the first one cut to start at `from`), for replication: at most `maxCount`
   * messages, stopping once their blobs pass `maxBytes` (at least one row). Legacy messages not moved yet are
   * shipped as rows made from them.
   */
  rowsFrom(from: number, maxCount: number, maxBytes: number): LogRow[] {
    if (this.legacy && from < this.legacy.end) {
      const messages: StoredMessage[] = [];
      let bytes = 0;
      this.legacy.scan(from, this.legacy.end, null, (m) => {
        messages.push(m);
        bytes += m.body.byteLength;
        return messages.length < Math.min(maxCount, LEGACY_ROW_COUNT) && bytes < maxBytes;
      });
      if (messages.length > 0) return rowsOf(messages[0].queueOffset, messages);
    }
    const out: LogRow[] = [];
    let count = 0;
    let bytes = 0;
    const columns = ['first_ts', 'last_ts', 'tag_mask', 'indexed', 'key_filter', 'data'] as const;
    const wanted = () => Math.max(1, maxCount - count);
    for (const r of this.rowsBetween(columns, this.rowStart(from) ?? from, Number.MAX_SAFE_INTEGER, null, wanted)) {
      let row = toLogRow(r);
      if (row.first < from) row = rowsOf(from, new BatchView(row.data).messages().slice(from - row.first))[0];
      out.push(row);
      count += row.count;
      bytes += row.data.byteLength;
      if (count >= maxCount || bytes >= maxBytes) break;
    }
    return out;
  }

  /**
   * Messages at offsets in [from, end) in offset order that have one of `filter.tags` (all when null) and that
   * `filter.accept` takes (all when absent): at most `max`, stopping once bodies reach `maxBytes` (at least one).
   * `next` is the offset after the last one looked at (`end` when the range was exhausted). Rows none of whose
   * messages has an accepted tag are skipped by their tag mask, messages by their tag hash, without decoding.
   */
  scan(
    from: number,
    end: number,
    filter: ScanFilter,
    max: number,
    maxBytes: number,
  ): { messages: StoredMessage[]; next: number } {
    const messages: StoredMessage[] = [];
    let bytes = 0;
    const stop = { at: -1 };
    const take = (m: StoredMessage): boolean => {
      if (filter.accept && !filter.accept(m)) return true;
      messages.push(m);
      bytes += m.body.byteLength;
      if (messages.length >= max || bytes >= maxBytes) {
        stop.at = m.queueOffset;
        return false;
      }
      return true;
    };
    if (max <= 0 || from >= end) return { messages, next: from >= end ? end : from };
    let cursor = from;
    if (this.legacy && cursor < this.legacy.end) {
      this.legacy.scan(cursor, Math.min(end, this.legacy.end), filter.tags, take);
      if (stop.at >= 0) return { messages, next: stop.at + 1 };
      cursor = Math.min(end, this.legacy.end);
    }
    const hashes = tagHashes(filter.tags);
    const mask = tagMaskOf(filter.tags);
    const rows = this.rowsBetween(['data'], this.rowStart(cursor) ?? cursor, end, mask, () => max - messages.length);
    for (const r of rows) {
      const view = new BatchView(new Uint8Array(r.data));
      const to = Math.min(view.count, end - view.first);
      for (let i = Math.max(0, cursor - view.first); i < to; i++) {
        if (hashes && (!hashes.has(view.tagHash(i)) || !filter.tags!.includes(view.tags(i)))) continue;
        if (!take(ownMessage(view, i))) return { messages, next: stop.at + 1 };
      }
    }
    return { messages, next: end };
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
    const { messages, next } = this.scan(
      offset,
      end,
      { tags: req.tags },
      req.maxMessages,
      req.maxBytes ?? MAX_PULL_BYTES,
    );
    if (messages.length === 0) return { ...base, status: 'NO_MATCHED_MSG', nextBeginOffset: end };
    return { ...base, messages, status: 'FOUND', nextBeginOffset: next };
  }

  /** The message at `offset`, or null. */
  get(offset: number): StoredMessage | null {
    if (this.legacy && offset < this.legacy.end) return this.legacy.get(offset);
    const r = this.rowAt(offset);
    return r ? ownMessage(new BatchView(new Uint8Array(r.data)), offset - r.first_offset) : null;
  }

  private messagesAt(offsets: Iterable<number>): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const offset of offsets) {
      const m = this.get(offset);
      if (m) out.push(m);
    }
    return out;
  }

  /** Messages with `key` stored within [begin, end], newest first. */
  queryByKey(key: string, begin: number, end: number, max: number): StoredMessage[] {
    const found = this.messagesAt(
      this.sql
        .exec<{ queue_offset: number }>(
          'SELECT queue_offset FROM mq_index WHERE kind = ? AND key = ? AND store_ts >= ? AND store_ts <= ? ORDER BY store_ts DESC, queue_offset DESC LIMIT ?',
          KEY,
          key,
          begin,
          end,
          max,
        )
        .toArray()
        .map((r) => r.queue_offset),
    );
    if (!this.legacy || found.length >= max) return found;
    return [...found, ...this.legacy.queryByKey(key, begin, end, max - found.length)];
  }

  /** The newest messages, newest first: at most `max`, and about MAX_PULL_BYTES of bodies (at least one). */
  latest(max: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    let bytes = 0;
    const take = (m: StoredMessage): boolean => {
      out.push(m);
      bytes += m.body.byteLength;
      return out.length < max && bytes < MAX_PULL_BYTES;
    };
    if (max <= 0) return out;
    for (const r of this.sql.exec<BatchRow>('SELECT data FROM mq_batch ORDER BY first_offset DESC')) {
      const view = new BatchView(new Uint8Array(r.data));
      for (let i = view.count - 1; i >= 0; i--) if (!take(ownMessage(view, i))) return out;
    }
    this.legacy?.latest(take);
    return out;
  }

  /**
   * Messages with this unique key (more than one if a producer resent it), newest first: those in `mq_index`,
   * and, for a key that carries its time (log-row.ts), those in the rows stored within its window whose key
   * filter may hold it. No index row per message, and O(log n) to find the window.
   */
  queryByUniqueKey(uniqueKey: string, max: number): StoredMessage[] {
    const offsets = new Set(
      this.sql
        .exec<{ queue_offset: number }>(
          'SELECT queue_offset FROM mq_index WHERE kind = ? AND key = ?',
          UNIQUE_KEY,
          uniqueKey,
        )
        .toArray()
        .map((r) => r.queue_offset),
    );
    const t = uniqueKeyTime(uniqueKey);
    if (t !== null) {
      const from = this.searchBatches(t - UNIQUE_KEY_EARLY_MS);
      if (from !== null) {
        for (const r of this.sql.exec<BatchRow>(
          'SELECT first_offset, first_ts, key_filter FROM mq_batch WHERE first_offset >= ? ORDER BY first_offset',
          from,
        )) {
          if (r.first_ts > t + UNIQUE_KEY_LATE_MS) break;
          if (!filterMayHave(new Uint8Array(r.key_filter), uniqueKey)) continue;
          const row = this.rowAt(r.first_offset)!;
          const view = new BatchView(new Uint8Array(row.data));
          for (let i = 0; i < view.count; i++) if (view.uniqueKey(i) === uniqueKey) offsets.add(view.first + i);
        }
      }
    }
    const found = this.messagesAt([...offsets].sort((a, b) => b - a).slice(0, max));
    if (!this.legacy || found.length >= max) return found;
    return [...found, ...this.legacy.queryByUniqueKey(uniqueKey, max - found.length)];
  }

  /**
   * The first row with a message stored at or after `timestamp` (its first offset), or null: a binary search over
   * the rows by offset, as store times never go back within a queue (each append takes max(now, the last one)).
   */
  private searchBatches(timestamp: number): number | null {
    const head = this.head();
    const tail = this.tail();
    if (!head || !tail || tail.lastTs < timestamp) return null;
    if (head.lastTs >= timestamp) return head.first;
    // Rows starting below `lo` end before `timestamp`; the row starting at `hi` reaches it.
    let lo = head.first + 1;
    let hi = tail.first;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const r = this.sql
        .exec<BatchRow>(
          'SELECT first_offset, last_ts FROM mq_batch WHERE first_offset <= ? ORDER BY first_offset DESC LIMIT 1',
          mid,
        )
        .one();
      if (r.first_offset >= lo && r.last_ts >= timestamp) hi = r.first_offset;
      else lo = mid + 1; // r is the last row starting at or below mid, and it ends before the time
    }
    return hi;
  }

  /** The first offset stored at or after `timestamp`; `nextOffset` when there is none. */
  searchOffset(timestamp: number, nextOffset: number): number {
    const legacy = this.legacy?.searchOffset(timestamp);
    if (legacy !== undefined && legacy !== null) return legacy;
    const first = this.searchBatches(timestamp);
    if (first === null) return nextOffset;
    const view = new BatchView(new Uint8Array(this.rowAt(first)!.data));
    for (let i = 0; i < view.count; i++) if (view.storeTimestamp(i) >= timestamp) return view.first + i;
    return view.end;
  }

  /** The store time of the last message of the oldest row (null: none): when it may be deleted by age. */
  oldestRowEnd(): number | null {
    return this.head()?.lastTs ?? null;
  }

  /** Deletes a row and its index rows. */
  private deleteRow(r: BatchRow): void {
    this.sql.exec('DELETE FROM mq_batch WHERE first_offset = ?', r.first_offset);
    if (r.indexed > 0) {
      for (const [kind, key, ts, offset] of indexEntries(new BatchView(new Uint8Array(r.data)))) {
        this.sql.exec(
          'DELETE FROM mq_index WHERE kind = ? AND key = ? AND store_ts = ? AND queue_offset = ?',
          kind,
          key,
          ts,
          offset,
        );
      }
    }
  }

  /**
   * Deletes the oldest rows whose messages were all stored before `cutoff`, at most `maxMessages` of them (at least
   * one row); the caller holds the transaction. Answers the messages deleted and the offset after the last.
   */
  deleteOlderThan(cutoff: number, maxMessages: number): { deleted: number; next: number } {
    let deleted = 0;
    let next = -1;
    while (deleted < maxMessages) {
      const r = this.sql
        .exec<BatchRow>(
          'SELECT first_offset, count, indexed, last_ts, data FROM mq_batch ORDER BY first_offset LIMIT 1',
        )
        .toArray()[0];
      if (!r || r.last_ts >= cutoff) break;
      this.deleteRow(r);
      deleted += r.count;
      next = r.first_offset + r.count;
    }
    return { deleted, next };
  }

  /**
   * Deletes the oldest messages until at least `bytes` are freed, at most `maxMessages` (at least one): whole rows,
   * and the front of the last one, which is stored again from its first kept message (offsets never move). The
   * caller holds the transaction.
   */
  deleteOldestBytes(bytes: number, maxMessages: number): { deleted: number; next: number } {
    let freed = 0;
    let deleted = 0;
    let next = -1;
    while (freed < bytes && deleted < maxMessages) {
      const r = this.sql.exec<BatchRow>('SELECT * FROM mq_batch ORDER BY first_offset LIMIT 1').toArray()[0];
      if (!r) break;
      const view = new BatchView(new Uint8Array(r.data));
      // Messages of this row to drop: all, unless dropping fewer frees enough.
      let drop = 0;
      let dropped = 0;
      while (drop < r.count && freed + dropped < bytes && deleted + drop < maxMessages) {
        dropped += view.bodyLength(drop) + 64;
        drop++;
      }
      if (drop >= r.count || (deleted > 0 && drop === 0)) {
        this.deleteRow(r);
        freed += r.bytes;
        deleted += r.count;
        next = r.first_offset + r.count;
        continue;
      }
      const kept = rowsOf(r.first_offset + drop, view.messages().slice(drop));
      this.deleteRow(r);
      // The kept part ends where the row did, so the log's byte positions stay as they were.
      let end = r.log_end;
      for (const row of kept.reverse()) {
        this.putRow(row, end);
        end -= rowBytes(row);
      }
      deleted += drop;
      next = r.first_offset + drop;
      break;
    }
    return { deleted, next };
  }

  /** Deletes every message (the topic was deleted, or a slave skips to its master's min offset). */
  clear(): void {
    this.sql.exec('DELETE FROM mq_batch');
    this.sql.exec('DELETE FROM mq_index');
    this.legacy?.clear();
    this.legacy = null;
  }
}
