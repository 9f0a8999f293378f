import { STATS_KEEP_MINUTES } from '../../core/limits';
import { MINUTE_MS, type MinuteTraffic } from '../../core/minutes';
import { migrate } from '../schema';
import { STATS_MIGRATIONS } from './schema';

/** Messages appended to and read from one queue during one minute. */
export type MinuteStats = MinuteTraffic;

/** An offset key's committed offset at the end of a minute it was stored in, and what its commits moved over then. */
export interface MinuteOffset {
  minute: number;
  offset: number;
  consumed: number;
}

/**
 * Per-minute counts of messages in (appended) and out (returned by pulls and
 * pops) of one queue, for the last two hours: a row per minute, so that a
 * chart of the last hour is one small read, never a scan of the log. Beside
 * them, each offset key's committed offset at the end of every minute it was stored
 * in and the messages its commits moved over (`mqs_offset`, a row per key and
 * minute, the latest older row kept), from which a group's lag and
 * consumption over time follow (src/core/lag-history.ts).
 *
 * Reads do not write: their counts wait in memory and are written with the
 * next append (in the same row, when it is the same minute), by the object's
 * alarm when it runs, or a minute after the first count waiting (a timer:
 * arming the alarm for it would move the alarm every other schedule shares,
 * and would not save more, as an alarm wakes a new instance whose memory is
 * empty). An object that stops loses what waits, at most about a minute of reads. Offsets noted wait for the
 * timer or the alarm only (an append does not write them), so that a busy queue writes a row per key a minute;
 * an object that stops loses at most that minute of history (the offsets themselves are in `mq_offset`).
 */
export class QueueStats {
  private lastMinute = 0;
  /** Reads counted and not written yet, per minute. */
  private readonly pendingOut = new Map<number, number>();
  /** Offsets stored and not written yet: key → minute → the last offset and what commits moved over. */
  private readonly pendingOffsets = new Map<string, Map<number, { offset: number; consumed: number }>>();
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
    this.writeReads();
    // The offsets noted wait for the timer (or the alarm): at most a row per key a minute, not one per append.
    if (this.pendingOffsets.size === 0) this.stopTimer();
  }

  /**
   * Notes a key's stored offset (a commit or a reset) and the messages a commit moved it over (0 for a reset),
   * written by the timer a minute after the first note waiting, or by the alarm: at most a row per key a minute.
   */
  offset(key: string, offset: number, consumed: number, now = Date.now()): void {
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const byMinute = this.pendingOffsets.get(key) ?? new Map<number, { offset: number; consumed: number }>();
    byMinute.set(minute, { offset, consumed: (byMinute.get(minute)?.consumed ?? 0) + consumed });
    this.pendingOffsets.set(key, byMinute);
    this.timer ??= setTimeout(() => this.persist(), MINUTE_MS);
  }

  /** Writes the reads counted in memory and the offsets noted (from the alarm, and by the timer). */
  persist(): void {
    this.writeReads();
    for (const [key, byMinute] of this.pendingOffsets) {
      for (const [minute, { offset, consumed }] of byMinute) {
        this.sql.exec(
          `INSERT INTO mqs_offset (grp, minute, queue_offset, consumed) VALUES (?, ?, ?, ?)
           ON CONFLICT (grp, minute) DO UPDATE SET queue_offset = excluded.queue_offset,
             consumed = consumed + excluded.consumed`,
          key,
          minute,
          offset,
          consumed,
        );
        this.prune(minute);
      }
    }
    this.forgetPending();
  }

  private writeReads(): void {
    for (const [minute, n] of this.pendingOut) this.write(minute, 0, n);
    this.pendingOut.clear();
  }

  private forgetPending(): void {
    this.pendingOut.clear();
    this.pendingOffsets.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
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
    this.prune(minute);
  }

  /**
   * Once a minute: drops the minutes older than STATS_KEEP_MINUTES, and the offset rows older than that which a
   * newer old row replaces (the latest stays: the offset where the history begins) or whose key has no offset left.
   */
  private prune(minute: number): void {
    if (minute <= this.lastMinute) return;
    this.lastMinute = minute;
    const cutoff = minute - STATS_KEEP_MINUTES * MINUTE_MS;
    this.sql.exec('DELETE FROM mqs_minute WHERE minute < ?', cutoff);
    this.sql.exec(
      `DELETE FROM mqs_offset WHERE minute < ?1 AND (grp NOT IN (SELECT grp FROM mq_offset)
         OR EXISTS (SELECT 1 FROM mqs_offset newer WHERE newer.grp = mqs_offset.grp
           AND newer.minute > mqs_offset.minute AND newer.minute <= ?1))`,
      cutoff,
    );
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

  /** A key's rows from `since` on and the last one before (with what waits in memory), oldest first. */
  offsetsOf(key: string, since: number): MinuteOffset[] {
    const byMinute = new Map<number, MinuteOffset>();
    for (const r of this.sql.exec<{ minute: number; queue_offset: number; consumed: number }>(
      `SELECT minute, queue_offset, consumed FROM mqs_offset WHERE grp = ?1 AND minute >= COALESCE(
         (SELECT MAX(minute) FROM mqs_offset WHERE grp = ?1 AND minute < ?2), ?2)`,
      key,
      since,
    )) {
      byMinute.set(r.minute, { minute: r.minute, offset: r.queue_offset, consumed: r.consumed });
    }
    for (const [minute, p] of this.pendingOffsets.get(key) ?? []) {
      const row = byMinute.get(minute);
      byMinute.set(minute, { minute, offset: p.offset, consumed: (row?.consumed ?? 0) + p.consumed });
    }
    return [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  }

  clear(): void {
    this.forgetPending();
    this.sql.exec('DELETE FROM mqs_minute');
    this.sql.exec('DELETE FROM mqs_offset');
  }
}
