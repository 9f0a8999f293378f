import { STATS_KEEP_MINUTES } from '../../core/limits';
import { migrate } from '../schema';
import { STATS_MIGRATIONS } from './schema';

const MINUTE_MS = 60_000;

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
 * chart of the last hour is one small read, never a scan of the log.
 *
 * Reads do not write: their counts wait in memory and are written with the
 * next append (in the same row, when it is the same minute), by the object's
 * alarm when it runs, or a minute after the first count waiting (a timer:
 * arming the alarm for it would move the alarm every other schedule shares,
 * and would not save more, as an alarm wakes a new instance whose memory is
 * empty). An object that stops loses what waits, at most about a minute of reads.
 */
export class QueueStats {
  private lastMinute = 0;
  /** Reads counted and not written yet, per minute. */
  private readonly pendingOut = new Map<number, number>();
  /** Writes what waits a minute after the first count; null when none waits. */
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /** Creates the table; call from the object's constructor, under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, 'mqs', STATS_MIGRATIONS);
  }

  count(kind: 'in' | 'out', n: number, now = Date.now()): void {
    if (n <= 0) return;
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (kind === 'out') {
      this.pendingOut.set(minute, (this.pendingOut.get(minute) ?? 0) + n);
      this.timer ??= setTimeout(() => this.persist(), MINUTE_MS);
      return;
    }
    const out = this.pendingOut.get(minute) ?? 0;
    this.pendingOut.delete(minute);
    this.write(minute, n, out);
    this.persist();
  }

  /** Writes the reads counted in memory (with appends, from the alarm, and by the timer). */
  persist(): void {
    for (const [minute, n] of this.pendingOut) this.write(minute, 0, n);
    this.forgetPending();
  }

  private forgetPending(): void {
    this.pendingOut.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private write(minute: number, msgsIn: number, msgsOut: number): void {
    this.sql.exec(
      `INSERT INTO mqs_minute (minute, msgs_in, msgs_out) VALUES (?, ?, ?)
       ON CONFLICT (minute) DO UPDATE SET msgs_in = msgs_in + excluded.msgs_in, msgs_out = msgs_out + excluded.msgs_out`,
      minute,
      msgsIn,
      msgsOut,
    );
    if (minute > this.lastMinute) {
      this.lastMinute = minute;
      this.sql.exec('DELETE FROM mqs_minute WHERE minute < ?', minute - STATS_KEEP_MINUTES * MINUTE_MS);
    }
  }

  /** The minutes from `since` on that saw any traffic, oldest first (with the reads still in memory; writes nothing). */
  since(since: number): MinuteStats[] {
    const byMinute = new Map<number, MinuteStats>();
    for (const r of this.sql.exec<{ minute: number; msgs_in: number; msgs_out: number }>(
      'SELECT * FROM mqs_minute WHERE minute >= ?',
      since,
    )) {
      byMinute.set(r.minute, { minute: r.minute, in: r.msgs_in, out: r.msgs_out });
    }
    for (const [minute, n] of this.pendingOut) {
      if (minute < since) continue;
      const row = byMinute.get(minute) ?? { minute, in: 0, out: 0 };
      byMinute.set(minute, { ...row, out: row.out + n });
    }
    return [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  }

  clear(): void {
    this.forgetPending();
    this.sql.exec('DELETE FROM mqs_minute');
  }
}
