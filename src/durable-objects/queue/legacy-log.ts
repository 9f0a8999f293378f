import type { StoredMessage } from '../../core/message';
import { messageFromColumns, type MessageColumns } from './message-columns';

/**
 * The per-message rows of the first log (`mq_message`, `mq_key`; migration 1 of schema.ts) that an object
 * created before the batch log still holds: read here while QueueLog moves them to `mq_batch`, newest first, a
 * chunk at a time (so that what is left is always the offsets below `end`), and dropped once empty. Nothing new is
 * written to them. docs/storage.md#migration.
 */

/** A row of `mq_message`: one message, keyed by its queue offset. */
type MessageRow = MessageColumns & { queue_offset: number; store_ts: number };

const fromRow = (r: MessageRow): StoredMessage => ({
  ...messageFromColumns(r),
  queueOffset: r.queue_offset,
  storeTimestamp: r.store_ts,
});

export class LegacyLog {
  private constructor(
    private readonly sql: SqlStorage,
    /** Offsets below this are here; the ones above were moved or appended to the batch log. */
    public end: number,
  ) {}

  /** The legacy rows of this object, or null when it has none (the empty tables are dropped then). */
  static open(sql: SqlStorage): LegacyLog | null {
    const exists =
      sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mq_message'`).toArray().length > 0;
    if (!exists) return null;
    const max = sql.exec<{ m: number | null }>('SELECT MAX(queue_offset) AS m FROM mq_message').one().m;
    if (max === null) {
      LegacyLog.drop(sql);
      return null;
    }
    return new LegacyLog(sql, max + 1);
  }

  private static drop(sql: SqlStorage): void {
    sql.exec('DROP TABLE IF EXISTS mq_message; DROP TABLE IF EXISTS mq_key');
  }

  /** Drops every legacy row (the topic was deleted, or a slave skipped past them). */
  clear(): void {
    LegacyLog.drop(this.sql);
    this.end = 0;
  }

  min(): number | null {
    return this.sql.exec<{ m: number | null }>('SELECT MIN(queue_offset) AS m FROM mq_message').one().m;
  }

  last(): { queue_offset: number; store_ts: number } | undefined {
    return this.sql
      .exec<{ queue_offset: number; store_ts: number }>(
        'SELECT queue_offset, store_ts FROM mq_message ORDER BY queue_offset DESC LIMIT 1',
      )
      .toArray()[0];
  }

  get(offset: number): StoredMessage | null {
    const row = this.sql.exec<MessageRow>('SELECT * FROM mq_message WHERE queue_offset = ?', offset).toArray()[0];
    return row ? fromRow(row) : null;
  }

  /** Messages in [from, to) in offset order, with one of `tags` (all when null); `take` answers false to stop. */
  scan(from: number, to: number, tags: readonly string[] | null, take: (m: StoredMessage) => boolean): void {
    const tagClause = tags ? ` AND tags IN (${tags.map(() => '?').join(', ')})` : '';
    for (const row of this.sql.exec<MessageRow>(
      `SELECT * FROM mq_message WHERE queue_offset >= ? AND queue_offset < ?${tagClause} ORDER BY queue_offset`,
      from,
      to,
      ...(tags ?? []),
    )) {
      if (!take(fromRow(row))) return;
    }
  }

  /** Newest first, while `take` answers true. */
  latest(take: (m: StoredMessage) => boolean): void {
    for (const row of this.sql.exec<MessageRow>('SELECT * FROM mq_message ORDER BY queue_offset DESC')) {
      if (!take(fromRow(row))) return;
    }
  }

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

  queryByUniqueKey(uniqueKey: string, max: number): StoredMessage[] {
    return this.sql
      .exec<MessageRow>(
        'SELECT * FROM mq_message WHERE unique_key = ? ORDER BY queue_offset DESC LIMIT ?',
        uniqueKey,
        max,
      )
      .toArray()
      .map(fromRow);
  }

  /** The first offset here stored at or after `timestamp`, or null. */
  searchOffset(timestamp: number): number | null {
    return (
      this.sql
        .exec<{ queue_offset: number }>(
          'SELECT queue_offset FROM mq_message WHERE store_ts >= ? ORDER BY store_ts, queue_offset LIMIT 1',
          timestamp,
        )
        .toArray()[0]?.queue_offset ?? null
    );
  }

  /**
   * Takes up to `max` of the newest messages (in offset order) out of the legacy rows, for the caller to store in
   * the batch log in the same transaction; drops the tables once they are empty (then `done` is true).
   */
  take(max: number): { messages: StoredMessage[]; done: boolean } {
    const messages = this.sql
      .exec<MessageRow>(
        'SELECT * FROM mq_message WHERE queue_offset < ? ORDER BY queue_offset DESC LIMIT ?',
        this.end,
        max,
      )
      .toArray()
      .reverse()
      .map(fromRow);
    if (messages.length > 0) {
      const low = messages[0].queueOffset;
      this.sql.exec('DELETE FROM mq_message WHERE queue_offset >= ?', low);
      this.sql.exec('DELETE FROM mq_key WHERE queue_offset >= ?', low);
      this.end = low;
    }
    const done = this.sql.exec('SELECT 1 FROM mq_message LIMIT 1').toArray().length === 0;
    if (done) this.clear();
    return { messages, done };
  }
}
