import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { FlaremqError, ReceivedMessage, hasCode, type SimpleConsumerOptions } from '../../src/sdk/index';
import { client, uniqueName, waitFor, workerFetch } from './helpers';

const queueObject = (topic: string, brokerName = 'broker-a', queueId = 0) =>
  env.MESSAGE_QUEUE.getByName(`${topic}/${brokerName}/${queueId}/0`);

/** Moves the group's in-flight messages `ms` earlier, as if that much time had passed (no test waits for an invisible time). */
async function ageInFlight(topic: string, group: string, ms: number): Promise<void> {
  await runInDurableObject(queueObject(topic), (_, state) => {
    state.storage.sql.exec('UPDATE mqp_inflight SET invisible_until = invisible_until - ? WHERE grp = ?', ms, group);
  });
}

/** A one-queue topic on broker-a and a group that pops it from its first offset. */
async function setup(prefix: string, options: Partial<SimpleConsumerOptions> = {}) {
  const c = client();
  const topic = uniqueName(prefix);
  const group = uniqueName('GID_simple');
  const admin = c.admin();
  await admin.topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  await admin.groups.configure(group, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  const consumer = c.simpleConsumer({ group, topic, waitMs: 0, ...options });
  return { c, topic, group, consumer, producer: c.producer(), admin };
}

const texts = (messages: ReceivedMessage[]) => messages.map((m) => m.text());

describe('simple consumer (pop)', { timeout: 60_000 }, () => {
  it('receives messages with receipt handles, keeps them invisible, and acks them', async () => {
    const { topic, group, consumer, producer } = await setup('SimplePop');
    const sent = [];
    for (const body of ['one', 'two', 'three'])
      sent.push(await producer.send(topic, { body, tags: 'TagA', keys: [`k-${body}`] }));

    const first = await consumer.receive({ maxMessages: 2, invisibleMs: 60_000 });
    expect(texts(first)).toEqual(['one', 'two']);
    expect(first[0]).toBeInstanceOf(ReceivedMessage);
    expect(first[0]).toMatchObject({
      msgId: sent[0].msgId,
      topic,
      group,
      queue: { topic, brokerName: 'broker-a', queueId: 0 },
      queueOffset: 0,
      tags: 'TagA',
      keys: ['k-one'],
      uniqueKey: sent[0].uniqueKey,
      reconsumeTimes: 0,
      receiptHandle: expect.stringMatching(/^03[0-9A-F]+$/),
    });
    expect(first[0].invisibleUntil).toBe(first[0].popTimestamp + 60_000);
    expect(first[0].firstPopTimestamp).toBe(first[0].popTimestamp);

    // In flight: the next receive gets what is left, then nothing.
    const rest = await consumer.receive();
    expect(texts(rest)).toEqual(['three']);
    expect(await consumer.receive()).toEqual([]);

    await first[0].ack();
    const results = await consumer.ack([first[1], rest[0].receiptHandle]);
    expect(results).toEqual([
      { receiptHandle: first[1].receiptHandle, acked: true },
      { receiptHandle: rest[0].receiptHandle, acked: true },
    ]);

    // A second ack of one handle (a retry after a lost answer) is acked again; a bad handle fails, with a typed error, on its own.
    const again = await consumer.ack([first[0].receiptHandle, 'not-a-handle']);
    expect(again.map((r) => r.acked)).toEqual([true, false]);
    expect(again[1].error).toBeInstanceOf(FlaremqError);
    expect(again[1].error).toMatchObject({ code: 'INVALID_RECEIPT_HANDLE', retriable: false });
    await first[0].ack();

    // Nothing comes back: every message was acked.
    await ageInFlight(topic, group, 3_600_000);
    expect(await consumer.receive()).toEqual([]);
  });

  it('long-polls: a receive waiting for a message gets one sent meanwhile', async () => {
    const { topic, consumer, producer } = await setup('SimpleWait');
    const waiting = consumer.receive({ waitMs: 10_000 });
    await producer.send(topic, 'late');
    const got = await waiting;
    expect(texts(got)).toEqual(['late']);
    await got[0].ack();
  });

  it('delivers a message again, reconsumeTimes + 1, when it is not acked in time; only the newest handle acks', async () => {
    const { topic, group, consumer, producer } = await setup('SimpleRedeliver', { invisibleMs: 10_000 });
    const sent = await producer.send(topic, 'again');
    const [first] = await consumer.receive();
    expect(first).toMatchObject({ msgId: sent.msgId, reconsumeTimes: 0 });
    expect(await consumer.receive()).toEqual([]);

    await ageInFlight(topic, group, 10_000);
    const [second] = await waitFor(async () => {
      const got = await consumer.receive();
      return got.length > 0 && got;
    }, 'the redelivery');
    expect(second).toMatchObject({ msgId: sent.msgId, reconsumeTimes: 1, firstPopTimestamp: first.firstPopTimestamp });
    expect(second.receiptHandle).not.toBe(first.receiptHandle);
    expect(second.text()).toBe('again');

    const err = await first.ack().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlaremqError);
    expect(hasCode(err, 'RECEIPT_HANDLE_EXPIRED')).toBe(true);
    await second.ack();
    await ageInFlight(topic, group, 3_600_000);
    expect(await consumer.receive()).toEqual([]);
  });

  it('changeInvisibleDuration replaces the receipt handle and moves the visibility', async () => {
    const { topic, group, consumer, producer } = await setup('SimpleInvisible', { invisibleMs: 10_000 });
    await producer.send(topic, 'slow job');
    const [m] = await consumer.receive();
    const oldHandle = m.receiptHandle;
    const oldUntil = m.invisibleUntil;

    const changed = await m.changeInvisibleDuration(3_600_000);
    expect(changed.receiptHandle).not.toBe(oldHandle);
    expect(m.receiptHandle).toBe(changed.receiptHandle);
    expect(m.invisibleUntil).toBe(changed.invisibleUntil);
    expect(m.invisibleUntil).toBeGreaterThan(oldUntil);
    // The same call by the old handle, as a retry after a lost answer sends it, gets the same answer.
    expect(await consumer.changeInvisibleDuration(oldHandle, 3_600_000)).toMatchObject({
      receiptHandle: changed.receiptHandle,
      invisibleUntil: changed.invisibleUntil,
    });

    // The first invisible time would have lapsed by now: the message stays invisible.
    await ageInFlight(topic, group, 60_000);
    expect(await consumer.receive()).toEqual([]);

    // The old handle no longer acks; the new one does.
    const [stale] = await consumer.ack(oldHandle);
    expect(stale.error?.code).toBe('RECEIPT_HANDLE_EXPIRED');
    await m.ack();

    // Through the consumer, by handle: a stale handle is refused with a typed error.
    await expect(consumer.changeInvisibleDuration(oldHandle, 20_000)).rejects.toMatchObject({
      code: 'RECEIPT_HANDLE_EXPIRED',
      status: 404,
    });
    await expect(consumer.changeInvisibleDuration(m.receiptHandle, 1)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('receives a resent dead letter of its topic again, shown under the original topic, and acks it', async () => {
    const { topic, group, consumer, producer, admin } = await setup('SimpleResend', { invisibleMs: 10_000 });
    await admin.groups.configure(group, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', maxReconsumeTimes: 0 });
    await producer.send(topic, { body: 'poison', tags: 'TagA' });
    expect(texts(await consumer.receive())).toEqual(['poison']);
    await ageInFlight(topic, group, 10_000);
    expect(await consumer.receive()).toEqual([]);
    const [dead] = (await admin.dlq.list(group)).messages;
    await admin.dlq.resend(group, dead.msgId);

    const [back] = await consumer.receive();
    expect([back.text(), back.topic, back.reconsumeTimes]).toEqual(['poison', topic, 0]);
    await back.ack();
    expect(await consumer.receive()).toEqual([]);
  });

  it('ordered pop: a sharding key waits for its previous message to be acked; other keys go on', async () => {
    const { topic, group, consumer, producer } = await setup('SimpleOrderly', { orderly: true, invisibleMs: 10_000 });
    for (const [key, body] of [
      ['order-1', 'a1'],
      ['order-2', 'b1'],
      ['order-1', 'a2'],
      ['order-2', 'b2'],
      ['order-1', 'a3'],
    ]) {
      await producer.send(topic, body, { shardingKey: key });
    }
    const heads = await consumer.receive();
    expect(texts(heads)).toEqual(['a1', 'b1']);
    expect(await consumer.receive()).toEqual([]);

    await heads[0].ack();
    expect(texts(await consumer.receive())).toEqual(['a2']);

    // b1 and a2 not acked: they come back (before b2 and a3) once their invisible time lapses.
    await ageInFlight(topic, group, 10_000);
    const redelivered = await consumer.receive();
    expect(texts(redelivered).sort()).toEqual(['a2', 'b1']);
    expect(redelivered.map((m) => m.reconsumeTimes)).toEqual([1, 1]);
    for (const m of redelivered) await m.ack();
    expect(texts(await consumer.receive()).sort()).toEqual(['a3', 'b2']);
  });

  it('acks again the handles that failed with a retriable error, and only those', async () => {
    const { topic, group, producer } = await setup('SimpleAckRetry');
    await producer.send(topic, 'a');
    await producer.send(topic, 'b');
    const bodies: string[][] = [];
    let failFirst = true;
    // A fetch that answers the first ack as if the second handle's queue object had not answered.
    const flaky = async (input: string, init?: RequestInit): Promise<Response> => {
      if (!input.endsWith('/ack')) return workerFetch(input, init);
      const handles = (JSON.parse(String(init?.body)) as { receiptHandles: string[] }).receiptHandles;
      bodies.push(handles);
      if (!failFirst) return workerFetch(input, init);
      failFirst = false;
      const real = (await (
        await workerFetch(input, { ...init, body: JSON.stringify({ receiptHandles: [handles[0]] }) })
      ).json()) as { results: unknown[] };
      const unavailable = {
        receiptHandle: handles[1],
        acked: false,
        error: { code: 'BROKER_UNAVAILABLE', message: 'no answer', retriable: true },
      };
      return Response.json({ group, acked: 1, results: [real.results[0], unavailable] });
    };
    const consumer = client({ fetch: flaky }).simpleConsumer({
      group,
      topic,
      waitMs: 0,
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
    });
    const got = await consumer.receive();
    expect(texts(got)).toEqual(['a', 'b']);
    const results = await consumer.ack(got);
    expect(results.map((r) => r.acked)).toEqual([true, true]);
    expect(bodies).toEqual([got.map((m) => m.receiptHandle), [got[1].receiptHandle]]);
  });

  it('refuses misuse before sending anything, and reports server errors typed', async () => {
    const c = client();
    expect(() => c.simpleConsumer({ topic: 'T' } as unknown as SimpleConsumerOptions)).toThrow(
      expect.objectContaining({ code: 'INVALID_GROUP_NAME' }),
    );
    expect(() => c.simpleConsumer({ group: 'G' } as unknown as SimpleConsumerOptions)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
    const consumer = c.simpleConsumer({ group: uniqueName('GID_x'), topic: uniqueName('Nope'), waitMs: 0 });
    await expect(consumer.receive()).rejects.toMatchObject({ code: 'TOPIC_NOT_EXIST', status: 404 });
    await expect(consumer.receive({ maxMessages: 33 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
