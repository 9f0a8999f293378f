import { describe, expect, it } from 'vitest';
import { call, createTopic, expectError, send, uniqueName } from './helpers';

describe("the dashboard overview's figures", () => {
  it('sums messages in and out per minute over every topic, with each topic', async () => {
    const topic = uniqueName('Traffic');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    for (const body of ['a', 'b', 'c']) await send(topic, { body });
    const pulled = await call('GET', `/topics/${topic}/queues/broker-b/0/messages?offset=0`);
    expect(pulled.body.messages).toHaveLength(3);
    const stats = await call('GET', '/cluster/stats?minutes=3');
    expect(stats.status).toBe(200);
    expect(stats.body.minutes).toHaveLength(3);
    expect(stats.body.topics).toContainEqual({ topic, in: 3, out: 3 });
    const total = (k: 'in' | 'out') => stats.body.minutes.reduce((n: number, m: Record<string, number>) => n + m[k], 0);
    expect(total('in')).toBe(stats.body.topics.reduce((n: number, t: { in: number }) => n + t.in, 0));
    expect(total('out')).toBeGreaterThanOrEqual(3);
    expectError(await call('GET', '/cluster/stats?minutes=0'), 400, 'INVALID_REQUEST');
  });

  it('lists producer groups with their check URL and discarded count', async () => {
    const group = uniqueName('PG_listed');
    const checkUrl = 'https://checks.example.com/tx';
    expect((await call('PUT', `/producer-groups/${group}`, { checkUrl })).status).toBe(200);
    const list = await call('GET', '/producer-groups');
    expect(list.status).toBe(200);
    expect(list.body.producerGroups).toContainEqual(expect.objectContaining({ group, checkUrl, discardedTotal: 0 }));
    const names = list.body.producerGroups.map((g: { group: string }) => g.group);
    expect(names).toEqual([...names].sort());
  });
});
