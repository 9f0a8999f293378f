import { STATS_KEEP_MINUTES } from '../core/limits';
import { migrate } from './schema';

const MINUTE_MS = 60_000;

const MIGRATIONS = [
  `CREATE TABLE mqs_minute (minute INTEGER PRIMARY KEY, msgs_in INTEGER NOT NULL DEFAULT 0,
     msgs_out INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;`,
];

/** Messages appended to and read from one queue during one minute. */
export interface MinuteStats {
  /** Start of the minute, ms since the epoch. */
  minute: number;
  in: number;
  out: number;
}

/**
 * Per-minute counts of messages in (appended) and out (returned by pulls and
 * pops) of one queue, for the last two hours: a row per minute, so that a
 * chart of the last hour is one small read, never a scan of the log. Reads
 * do not write: their counts wait in memory for the next append, read of the
 * counts or new minute (an object restart loses at most that).
 */
export class QueueStats {
  private lastMinute = 0;
  private pendingOut = { minute: 0, n: 0 };

  constructor(private readonly sql: SqlStorage) {}

  /** Creates the table; call from the object's constructor, under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, 'mqs', MIGRATIONS);
  }

  count(kind: 'in' | 'out', n: number, now = Date.now()): void {
    if (n <= 0) return;
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (kind === 'out') {
      if (this.pendingOut.minute !== minute) this.flushOut();
      this.pendingOut = { minute, n: this.pendingOut.n + n };
      return;
    }
    this.flushOut();
    this.write('msgs_in', minute, n);
  }

  /** Writes the reads counted in memory. */
  private flushOut(): void {
    const { minute, n } = this.pendingOut;
    this.pendingOut = { minute: 0, n: 0 };
    if (n > 0) this.write('msgs_out', minute, n);
  }

  private write(column: 'msgs_in' | 'msgs_out', minute: number, n: number): void {
    this.sql.exec(
      `INSERT INTO mqs_minute (minute, ${column}) VALUES (?, ?) ON CONFLICT (minute) DO UPDATE SET ${column} = ${column} + excluded.${column}`,
      minute,
      n,
    );
    if (minute !== this.lastMinute) {
      this.lastMinute = minute;
      this.sql.exec('DELETE FROM mqs_minute WHERE minute < ?', minute - STATS_KEEP_MINUTES * MINUTE_MS);
    }
  }

  /** The minutes from `since` on that saw any traffic, oldest first. */
  since(since: number): MinuteStats[] {
    this.flushOut();
    return this.sql
      .exec<{ minute: number; msgs_in: number; msgs_out: number }>('SELECT * FROM mqs_minute WHERE minute >= ? ORDER BY minute', since)
      .toArray()
      .map((r) => ({ minute: r.minute, in: r.msgs_in, out: r.msgs_out }));
  }

  clear(): void {
    this.pendingOut = { minute: 0, n: 0 };
    this.sql.exec('DELETE FROM mqs_minute');
  }
}
