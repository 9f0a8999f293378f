/**
 * Test helpers that reach into a queue object's log rows (src/durable-objects/queue/schema.ts, mq_batch) from
 * runInDurableObject: counting stored messages without calling the object, and ageing messages by rewriting the
 * store times their rows hold.
 */
import { BatchView, encodeBatch } from '../../src/core/batch-codec';

/** Messages the log's rows hold. */
export function storedMessageCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>('SELECT COALESCE(SUM(count), 0) AS n FROM mq_batch').one().n;
}

/** The oldest stored offset (null: none). */
export function oldestOffset(sql: SqlStorage): number | null {
  return sql.exec<{ m: number | null }>('SELECT MIN(first_offset) AS m FROM mq_batch').one().m;
}

/** Sets the store time of every message in the rows that start below `below` to `storeTime(old)`. */
export function rewriteStoreTimes(sql: SqlStorage, below: number, storeTime: (old: number) => number): void {
  const rows = sql
    .exec<{ first_offset: number; data: ArrayBuffer }>(
      'SELECT first_offset, data FROM mq_batch WHERE first_offset < ?',
      below,
    )
    .toArray();
  for (const r of rows) {
    const view = new BatchView(new Uint8Array(r.data));
    const messages = view.messages().map((m) => ({ ...m, storeTimestamp: storeTime(m.storeTimestamp) }));
    const data = encodeBatch(view.first, messages);
    sql.exec(
      'UPDATE mq_batch SET data = ?, first_ts = ?, last_ts = ? WHERE first_offset = ?',
      data.buffer,
      messages[0].storeTimestamp,
      messages[messages.length - 1].storeTimestamp,
      r.first_offset,
    );
  }
}

/** Deletes the rows holding offsets up to `last` (as retention would, behind the object's back). */
export function deleteRowsThrough(sql: SqlStorage, last: number): void {
  sql.exec('DELETE FROM mq_batch WHERE first_offset + count - 1 <= ?', last);
}
