import { describe, expect, it } from 'vitest';
import { client, testConsumerOptions, uniqueName, waitFor } from './helpers';

describe('admin', { timeout: 60_000 }, () => {
  it('creates, updates, lists, routes, reports and deletes topics', async () => {
    const admin = client().admin();
    const topic = uniqueName('AdminTopic');
    const created = await admin.topics.create(topic, { queueNums: 2, brokerNames: ['broker-a'] });
    expect(created.queueDatas).toEqual([
      expect.objectContaining({ brokerName: 'broker-a', readQueueNums: 2, writeQueueNums: 2, perm: 6, permName: 'RW' }),
    ]);
    const updated = await admin.topics.update(topic, {
      readQueueNums: 3,
      writeQueueNums: 3,
      perm: 'R',
      brokerNames: ['broker-a'],
    });
    expect(updated.queueDatas[0]).toMatchObject({ readQueueNums: 3, writeQueueNums: 3, perm: 4, permName: 'R-' });
    expect(await admin.topics.list()).toContain(topic);
    expect((await admin.topics.route(topic)).brokerDatas.map((b) => b.brokerName)).toEqual(['broker-a']);
    const status = await admin.topics.status(topic);
    expect(status.queues.map((q) => `${q.brokerName}/${q.queueId}`)).toEqual([
      'broker-a/0',
      'broker-a/1',
      'broker-a/2',
    ]);
    expect(status.queues.every((q) => q.minOffset === 0 && q.maxOffset === 0)).toBe(true);
    await admin.topics.delete(topic);
    await expect(admin.topics.route(topic)).rejects.toMatchObject({ code: 'TOPIC_NOT_EXIST' });
  });

  it('finds messages by id, key and unique key, and the offset of a time', async () => {
    const c = client();
    const admin = c.admin();
    const topic = uniqueName('AdminQuery');
    await admin.topics.create(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const p = c.producer();
    const first = await p.send(topic, { body: 'one', keys: 'order-9' });
    const second = await p.send(topic, { body: 'two', keys: ['order-9', 'other'], uniqueKey: 'UK-two' });
    expect((await admin.messages.get(first.msgId)).text()).toBe('one');
    expect((await admin.messages.byKey(topic, 'order-9')).map((m) => m.text()).sort()).toEqual(['one', 'two']);
    expect((await admin.messages.byKey(topic, 'order-9', { maxMessages: 1 })).map((m) => m.msgId)).toEqual([
      second.msgId,
    ]);
    expect((await admin.messages.byUniqueKey(topic, 'UK-two')).map((m) => m.msgId)).toEqual([second.msgId]);
    const queue = { brokerName: 'broker-b', queueId: 0 };
    expect(await admin.topics.searchOffset(topic, queue, 0)).toBe(0);
    expect(await admin.topics.searchOffset(topic, queue, new Date(Date.now() + 60_000))).toBe(2);
    const pulled = await admin.topics.pull(topic, queue, { offset: 1 });
    expect(pulled).toMatchObject({ status: 'FOUND', nextBeginOffset: 2, maxOffset: 2 });
    expect(pulled.messages.map((m) => m.text())).toEqual(['two']);
  });

  it('shows groups, their members, offsets and lag; resets and skips offsets', async () => {
    const c = client();
    const admin = c.admin();
    const topic = uniqueName('AdminGroup');
    const group = uniqueName('GID_admin');
    await admin.topics.create(topic, { queueNums: 1 });
    await c.producer().sendBatch(topic, ['a', 'b', 'c'], { queue: { brokerName: 'broker-a', queueId: 0 } });

    const consumer = c.pushConsumer({ ...testConsumerOptions(group), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    let seen = 0;
    await consumer.subscribe(topic, '*').run({ eachMessage: () => void seen++ });
    try {
      await waitFor(() => seen >= 3, 'three messages');
      expect(await admin.groups.list()).toContain(group);
      const info = await admin.groups.get(group);
      expect(info.config).toMatchObject({ messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      expect(info.members.map((m) => m.clientId)).toEqual([consumer.clientId]);
      expect(info.members[0].queues.filter((q) => q.topic === topic)).toHaveLength(2);
      await waitFor(async () => (await admin.groups.lag(group)).totalLag === 0, 'lag 0');
      const lag = await admin.groups.lag(group);
      expect(lag.queues.find((q) => q.topic === topic && q.brokerName === 'broker-a')).toMatchObject({
        offset: 3,
        maxOffset: 3,
        lag: 0,
      });
    } finally {
      await consumer.stop();
    }
    expect((await admin.groups.get(group)).members).toEqual([]);

    const reset = await admin.groups.resetOffsets(group, topic, 0);
    expect(reset.offsets.find((o) => o.brokerName === 'broker-a')).toMatchObject({ offset: 0 });
    expect((await admin.groups.offsets(group, topic)).totalLag).toBe(3);
    const skipped = await admin.groups.skipBacklog(group, topic);
    expect(skipped.generation).toBeGreaterThan(reset.generation);
    expect((await admin.groups.offsets(group, topic)).totalLag).toBe(0);
    await admin.groups.commitOffsets(group, topic, [{ brokerName: 'broker-a', queueId: 0, offset: 1 }]);
    expect((await admin.groups.offsets(group, topic)).totalLag).toBe(2);
  });

  it('configures a group', async () => {
    const admin = client().admin();
    const group = uniqueName('GID_config');
    const info = await admin.groups.configure(group, { messageModel: 'BROADCASTING', maxReconsumeTimes: 3 });
    expect(info.config).toMatchObject({ messageModel: 'BROADCASTING', maxReconsumeTimes: 3 });
    await expect(admin.groups.get(uniqueName('GID_none'))).rejects.toMatchObject({ code: 'GROUP_NOT_EXIST' });
  });

  it('describes the cluster', async () => {
    const admin = client().admin();
    const cluster = await admin.cluster.info();
    expect(cluster.clusters[0].brokerNames).toEqual(['broker-a', 'broker-b']);
    expect(await admin.cluster.brokers()).toHaveLength(2);
  });
});
