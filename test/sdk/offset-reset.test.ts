/** An admin offset reset while a consumer runs: the consumer drops what it holds and consumes again from the reset point. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../src/sdk/index';
import { client, testConsumerOptions, uniqueName, waitFor, TRANSPORTS, useTransport } from './helpers';

const running: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe.each(TRANSPORTS)('offset reset over %s', { timeout: 60_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('makes a running consumer reload its offsets (and never commit over the reset)', async () => {
    const c = client();
    const topic = uniqueName('Reset');
    const group = uniqueName('GID_reset');
    await c.admin().topics.create(topic, { queueNums: 1 });
    const sent = await c.producer().sendBatch(
      topic,
      Array.from({ length: 5 }, (_, i) => `m${i}`),
    );
    const counts = new Map<string, number>();
    const consumer = c.pushConsumer(testConsumerOptions(group));
    running.push(consumer);
    await consumer
      .subscribe(topic)
      .run({ eachMessage: (m) => void counts.set(m.msgId, (counts.get(m.msgId) ?? 0) + 1) });
    await waitFor(() => sent.every((r) => counts.get(r.msgId) === 1), 'the first pass');
    await waitFor(async () => (await c.admin().groups.offsets(group, topic)).totalLag === 0, 'the commit');

    await c.admin().groups.resetOffsets(group, topic, 0);
    await waitFor(() => sent.every((r) => (counts.get(r.msgId) ?? 0) >= 2), 'the second pass, from the reset');
    await waitFor(
      async () => (await c.admin().groups.offsets(group, topic)).totalLag === 0,
      'the commit after the reset',
    );

    // Skipping the backlog: the next message is consumed (maybe twice: if it was consumed
    // before the consumer noticed the skip, its commit is refused and it is read again).
    const afterReset = sent.map((r) => counts.get(r.msgId));
    await c.admin().groups.skipBacklog(group, topic);
    const more = await c.producer().send(topic, 'after skip');
    await waitFor(() => (counts.get(more.msgId) ?? 0) >= 1, 'the message after the skip');
    await waitFor(
      async () => (await c.admin().groups.offsets(group, topic)).totalLag === 0,
      'the commit after the skip',
    );
    expect(sent.map((r) => counts.get(r.msgId))).toEqual(afterReset); // the skip did not bring the old ones back
  });

  it('resetting one topic does not make the consumer drop its other topics’ processed messages', async () => {
    const c = client();
    const group = uniqueName('GID_reset_one');
    const [t1, t2] = [uniqueName('ResetOne'), uniqueName('KeptTwo')];
    for (const t of [t1, t2]) await c.admin().topics.create(t, { queueNums: 1 });
    const first = await c.producer().sendBatch(t1, ['a0', 'a1', 'a2']);
    const counts = new Map<string, number>();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const consumer = c.pushConsumer(testConsumerOptions(group));
    running.push(consumer);
    await consumer
      .subscribe(t1)
      .subscribe(t2)
      .run({
        eachMessage: async (m) => {
          counts.set(m.msgId, (counts.get(m.msgId) ?? 0) + 1);
          if (m.queue.topic === t2) await gate; // processed across the reset, committed after it
        },
      });
    await waitFor(() => first.every((r) => counts.get(r.msgId) === 1), 'the first pass of the first topic');
    const second = await c.producer().sendBatch(t2, ['b0', 'b1', 'b2']);
    await waitFor(() => second.every((r) => counts.get(r.msgId) === 1), 'the second topic’s messages in processing');

    await c.admin().groups.resetOffsets(group, t1, 0);
    open();
    await waitFor(() => first.every((r) => (counts.get(r.msgId) ?? 0) >= 2), 'the second pass of the reset topic');
    for (const t of [t1, t2])
      await waitFor(async () => (await c.admin().groups.offsets(group, t)).totalLag === 0, `the commit of ${t}`);
    expect(second.map((r) => counts.get(r.msgId))).toEqual([1, 1, 1]);
  });
});
