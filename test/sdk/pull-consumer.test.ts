import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message, PullConsumer } from '../../src/sdk/index';
import { client, uniqueName, waitFor, TRANSPORTS, useTransport } from './helpers';

const running: PullConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

const options = (group: string) => ({
  group,
  consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' as const,
  pullWaitMs: 300,
  autoCommitIntervalMs: 300,
  pullBackoff: { initialDelayMs: 50, maxDelayMs: 300 },
  onError: () => {},
});

describe.each(TRANSPORTS)('pull consumer over %s', { timeout: 60_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('polls its queues, commits with commit(), and shares queues with another member', async () => {
    const c = client();
    const topic = uniqueName('Poll');
    const group = uniqueName('GID_poll');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const sent = await c.producer().sendBatch(
      topic,
      Array.from({ length: 8 }, (_, i) => `p${i}`),
    );
    for (let i = 0; i < 8; i++) sent.push(await c.producer().send(topic, `r${i}`));

    const one = c.pullConsumer({ ...options(group), autoCommit: false }).subscribe(topic);
    running.push(one);
    await one.start();
    const queuesOf = (consumer: typeof one) => consumer.assignment().filter((q) => q.topic === topic); // the retry topic's too
    expect(queuesOf(one)).toHaveLength(4);
    const got: Message[] = [];
    await waitFor(async () => {
      got.push(...(await one.poll({ maxMessages: 5, waitMs: 200 })));
      return got.length >= 16;
    }, '16 messages');
    expect(new Set(got.map((m) => m.msgId))).toEqual(new Set(sent.map((r) => r.msgId)));
    expect(await one.poll({ waitMs: 50 })).toEqual([]);
    expect((await c.admin().groups.offsets(group, topic)).totalLag).toBe(16); // nothing marked processed yet
    await one.commit();
    expect((await c.admin().groups.offsets(group, topic)).totalLag).toBe(0);

    const two = c.pullConsumer(options(group)).subscribe(topic);
    running.push(two);
    await two.start();
    await waitFor(() => queuesOf(one).length === 2 && queuesOf(two).length === 2, 'two queues each');
  });

  it('with autoCommit, what a poll returned counts as processed at the next poll and on stop', async () => {
    const c = client();
    const topic = uniqueName('AutoCommit');
    const group = uniqueName('GID_auto');
    await c.admin().topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await c.producer().sendBatch(topic, ['a', 'b', 'c', 'd']);
    const consumer = c.pullConsumer(options(group)).subscribe(topic);
    await consumer.start();
    const first = await waitFor(async () => {
      const ms = await consumer.poll({ maxMessages: 2 });
      return ms.length > 0 && ms;
    }, 'a first poll');
    expect(first.map((m) => m.text())).toEqual(['a', 'b']);
    await consumer.stop();
    expect((await c.admin().groups.offsets(group, topic)).offsets[0].offset).toBe(2);
    expect((await c.admin().groups.get(group)).members).toEqual([]);
  });
});
