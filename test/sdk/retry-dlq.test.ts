/**
 * A message whose handler keeps failing goes through the group's retry topic
 * (reconsumeTimes 1, 2, ...) and, after maxReconsumeTimes, to its DLQ; the
 * admin lists it there and resends it to its topic, where it is consumed.
 * The tests' delay levels are short (level n = n × 200 ms).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReconsumeLater, type ConsumedMessage, type ErrorInfo, type PushConsumer } from '../../src/sdk/index';
import { setFault } from '../workers/ha-helpers';
import { deleteRowsThrough } from '../workers/log-helpers';
import { client, testConsumerOptions, uniqueName, waitFor, TRANSPORTS, useTransport } from './helpers';

const running: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe.each(TRANSPORTS)('retry and dead letters over %s', { timeout: 60_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('retries a failing message through the retry topic, then dead-letters it, and resends it from the DLQ', async () => {
    const c = client();
    const topic = uniqueName('Poison');
    const group = uniqueName('GID_dlq');
    await c.admin().topics.create(topic, { queueNums: 1 });
    const producer = c.producer();
    const poison = await producer.send(topic, { body: 'poison', tags: 'Poison', keys: 'poison-1' });
    const fine = await producer.send(topic, { body: 'fine' });

    const attempts: ConsumedMessage[] = [];
    const ok: ConsumedMessage[] = [];
    let healed = false;
    const consumer = c.pushConsumer({ ...testConsumerOptions(group), maxReconsumeTimes: 2 });
    running.push(consumer);
    await consumer.subscribe(topic).run({
      eachMessage: async (m) => {
        if (m.tags === 'Poison' && !healed) {
          attempts.push(m);
          throw new ReconsumeLater(); // RECONSUME_LATER, not reported as an error
        }
        ok.push(m);
      },
    });

    const dlq = await waitFor(async () => {
      const list = await c.admin().dlq.list(group);
      return list.total === 1 && list;
    }, 'the poison message in the DLQ');
    expect(attempts.map((m) => m.reconsumeTimes)).toEqual([0, 1, 2]);
    expect(attempts.every((m) => m.topic === topic && m.uniqueKey === poison.uniqueKey)).toBe(true);
    expect(attempts.map((m) => m.queue.topic)).toEqual([topic, `%RETRY%${group}`, `%RETRY%${group}`]);
    expect(attempts.slice(1).every((m) => m.originMsgId === poison.msgId)).toBe(true);
    expect(consumer.assignment().some((q) => q.topic === `%RETRY%${group}`)).toBe(true);
    expect(ok.map((m) => m.msgId)).toEqual([fine.msgId]);

    const [dead] = dlq.messages;
    expect(dead).toMatchObject({
      topic,
      tags: 'Poison',
      keys: ['poison-1'],
      reconsumeTimes: 3,
      originMsgId: poison.msgId,
    });
    expect(dead.queue.topic).toBe(`%DLQ%${group}`);
    expect(dead.text()).toBe('poison');

    healed = true;
    const resent = await c.admin().dlq.resend(group, dead.msgId);
    expect(resent).toMatchObject({ status: 'SEND_OK', topic: `%RETRY%${group}`, resentFrom: dead.msgId });
    const back = await waitFor(() => ok.find((m) => m.msgId === resent.msgId), 'the resent message');
    expect(back).toMatchObject({ topic, reconsumeTimes: 0 });
    expect(back.text()).toBe('poison');
    await expect(c.admin().dlq.resend(group, fine.msgId)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('resending a dead letter reaches only the group that dead-lettered it, not the other groups of the topic', async () => {
    const c = client();
    const topic = uniqueName('ResendOwner');
    const owner = uniqueName('GID_owner');
    const other = uniqueName('GID_other');
    await c.admin().topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const got: Record<string, string[]> = { [owner]: [], [other]: [] };
    let healed = false;
    const ownerConsumer = c.pushConsumer({ ...testConsumerOptions(owner), maxReconsumeTimes: 0 });
    const otherConsumer = c.pushConsumer(testConsumerOptions(other));
    running.push(ownerConsumer, otherConsumer);
    await ownerConsumer.subscribe(topic).run({
      eachMessage: (m) => {
        if (m.text() === 'x' && !healed) throw new ReconsumeLater(); // maxReconsumeTimes 0: straight to the DLQ
        got[owner].push(`${m.text()}#${m.reconsumeTimes}`);
      },
    });
    await otherConsumer
      .subscribe(topic)
      .run({ eachMessage: (m) => void got[other].push(`${m.text()}#${m.reconsumeTimes}`) });
    await c.producer().send(topic, 'x');
    const dlq = await waitFor(async () => {
      const list = await c.admin().dlq.list(owner);
      return list.total === 1 && list;
    }, "the message in the owner's DLQ");
    await waitFor(() => got[other].includes('x#0'), 'the other group consuming x');

    healed = true;
    const resent = await c.admin().dlq.resend(owner, dlq.messages[0].msgId);
    await waitFor(() => got[owner].includes('x#0'), 'the owner consuming the resent message');
    // A message sent after the resend: once the other group has it, it has read past anything the resend could have put on the topic.
    await c.producer().send(topic, 'after');
    await waitFor(
      () => got[other].includes('after#0') && got[owner].includes('after#0'),
      'both groups consuming the next message',
    );
    expect(got[other]).toEqual(['x#0', 'after#0']);
    expect(got[owner].sort()).toEqual(['after#0', 'x#0']);
    // It went through the owner's retry topic, with the original topic kept for the consumer.
    expect(resent).toMatchObject({
      status: 'SEND_OK',
      group: owner,
      topic: `%RETRY%${owner}`,
      resentFrom: dlq.messages[0].msgId,
    });
  });

  it('send-back after retention deleted the original: the consumer sends its own copy to the retry topic, and the queue moves on', async () => {
    const c = client();
    const topic = uniqueName('SendBackGone');
    const group = uniqueName('GID_gone');
    await c.admin().topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await c.producer().sendBatch(topic, [{ body: 'x', tags: 'T', keys: 'k-1', properties: { app: 'a' } }]);
    await c.producer().send(topic, 'y');
    const queue = env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);
    const seen: string[] = [];
    let retried: ConsumedMessage | undefined;
    const consumer = c.pushConsumer(testConsumerOptions(group));
    running.push(consumer);
    await consumer.subscribe(topic).run({
      eachMessage: async (m) => {
        seen.push(`${m.text()}@${m.queue.topic === topic ? 'topic' : 'retry'}#${m.reconsumeTimes}`);
        if (m.queue.topic !== topic) retried = m;
        if (m.text() === 'x' && m.queue.topic === topic) {
          // Retention deletes the original (offset 0) while its handler runs; then the handler fails.
          await runInDurableObject(queue, (_i, state) => {
            deleteRowsThrough(state.storage.sql, 0);
          });
          throw new ReconsumeLater({ delayLevel: 1 });
        }
      },
    });
    await waitFor(
      () => seen.includes('x@retry#1') || seen.filter((s) => s === 'x@topic#0').length >= 4,
      'x from the retry topic, or x retried in place 4 times',
    );
    expect(seen.filter((s) => s.startsWith('x@topic'))).toEqual(['x@topic#0']); // not retried in place
    expect(seen).toContain('x@retry#1');
    // The copy carries what the original did, with the retry properties.
    expect(retried).toMatchObject({ topic, tags: 'T', keys: ['k-1'], reconsumeTimes: 1 });
    expect(retried!.properties).toMatchObject({ app: 'a', RETRY_TOPIC: topic, RECONSUME_TIME: '1' });
    expect(retried!.originMsgId).not.toBe(retried!.msgId);
    // The group's offset on the topic moves past x.
    await waitFor(
      async () => (await c.admin().groups.lag(group)).queues.find((q) => q.topic === topic)?.offset === 2,
      'the commit past x and y',
    );
  });

  it("send-back with the original's master down: the consumer's copy goes to the retry topic on another broker", async () => {
    const c = client();
    const topic = uniqueName('SendBackDown');
    const group = uniqueName('GID_down');
    await c.admin().topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await c.producer().send(topic, { body: 'x', keys: 'k-2' });
    const seen: string[] = [];
    const consumer = c.pushConsumer(testConsumerOptions(group, []));
    running.push(consumer);
    try {
      await consumer.subscribe(topic).run({
        eachMessage: async (m) => {
          seen.push(`${m.text()}@${m.queue.brokerName}#${m.reconsumeTimes}`);
          if (m.queue.topic === topic) {
            await setFault('broker-a', true); // the original's master goes down while its handler runs
            throw new ReconsumeLater({ delayLevel: 1 });
          }
        },
      });
      await waitFor(
        () => seen.includes('x@broker-b#1') || seen.filter((s) => s === 'x@broker-a#0').length >= 3,
        'x from the retry topic, or x retried in place 3 times',
      );
      expect(seen).toEqual(['x@broker-a#0', 'x@broker-b#1']);
    } finally {
      await setFault('broker-a', false);
    }
  });

  it('reports handler errors to onError and retries them like RECONSUME_LATER', async () => {
    const c = client();
    const topic = uniqueName('Throws');
    const group = uniqueName('GID_throws');
    const errors: { err: unknown; info: ErrorInfo }[] = [];
    const consumer = c.pushConsumer(testConsumerOptions(group, errors));
    running.push(consumer);
    let calls = 0;
    await c.producer().send(topic, 'once');
    await consumer.subscribe(topic).run({
      eachMessage: () => {
        if (calls++ === 0) throw new Error('boom');
      },
    });
    await waitFor(() => calls >= 2, 'the retry');
    expect(errors.filter((e) => e.info.kind === 'handler').map((e) => (e.err as Error).message)).toEqual(['boom']);
  });

  it('orderly, by default: a head failing for longer than 16 retries stays at the head (no DLQ), shows in lag and stats, and is consumed in order once the handler recovers', async () => {
    const c = client();
    const topic = uniqueName('OrderlyOutage');
    const group = uniqueName('GID_orderly_outage');
    await c.admin().topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await c.producer().sendBatch(topic, ['a', 'head', 'b']);
    const order: string[] = [];
    let downstreamUp = false;
    // No maxReconsumeTimes anywhere: the group's default. A short suspension stands for the 1 s one.
    const consumer = c.pushConsumer({ ...testConsumerOptions(group), orderly: true, suspendMs: 5 });
    running.push(consumer);
    await consumer.subscribe(topic).run({
      eachMessage: (m) => {
        order.push(`${m.text()}#${m.reconsumeTimes}`);
        if (m.text() === 'head' && !downstreamUp) throw new ReconsumeLater(); // the downstream outage
      },
    });
    const headTries = () => order.filter((o) => o.startsWith('head#')).length;
    await waitFor(
      () => headTries() > 20 || order.some((o) => o.startsWith('b#')),
      'more than 20 tries of the head (or the message after it)',
    );
    expect(order.filter((o) => !o.startsWith('head#'))).toEqual(['a#0']); // nothing after the head was consumed
    // The stuck head shows: the group's committed offset stays at it (lag 2: head and b), and the consumer's stats count its failures.
    const lag = await waitFor(async () => {
      const l = await c.admin().groups.lag(group);
      const row = l.queues.find((q) => q.topic === topic);
      return row?.offset === 1 && l;
    }, 'the commit of the offset of the head');
    expect(lag.queues.find((q) => q.topic === topic)).toMatchObject({ offset: 1, maxOffset: 3, lag: 2 });
    const stuck = consumer.stats().queues.find((q) => q.queue.topic === topic)!;
    expect(stuck).toMatchObject({ commitOffset: 1, pending: 2 });
    expect(stuck.headFailures).toBeGreaterThan(16);
    expect(stuck.failingSince).toBeTypeOf('number');
    expect(consumer.stats().consumeFailed).toBeGreaterThan(16);

    downstreamUp = true;
    await waitFor(() => order.includes('b#0'), 'the message after the head');
    const tries = headTries();
    expect(order).toEqual(['a#0', ...Array.from({ length: tries }, (_, i) => `head#${i}`), 'b#0']);
    expect(consumer.stats().queues.find((q) => q.queue.topic === topic)).toMatchObject({
      headFailures: 0,
      failingSince: undefined,
    });
    expect((await c.admin().dlq.list(group)).total).toBe(0);
    await waitFor(
      async () => (await c.admin().groups.lag(group)).queues.find((q) => q.topic === topic)?.offset === 3,
      'the commit past b',
    );
  });

  it('dead-letters in place in orderly mode after maxReconsumeTimes, and the queue moves on', async () => {
    const c = client();
    const topic = uniqueName('OrderlyPoison');
    const group = uniqueName('GID_orderly_dlq');
    await c.admin().topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await c.producer().sendBatch(topic, ['a', 'poison', 'b']);
    const order: string[] = [];
    const consumer = c.pushConsumer({ ...testConsumerOptions(group), orderly: true, maxReconsumeTimes: 2 });
    running.push(consumer);
    await consumer.subscribe(topic).run({
      eachMessage: (m) => {
        order.push(`${m.text()}#${m.reconsumeTimes}`);
        if (m.text() === 'poison') throw new ReconsumeLater();
      },
    });
    await waitFor(() => order.includes('b#0'), 'the message after the poison one');
    expect(order).toEqual(['a#0', 'poison#0', 'poison#1', 'poison#2', 'b#0']);
    const dlq = await waitFor(async () => {
      const list = await c.admin().dlq.list(group);
      return list.total === 1 && list;
    }, 'the DLQ');
    expect(dlq.messages[0].text()).toBe('poison');
    // The retry topic exists (a CLUSTERING member's heartbeat creates it) but was never used.
    expect((await c.admin().topics.status(`%RETRY%${group}`)).queues.every((q) => q.maxOffset === 0)).toBe(true);
  });
});
