/** Consumption as an async iterator with explicit ack, in NATS's style. */
import { beforeEach, describe, expect, it } from 'vitest';
import { client, testConsumerOptions, uniqueName, TRANSPORTS, useTransport } from './helpers';

describe.each(TRANSPORTS)('async iterator over %s', { timeout: 60_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('delivers messages to for-await, redelivers a nacked one, and stops on break', async () => {
    const c = client();
    const topic = uniqueName('Iter');
    const group = uniqueName('GID_iter');
    await c.admin().topics.create(topic, { queueNums: 1 });
    const sent = await c.producer().sendBatch(
      topic,
      Array.from({ length: 6 }, (_, i) => `m${i}`),
    );

    const consumer = c.pushConsumer(testConsumerOptions(group)).subscribe(topic);
    const acked = new Set<string>();
    let nacked: string | undefined;
    for await (const m of consumer) {
      if (m.text() === 'm2' && !nacked) {
        nacked = m.msgId;
        m.nack(); // comes back through the retry topic
        continue;
      }
      acked.add(m.text());
      m.ack();
      if (acked.size === 6) break; // stops the consumer: commits, unlocks, leaves
    }
    expect([...acked].sort()).toEqual(sent.map((_, i) => `m${i}`));
    expect((await c.admin().groups.get(group)).members).toEqual([]);
    const offsets = await c.admin().groups.offsets(group, topic);
    expect(offsets.totalLag).toBe(0);
  });

  it('ends the loop when the consumer is stopped elsewhere, after the message in hand is acked', async () => {
    const c = client();
    const topic = uniqueName('IterStop');
    const group = uniqueName('GID_iter_stop');
    await c.producer().sendBatch(topic, ['x', 'y', 'z']);
    const consumer = c.pushConsumer({ ...testConsumerOptions(group), concurrency: 1 }).subscribe(topic);
    const seen: string[] = [];
    let stopping: Promise<void> | undefined;
    for await (const m of consumer.messages()) {
      seen.push(m.text());
      stopping ??= consumer.stop(); // waits for this message's ack
      m.ack();
    }
    await stopping;
    expect(seen).toEqual(['x']);
    const offsets = await c.admin().groups.offsets(group, topic);
    expect(offsets.totalLag).toBe(2); // x committed; y and z left for the next consumer
  });

  it('throws from the loop when the consumer cannot join', async () => {
    const c = client();
    const consumer = c
      .pushConsumer({ ...testConsumerOptions(uniqueName('GID_bad')), retry: { retries: 0 } })
      .subscribe('bad topic name');
    await expect(
      (async () => {
        for await (const m of consumer) m.ack();
      })(),
    ).rejects.toMatchObject({ code: 'INVALID_TOPIC_NAME' });
  });
});
