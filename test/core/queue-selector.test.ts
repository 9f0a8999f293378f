import { describe, expect, it } from 'vitest';
import { javaStringHash, selectByShardingKey, selectRoundRobin } from '../../src/core/queue-selector';

const queues = [
  { brokerName: 'broker-a', queueId: 0 },
  { brokerName: 'broker-a', queueId: 1 },
  { brokerName: 'broker-b', queueId: 0 },
  { brokerName: 'broker-b', queueId: 1 },
];

describe('javaStringHash', () => {
  it("equals Java's String.hashCode", () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('order-10086')).toBe(478770544);
  });
});

describe('selectByShardingKey', () => {
  it('sends a key to the same queue every time', () => {
    for (const key of ['order-1', 'order-2', 'user:42', '']) {
      const first = selectByShardingKey(queues, key);
      for (let i = 0; i < 5; i++) expect(selectByShardingKey(queues, key)).toBe(first);
    }
  });

  it('picks |hash| mod queue count, as SelectMessageQueueByHash', () => {
    expect(selectByShardingKey(queues, 'hello')).toBe(queues[Math.abs(99162322 % 4)]);
    expect(selectByShardingKey(queues, 'order-10086')).toBe(queues[Math.abs(478770544 % 4)]);
  });

  it('spreads keys over queues', () => {
    const used = new Set(Array.from({ length: 100 }, (_, i) => selectByShardingKey(queues, `key-${i}`)));
    expect(used.size).toBe(4);
  });
});

describe('selectRoundRobin', () => {
  it('walks the queues in turn', () => {
    expect([0, 1, 2, 3, 4].map((n) => selectRoundRobin(queues, n))).toEqual([...queues, queues[0]]);
  });

  it('avoids broker groups that just failed while others remain', () => {
    for (let n = 0; n < 8; n++) expect(selectRoundRobin(queues, n, new Set(['broker-a'])).brokerName).toBe('broker-b');
  });

  it('falls back to every queue when all groups are avoided', () => {
    expect(selectRoundRobin(queues, 1, new Set(['broker-a', 'broker-b']))).toBe(queues[1]);
  });
});
