import { afterEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../src/sdk/index';
import { client, testConsumerOptions, uniqueName, waitFor } from './helpers';

const running: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe('broadcasting', { timeout: 60_000 }, () => {
  it('gives every message to each of 3 members, each with its own offsets', async () => {
    const c = client();
    const topic = uniqueName('Broadcast');
    const group = uniqueName('GID_broadcast');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const producer = c.producer();
    const sent = (await producer.sendBatch(topic, Array.from({ length: 15 }, (_, i) => `early-${i}`))).map((r) => r.uniqueKey);

    const seen = new Map<string, Set<string>>();
    const members: PushConsumer[] = [];
    for (let i = 0; i < 3; i++) {
      const consumer = c.pushConsumer({ ...testConsumerOptions(group), messageModel: 'BROADCASTING' });
      running.push(consumer);
      const mine = new Set<string>();
      seen.set(consumer.clientId, mine);
      await consumer.subscribe(topic).run({ eachMessage: (m) => void mine.add(m.uniqueKey) });
      members.push(consumer);
    }
    for (const m of members) expect(m.assignment().filter((q) => q.topic === topic)).toHaveLength(4); // every queue
    for (let i = 0; i < 15; i++) sent.push((await producer.send(topic, `late-${i}`)).uniqueKey);

    await waitFor(() => [...seen.values()].every((s) => sent.every((k) => s.has(k))), 'every member to see every message');
    for (const s of seen.values()) expect(s.size).toBe(30);

    const lag = await c.admin().groups.lag(group);
    expect(lag.messageModel).toBe('BROADCASTING');
    await waitFor(async () => (await c.admin().groups.lag(group)).totalLag === 0, 'every member to commit');
    expect(new Set(lag.queues.map((q) => q.clientId))).toEqual(new Set(members.map((m) => m.clientId)));
  });
});
