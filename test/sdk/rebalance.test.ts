/**
 * Rebalancing 1 → 3 → 2 members on an 8-queue topic while messages keep
 * coming: after each step every queue is owned by exactly one live member (as
 * the members themselves and the group see it), no message is lost
 * (redelivery is allowed) and no message is processed by two members at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../src/sdk/index';
import { client, sleep, testConsumerOptions, uniqueName, waitFor, TRANSPORTS, useTransport } from './helpers';

const running: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe.each(TRANSPORTS)('rebalance over %s', { timeout: 120_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('keeps every queue owned by exactly one live member through 1 → 3 → 2, losing nothing', async () => {
    const c = client();
    const admin = c.admin();
    const topic = uniqueName('Rebalance');
    const group = uniqueName('GID_rebalance');
    await admin.topics.create(topic, { queueNums: 4 }); // 4 on each broker group: 8 queues
    const allQueues = (await admin.topics.status(topic)).queues
      .map((q) => `${topic}/${q.brokerName}/${q.queueId}`)
      .sort();
    expect(allQueues).toHaveLength(8);

    const processed = new Map<string, number>(); // uniqueKey -> times processed
    const inFlight = new Map<string, string>(); // msgId -> clientId processing it now
    const overlaps: string[] = [];
    const errors: unknown[] = [];
    const start = async () => {
      const consumer = c.pushConsumer({
        ...testConsumerOptions(group),
        onError: (err, info) => info.kind !== 'handler' && errors.push(err),
      });
      running.push(consumer);
      await consumer.subscribe(topic).run({
        eachMessage: async (m) => {
          const other = inFlight.get(m.msgId);
          if (other && other !== consumer.clientId) overlaps.push(`${m.msgId} by ${other} and ${consumer.clientId}`);
          inFlight.set(m.msgId, consumer.clientId);
          await sleep(Math.random() * 5);
          inFlight.delete(m.msgId);
          processed.set(m.uniqueKey, (processed.get(m.uniqueKey) ?? 0) + 1);
        },
      });
      return consumer;
    };

    const sent: string[] = [];
    const producer = c.producer();
    const sendSome = async (n: number, label: string) => {
      for (let i = 0; i < n; i += 10) {
        const results = await producer.sendBatch(
          topic,
          Array.from({ length: 10 }, (_, j) => `${label}-${i + j}`),
        );
        sent.push(...results.map((r) => r.uniqueKey));
      }
    };

    /** Waits until the live members' own assignments partition the 8 queues and match the group's view. */
    const expectPartition = async (members: PushConsumer[]) => {
      await waitFor(async () => {
        const info = await admin.groups.get(group);
        if (info.members.length !== members.length) return false;
        const owned = members.flatMap((m) =>
          m
            .assignment()
            .filter((q) => q.topic === topic)
            .map((q) => `${q.topic}/${q.brokerName}/${q.queueId}`),
        );
        if (owned.length !== 8 || JSON.stringify([...owned].sort()) !== JSON.stringify(allQueues)) return false;
        return members.every((m) => {
          const server = info.members.find((s) => s.clientId === m.clientId);
          const mine = m
            .assignment()
            .map((q) => `${q.topic}/${q.brokerName}/${q.queueId}`)
            .sort();
          return (
            server &&
            JSON.stringify(server.queues.map((q) => `${q.topic}/${q.brokerName}/${q.queueId}`).sort()) ===
              JSON.stringify(mine)
          );
        });
      }, `a partition of the 8 queues over ${members.length} member(s)`);
      for (const m of members) expect(m.assignment().filter((q) => q.topic === topic).length).toBeGreaterThan(0);
    };

    // One member.
    const first = await start();
    await expectPartition([first]);
    await sendSome(60, 'one');

    // Three members: the new ones wait for the first to hand its queues over.
    const second = await start();
    const third = await start();
    await sendSome(60, 'three-a');
    await expectPartition([first, second, third]);
    const sizes = [first, second, third].map((m) => m.assignment().filter((q) => q.topic === topic).length);
    expect(sizes.sort()).toEqual([2, 3, 3]); // AVG
    await sendSome(60, 'three-b');

    // Two members: the first leaves gracefully while messages keep coming.
    const sending = sendSome(60, 'two');
    await first.stop();
    await sending;
    await expectPartition([second, third]);
    await sendSome(40, 'after');

    await waitFor(() => sent.every((key) => processed.has(key)), `all ${sent.length} messages processed`, 60_000);
    expect(overlaps).toEqual([]);
    expect(errors).toEqual([]);
    const redelivered = [...processed.values()].filter((n) => n > 1).length;
    expect(redelivered).toBeLessThan(sent.length); // at least once; a few redeliveries are allowed
  });
});
