/**
 * Per-minute figures: which minutes a series covers, traffic counts put on
 * them, and the rate a minute's count makes. One place for the dashboard's
 * charts (topics, the overview, a group's page) and /metrics' TPS.
 */

export const MINUTE_MS = 60_000;

/** Messages in (appended) and out (returned by pulls and pops) during one minute. */
export interface MinuteTraffic {
  /** Start of the minute, ms since the epoch. */
  minute: number;
  in: number;
  out: number;
}

/** Start of the minute `at` falls in. */
export const minuteOf = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/** Start of the last complete minute before `now`: the minute every TPS figure covers. */
export const lastCompleteMinute = (now: number): number => minuteOf(now) - MINUTE_MS;

/** The `count` minutes up to `now`'s (the current one last), oldest first. */
export const minutesUpTo = (now: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => minuteOf(now) - (count - 1 - i) * MINUTE_MS);

/** A minute's count per second, as RocketMQ's minute TPS. */
export const perSecond = (countInMinute: number): number => countInMinute / 60;

/** `rows` (of any minutes, several per minute allowed) summed on `minutes`, zeros where none; other minutes left out. */
export function trafficOn(minutes: readonly number[], rows: Iterable<MinuteTraffic>): MinuteTraffic[] {
  const series = minutes.map((minute) => ({ minute, in: 0, out: 0 }));
  const slot = new Map(series.map((s) => [s.minute, s]));
  for (const r of rows) {
    const s = slot.get(r.minute);
    if (!s) continue;
    s.in += r.in;
    s.out += r.out;
  }
  return series;
}
