import { describe, expect, it } from 'vitest';
import { deleteWhenHours, nextRetentionRun, retentionCutoff } from '../../src/core/retention';

const at = (iso: string) => Date.parse(iso);

describe('retention schedule', () => {
  it('reads deleteWhen hours', () => {
    expect(deleteWhenHours('04')).toEqual([4]);
    expect(deleteWhenHours('16;04;04')).toEqual([4, 16]);
  });

  it('runs at the start of the next deleteWhen hour (UTC)', () => {
    expect(nextRetentionRun([4], 0, at('2026-03-01T01:30:00Z'))).toBe(at('2026-03-01T04:00:00Z'));
    expect(nextRetentionRun([4], 0, at('2026-03-01T05:00:00Z'))).toBe(at('2026-03-02T04:00:00Z'));
    expect(nextRetentionRun([4, 16], 0, at('2026-03-01T05:00:00Z'))).toBe(at('2026-03-01T16:00:00Z'));
  });

  it('runs now within a deleteWhen hour that has not had its run, once', () => {
    const now = at('2026-03-01T04:20:00Z');
    expect(nextRetentionRun([4], at('2026-02-28T04:00:01Z'), now)).toBe(now);
    expect(nextRetentionRun([4], at('2026-03-01T04:00:00Z'), now)).toBe(at('2026-03-02T04:00:00Z'));
  });

  it('cuts off what is older than fileReservedTime', () => {
    expect(retentionCutoff(72, at('2026-03-04T04:00:00Z'))).toBe(at('2026-03-01T04:00:00Z'));
  });
});
