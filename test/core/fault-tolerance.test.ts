import { describe, expect, it } from 'vitest';
import { ISOLATION_LATENCY_MS, LatencyFaultTolerance, notAvailableDuration } from '../../src/core/fault-tolerance';

describe('notAvailableDuration', () => {
  it("maps a latency to RocketMQ 5's not-available durations", () => {
    expect(notAvailableDuration(0)).toBe(0);
    expect(notAvailableDuration(99)).toBe(0);
    expect(notAvailableDuration(549)).toBe(0);
    expect(notAvailableDuration(550)).toBe(2000);
    expect(notAvailableDuration(1800)).toBe(5000);
    expect(notAvailableDuration(3000)).toBe(6000);
    expect(notAvailableDuration(ISOLATION_LATENCY_MS)).toBe(10000);
    expect(notAvailableDuration(15000)).toBe(30000);
    expect(notAvailableDuration(10 ** 9)).toBe(30000);
  });
});

describe('LatencyFaultTolerance', () => {
  it('keeps fast groups available and avoids a failed one for 10 s', () => {
    const f = new LatencyFaultTolerance();
    expect(f.update('broker-a', 20, false, 1000)).toEqual({ availableAt: 1000, newlyUnavailable: false });
    expect(f.isAvailable('broker-a', 1000)).toBe(true);
    expect(f.update('broker-b', 5, true, 1000)).toEqual({ availableAt: 11000, newlyUnavailable: true });
    expect(f.isAvailable('broker-b', 10999)).toBe(false);
    expect(f.unavailable(5000)).toEqual(new Set(['broker-b']));
    expect(f.isAvailable('broker-b', 11000)).toBe(true);
    expect(f.unavailable(11000)).toEqual(new Set());
  });

  it('reports a group as newly unavailable only on the change', () => {
    const f = new LatencyFaultTolerance();
    expect(f.update('g', 0, true, 0).newlyUnavailable).toBe(true);
    expect(f.update('g', 0, true, 100).newlyUnavailable).toBe(false);
    expect(f.update('g', 10, false, 200)).toEqual({ availableAt: 200, newlyUnavailable: false });
    expect(f.isAvailable('g', 200)).toBe(true);
  });

  it('avoids a slow group for a while', () => {
    const f = new LatencyFaultTolerance();
    f.update('slow', 2000, false, 0);
    expect(f.isAvailable('slow', 4999)).toBe(false);
    expect(f.isAvailable('slow', 5000)).toBe(true);
  });

  it('picks, among avoided groups, the one available first; an unknown group before any', () => {
    const f = new LatencyFaultTolerance();
    f.update('a', 0, true, 0);
    f.update('b', 3000, false, 0);
    expect(f.pickOneAtLeast(['a', 'b'])).toBe('b');
    expect(f.pickOneAtLeast(['a', 'b', 'c'])).toBe('c');
    expect(f.pickOneAtLeast([])).toBeNull();
    f.remove('b');
    expect(f.pickOneAtLeast(['a', 'b'])).toBe('b');
  });

  it('takes its own tables', () => {
    const f = new LatencyFaultTolerance({
      latencyMaxMs: [0, 100],
      notAvailableMs: [0, 60_000],
      isolationLatencyMs: 100,
    });
    expect(f.update('x', 99, false, 0).availableAt).toBe(0);
    expect(f.update('x', 0, true, 0).availableAt).toBe(60_000);
    expect(() => new LatencyFaultTolerance({ latencyMaxMs: [1], notAvailableMs: [] })).toThrow();
  });
});
