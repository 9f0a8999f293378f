import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGroupConfigConflict, type ConsumedMessage, type PushConsumer } from '../../src/sdk/index';
import { queueKey } from '../../src/sdk/queue-state';
import { client, testConsumerOptions, uniqueName, waitFor, TRANSPORTS, useTransport } from './helpers';

const consumers: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
});

describe.each(TRANSPORTS)('push consumer over %s', { timeout: 60_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('consumes every message with eachMessage and commits what it processed', async () => {
    const c = client();
    const topic = uniqueName('Push');
    const group = uniqueName('GID_push');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const producer = c.producer();
    const sent = await producer.sendBatch(
      topic,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    for (let i = 0; i < 10; i++) await producer.send(topic, { body: `s${i}`, tags: 'TagA' });

    const consumer = c.pushConsumer(testConsumerOptions(group));
    consumers.push(consumer);
    const got: ConsumedMessage[] = [];
    await consumer.subscribe(topic).run({ eachMessage: async (m) => void got.push(m) });
    expect(consumer.assignment().filter((q) => q.topic === topic)).toHaveLength(4);
    await waitFor(() => got.length >= 20, '20 messages');
    expect(new Set(got.map((m) => m.text()))).toEqual(
      new Set([...Array.from({ length: 10 }, (_, i) => `m${i}`), ...Array.from({ length: 10 }, (_, i) => `s${i}`)]),
    );
    expect(got.find((m) => m.msgId === sent[0].msgId)?.queue).toMatchObject({
      topic,
      brokerName: sent[0].brokerName,
      queueId: sent[0].queueId,
    });

    await consumer.stop();
    const lag = await c.admin().groups.offsets(group, topic);
    expect(lag.totalLag).toBe(0);
  });

  it('hands batches of one queue to eachBatch, within maxBatchSize and the concurrency', async () => {
    const c = client();
    const topic = uniqueName('Batches');
    const group = uniqueName('GID_batches');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const sent = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        c.producer().sendBatch(
          topic,
          Array.from({ length: 10 }, (_, j) => `b${i}-${j}`),
        ),
      ),
    );
    const batches: ConsumedMessage[][] = [];
    let running = 0;
    let most = 0;
    const consumer = c.pushConsumer({ ...testConsumerOptions(group), maxBatchSize: 4, concurrency: 2 });
    consumers.push(consumer);
    await consumer.subscribe(topic).run({
      eachBatch: async (ms) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        batches.push(ms);
        running--;
      },
    });
    await waitFor(() => batches.flat().length >= 40, '40 messages');
    expect(batches.every((b) => b.length >= 1 && b.length <= 4)).toBe(true);
    expect(batches.every((b) => new Set(b.map((m) => queueKey(m.queue))).size === 1)).toBe(true);
    expect(most).toBeLessThanOrEqual(2);
    expect(new Set(batches.flat().map((m) => m.msgId))).toEqual(new Set(sent.flat().map((r) => r.msgId)));
  });

  it('filters by tag expression', async () => {
    const c = client();
    const topic = uniqueName('Tags');
    const group = uniqueName('GID_tags');
    const producer = c.producer();
    for (const tags of ['TagA', 'TagB', 'TagC', 'TagA']) await producer.send(topic, { body: tags, tags });
    const got: string[] = [];
    const consumer = c.pushConsumer(testConsumerOptions(group));
    consumers.push(consumer);
    await consumer.subscribe(topic, 'TagA || TagC').run({ eachMessage: (m) => void got.push(m.tags) });
    await waitFor(() => got.length >= 3, 'three tagged messages');
    await waitFor(
      async () => (await c.admin().groups.offsets(group, topic)).totalLag === 0,
      'the commit past the filtered one',
    );
    expect(got.sort()).toEqual(['TagA', 'TagA', 'TagC']);
  });

  it("refuses to join with a group config that differs from the live members'", async () => {
    const c = client();
    const topic = uniqueName('Conflict');
    const group = uniqueName('GID_conflict');
    const first = c.pushConsumer(testConsumerOptions(group));
    consumers.push(first);
    await first.subscribe(topic).run({ eachMessage: () => {} });
    const second = c.pushConsumer({ ...testConsumerOptions(group), messageModel: 'BROADCASTING' });
    const err = await second
      .subscribe(topic)
      .run({ eachMessage: () => {} })
      .catch((e) => e);
    expect(isGroupConfigConflict(err)).toBe(true);
    await second.stop();
    await expect(c.pushConsumer(testConsumerOptions(group)).run({ eachMessage: () => {} })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    }); // no subscription
  });
});
