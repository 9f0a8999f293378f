import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../src/sdk/index';
import { client, testConsumerOptions, uniqueName, waitFor, TRANSPORTS, useTransport } from './helpers';

const running: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe.each(TRANSPORTS)('broadcasting over %s', { timeout: 60_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('gives every message to each of 3 members, each with its own offsets', async () => {
    const c = client();
    const topic = uniqueName('Broadcast');
    const group = uniqueName('GID_broadcast');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const producer = c.producer();
    const sent = (
      await producer.sendBatch(
        topic,
        Array.from({ length: 15 }, (_, i) => `early-${i}`),
      )
    ).map((r) => r.uniqueKey);

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

    await waitFor(
      () => [...seen.values()].every((s) => sent.every((k) => s.has(k))),
      'every member to see every message',
    );
    for (const s of seen.values()) expect(s.size).toBe(30);

    const lag = await c.admin().groups.lag(group);
    expect(lag.messageModel).toBe('BROADCASTING');
    await waitFor(async () => (await c.admin().groups.lag(group)).totalLag === 0, 'every member to commit');
    expect(new Set(lag.queues.map((q) => q.clientId))).toEqual(new Set(members.map((m) => m.clientId)));
  });

  it('a restarted broadcasting consumer with the default identity resumes where it stopped and gets what was sent while it was down', async () => {
    const c = client();
    const topic = uniqueName('BroadcastRestart');
    const group = uniqueName('GID_broadcast_restart');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const producer = c.producer();
    // RocketMQ's default start: a queue the instance never consumed starts at its max offset.
    const options = {
      ...testConsumerOptions(group),
      messageModel: 'BROADCASTING' as const,
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' as const,
    };

    const first = c.pushConsumer(options);
    running.push(first);
    const seenBefore = new Set<string>();
    await first.subscribe(topic).run({ eachMessage: (m) => void seenBefore.add(m.uniqueKey) });
    const before: string[] = [];
    for (let i = 0; i < 6; i++) before.push((await producer.send(topic, `before-${i}`)).uniqueKey);
    await waitFor(() => before.every((k) => seenBefore.has(k)), 'the first process to see every message');
    await first.stop(); // commits what it processed and leaves

    const whileDown: string[] = [];
    for (let i = 0; i < 6; i++) whileDown.push((await producer.send(topic, `down-${i}`)).uniqueKey);

    // The process restarts: a new consumer, nothing set but the same options.
    const second = c.pushConsumer(options);
    running.push(second);
    const seenAfter: string[] = [];
    await second.subscribe(topic).run({ eachMessage: (m) => void seenAfter.push(m.uniqueKey) });
    await waitFor(
      () => whileDown.every((k) => seenAfter.includes(k)),
      'the restarted process to get what was sent while it was down',
      10_000,
    );
    expect(seenAfter.filter((k) => before.includes(k))).toEqual([]); // committed before the stop: not delivered again
  });
});
