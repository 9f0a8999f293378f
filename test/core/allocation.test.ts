import { describe, expect, it } from 'vitest';
import { ALLOCATE_STRATEGIES, allocate } from '../../src/core/allocation';

const queues = (n: number, brokers = ['broker-a', 'broker-b']) =>
  brokers.flatMap((brokerName) => Array.from({ length: n }, (_, queueId) => ({ brokerName, queueId })));
const names = (qs: { brokerName: string; queueId: number }[] | undefined) =>
  (qs ?? []).map((q) => `${q.brokerName.slice(-1)}${q.queueId}`);

describe('allocate', () => {
  it('AVG gives contiguous ranges, the first members one more (AllocateMessageQueueAveragely)', () => {
    const result = allocate('AVG', queues(4), ['c3', 'c1', 'c2']);
    expect(names(result.get('c1'))).toEqual(['a0', 'a1', 'a2']);
    expect(names(result.get('c2'))).toEqual(['a3', 'b0', 'b1']);
    expect(names(result.get('c3'))).toEqual(['b2', 'b3']);
  });

  it('AVG gives one queue each and nothing to extra members when members outnumber queues', () => {
    const result = allocate('AVG', queues(1), ['c1', 'c2', 'c3']);
    expect([...result.values()].map(names)).toEqual([['a0'], ['b0'], []]);
  });

  it('AVG_BY_CIRCLE deals queues round robin', () => {
    const result = allocate('AVG_BY_CIRCLE', queues(2), ['c1', 'c2', 'c3']);
    expect(names(result.get('c1'))).toEqual(['a0', 'b1']);
    expect(names(result.get('c2'))).toEqual(['a1']);
    expect(names(result.get('c3'))).toEqual(['b0']);
  });

  it.each(ALLOCATE_STRATEGIES)(
    '%s gives every queue to exactly one member, whatever the order of the input',
    (strategy) => {
      for (const memberCount of [1, 2, 3, 5, 8, 13]) {
        const members = Array.from({ length: memberCount }, (_, i) => `client-${i}`);
        const all = queues(4);
        const a = allocate(strategy, all, members);
        const b = allocate(strategy, [...all].reverse(), [...members].reverse());
        expect([...a.entries()]).toEqual([...b.entries()]);
        const owned = [...a.values()].flat().map((q) => `${q.brokerName}/${q.queueId}`);
        expect(owned.sort()).toEqual(all.map((q) => `${q.brokerName}/${q.queueId}`).sort());
      }
    },
  );

  it('CONSISTENT_HASH moves only the leaving member’s queues', () => {
    const all = queues(16);
    const before = allocate('CONSISTENT_HASH', all, ['c1', 'c2', 'c3']);
    const after = allocate('CONSISTENT_HASH', all, ['c1', 'c2']);
    for (const member of ['c1', 'c2']) {
      for (const q of before.get(member)!) expect(after.get(member)).toContainEqual(q);
    }
  });

  it('returns nothing for no members', () => {
    expect(allocate('AVG', queues(2), []).size).toBe(0);
  });
});
