/**
 * A consumer group's lag and consumption over time, from what each queue
 * object keeps per minute (its messages in, and each offset key's committed
 * offset at the end of every minute it was stored in, with the messages its
 * commits moved over): no sampling, no scan.
 */
import { MINUTE_MS } from './minutes';

/** One queue's record for some offset keys (MessageQueue.offsetHistory). */
export interface QueueOffsetHistory {
  minOffset: number;
  maxOffset: number;
  /** Messages appended per minute (minutes without traffic left out), oldest first. */
  minutes: { minute: number; in: number }[];
  /**
   * Per key asked: its committed offset now (-1: none), and at the end of each minute it was stored in, with what
   * its commits moved over then (resets count nothing), oldest first, from the last minute before the window on.
   */
  keys: { offset: number; minutes: { minute: number; offset: number; consumed: number }[] }[];
}

/** One minute of a group's history, summed over its queues (and members, in broadcasting). */
export interface GroupMinute {
  /** Start of the minute, ms since the epoch. */
  minute: number;
  /** Messages the group's commits moved its offsets over during the minute (a reset or skip counts nothing). */
  consumed: number;
  /** maxOffset - max(committed offset, minOffset) at the end of the minute (for the current minute: now). */
  lag: number;
}

/**
 * The minutes `since`, `since` + 1 minute, …, `now`'s minute of one queue: at
 * each minute's end the max offset is today's less what was appended after
 * it, the committed offset the last one noted up to it. The queue's min offset
 * now stands for every minute's (retention only moves it up, so an old minute's
 * lag may read lower than it was).
 */
export function queueLagHistory(h: QueueOffsetHistory, since: number, now: number): GroupMinute[] {
  const count = Math.floor((now - since) / MINUTE_MS) + 1;
  const appended = new Map(h.minutes.map((m) => [m.minute, m.in]));
  const series: GroupMinute[] = Array.from({ length: count }, (_, i) => ({
    minute: since + i * MINUTE_MS,
    consumed: 0,
    lag: 0,
  }));
  // The max offset at each minute's end, from the last minute back.
  const maxAtEnd: number[] = new Array(count);
  let max = h.maxOffset;
  for (let i = count - 1; i >= 0; i--) {
    maxAtEnd[i] = max;
    max -= appended.get(series[i].minute) ?? 0;
  }
  for (const key of h.keys) {
    const rows = key.minutes;
    let next = 0;
    // The offset before the window: the last row before it, else (a key whose first commit is in the window) none.
    let offset = rows.length > 0 && rows[0].minute < since ? rows[next++].offset : rows.length > 0 ? -1 : key.offset;
    for (let i = 0; i < count; i++) {
      while (next < rows.length && rows[next].minute <= series[i].minute) {
        offset = rows[next].offset;
        series[i].consumed += rows[next++].consumed;
      }
      if (i === count - 1) offset = key.offset;
      series[i].lag += Math.max(0, maxAtEnd[i] - Math.max(offset, h.minOffset));
    }
  }
  return series;
}

/** Adds series of the same minutes (a group's queues). */
export function sumHistories(all: GroupMinute[][], since: number, now: number): GroupMinute[] {
  const count = Math.floor((now - since) / MINUTE_MS) + 1;
  const total = Array.from({ length: count }, (_, i) => ({ minute: since + i * MINUTE_MS, consumed: 0, lag: 0 }));
  for (const series of all) {
    series.forEach((m, i) => {
      total[i].consumed += m.consumed;
      total[i].lag += m.lag;
    });
  }
  return total;
}

/** Messages consumed per second over the last minute and what passed of the current one (RocketMQ's consumeTps). */
export function consumeTps(series: GroupMinute[], now: number): number {
  if (series.length === 0) return 0;
  const last = series.slice(-2);
  const seconds = (now - last[0].minute) / 1000;
  const consumed = last.reduce((n, m) => n + m.consumed, 0);
  return seconds > 0 ? Math.round((consumed / seconds) * 100) / 100 : 0;
}
