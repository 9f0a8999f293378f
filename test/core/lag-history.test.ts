import { describe, expect, it } from 'vitest';
import { consumeTps, queueLagHistory, sumHistories } from '../../src/core/lag-history';

const M = 60_000;
const since = 1_000 * M;

describe('lag history', () => {
  it("rebuilds each minute's lag from today's max offset, the appends after it, and the offsets noted", () => {
    // Minute 0: 10 appended, offset 4 at its end. Minute 1: nothing. Minute 2 (now): 5 appended, offset 12.
    const series = queueLagHistory(
      {
        minOffset: 0,
        maxOffset: 15,
        minutes: [
          { minute: since, in: 10 },
          { minute: since + 2 * M, in: 5 },
        ],
        keys: [
          {
            offset: 12,
            minutes: [
              { minute: since - 5 * M, offset: 0, consumed: 9 },
              { minute: since, offset: 4, consumed: 4 },
              { minute: since + 2 * M, offset: 12, consumed: 8 },
            ],
          },
        ],
      },
      since,
      since + 2 * M + 30_000,
    );
    expect(series).toEqual([
      { minute: since, consumed: 4, lag: 6 },
      { minute: since + M, consumed: 0, lag: 6 },
      { minute: since + 2 * M, consumed: 8, lag: 3 },
    ]);
  });

  it('takes the lag before a first commit from the min offset', () => {
    const series = queueLagHistory(
      {
        minOffset: 2,
        maxOffset: 8,
        minutes: [],
        keys: [{ offset: 5, minutes: [{ minute: since + M, offset: 5, consumed: 0 }] }],
      },
      since,
      since + M,
    );
    expect(series).toEqual([
      { minute: since, consumed: 0, lag: 6 },
      { minute: since + M, consumed: 0, lag: 3 },
    ]);
  });

  it('holds an offset that never moved in the window, and follows a reset backwards', () => {
    const flat = queueLagHistory(
      { minOffset: 0, maxOffset: 7, minutes: [], keys: [{ offset: 3, minutes: [] }] },
      since,
      since + M,
    );
    expect(flat.map((m) => m.lag)).toEqual([4, 4]);
    const reset = queueLagHistory(
      {
        minOffset: 0,
        maxOffset: 7,
        minutes: [],
        keys: [
          {
            offset: 1,
            minutes: [
              { minute: since - M, offset: 6, consumed: 6 },
              { minute: since, offset: 1, consumed: 0 },
            ],
          },
        ],
      },
      since,
      since + M,
    );
    expect(reset).toEqual([
      { minute: since, consumed: 0, lag: 6 },
      { minute: since + M, consumed: 0, lag: 6 },
    ]);
  });

  it('sums queues, and rates the last minute and what passed of the current one', () => {
    const a = [
      { minute: since, consumed: 60, lag: 1 },
      { minute: since + M, consumed: 30, lag: 2 },
    ];
    const total = sumHistories([a, a], since, since + M);
    expect(total).toEqual([
      { minute: since, consumed: 120, lag: 2 },
      { minute: since + M, consumed: 60, lag: 4 },
    ]);
    // 180 messages over 90 seconds.
    expect(consumeTps(total, since + M + 30_000)).toBe(2);
    expect(consumeTps([], since)).toBe(0);
  });
});
