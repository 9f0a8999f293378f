/**
 * Retention (the `workers-ha` project: MAX_QUEUE_BYTES 256 KiB; broker-b's
 * deleteWhen is every hour, broker-a's the default "04"; fileReservedTime 72 h).
 * Messages are aged by rewriting their store time, and the queue's alarm is run
 * directly: no test waits for time to pass.
 */
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { eventually, queueCopy } from './ha-helpers';
import { call, createTopic, send, uniqueName, type Served } from './helpers';
import { oldestOffset, rewriteStoreTimes } from './log-helpers';

const HOUR = 3_600_000;
const CAP = 256 * 1024;

/** Moves the first `count` messages of a queue copy back by `ms` and forgets the last retention run. */
async function age(stub: DurableObjectStub<MessageQueue>, count: number, ms: number): Promise<void> {
  await stub.status(); // writes what an ASYNC_FLUSH broker still holds
  await runInDurableObject(stub, (_i, state) => {
    const sql = state.storage.sql;
    const min = oldestOffset(sql)!;
    rewriteStoreTimes(sql, min + count, (t) => t - ms);
    sql.exec('UPDATE mqret_stats SET last_run = 0');
  });
}

const runAlarm = (stub: Served<MessageQueue>) => runInDurableObject(stub, (instance: MessageQueue) => instance.alarm());

describe('retention', () => {
  it('at the deleteWhen hour deletes what is older than fileReservedTime; the min offset advances; a consumer behind it is corrected', async () => {
    const topic = uniqueName('Age');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await send(topic, { body: `r${i}`, keys: `key${i}` }));
    const member = `/groups/${group}/members/c1`;
    expect((await call('POST', `${member}/heartbeat`, { subscriptions: [{ topic }] })).status).toBe(200);
    expect(
      (await call('PUT', `/groups/${group}/offsets`, { topic, brokerName: 'broker-b', queueId: 0, offset: 1 })).status,
    ).toBe(200);
    const master = queueCopy(topic, 'broker-b', 0, 0);

    await age(master, 3, 73 * HOUR);
    await runAlarm(master);
    expect(await master.status()).toMatchObject({ minOffset: 3, maxOffset: 5 });
    expect((await call('GET', `/messages/${sent[0].msgId}`)).status).toBe(404);
    expect((await call('GET', `/messages/${sent[3].msgId}`)).body.body).toBe('r3');
    expect((await call('GET', `/topics/${topic}/messages?key=key1`)).body.messages).toEqual([]);
    const illegal = await call('GET', `/topics/${topic}/queues/broker-b/0/messages?offset=0`);
    expect(illegal.body).toMatchObject({ status: 'OFFSET_ILLEGAL', nextBeginOffset: 3, minOffset: 3, maxOffset: 5 });

    // The group's committed offset (1) is behind the min offset: OFFSET_ILLEGAL, then it is moved up to it.
    const behind = await call('GET', `${member}/queues/${topic}/broker-b/0/messages`);
    expect(behind.body).toMatchObject({ status: 'OFFSET_ILLEGAL', offset: 1, nextBeginOffset: 3, messages: [] });
    const lag = await call('GET', `/groups/${group}/lag`);
    const row = lag.body.queues.find((q: any) => q.topic === topic);
    expect(row).toMatchObject({
      offset: 3,
      minOffset: 3,
      maxOffset: 5,
      lag: 2,
      correction: { from: 1, to: 3, at: expect.any(Number) },
    });
    const offsets = await call('GET', `/groups/${group}/offsets?topic=${topic}`);
    expect(offsets.body.offsets[0].correction).toMatchObject({ from: 1, to: 3 });
    const next = await call('GET', `${member}/queues/${topic}/broker-b/0/messages`);
    expect(next.body.messages.map((m: any) => [m.body, m.queueOffset])).toEqual([
      ['r3', 3],
      ['r4', 4],
    ]);
  });

  it('never reuses an offset, even when it deleted every message and the object restarted', async () => {
    const topic = uniqueName('AllGone');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    for (let i = 0; i < 3; i++) await send(topic, { body: `g${i}` });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await age(master, 3, 100 * HOUR);
    await runAlarm(master);
    expect(await master.status()).toMatchObject({ minOffset: 3, maxOffset: 3 });
    expect(await master.storedBytes()).toBe(0);
    await evictDurableObject(env.MESSAGE_QUEUE.getByName(`${topic}/broker-b/0/0`)); // the bare stub: eviction does not take a served one
    expect(await send(topic, { body: 'after' })).toMatchObject({ queueOffset: 3 });
  });

  it('keeps messages outside the deleteWhen hour (broker-a deletes at 04 UTC only)', async () => {
    if (new Date().getUTCHours() === 4) return; // this test means the other 23 hours
    const topic = uniqueName('NotNow');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    for (let i = 0; i < 2; i++) await send(topic, { body: `n${i}` });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    await age(master, 2, 100 * HOUR);
    await runAlarm(master);
    expect(await master.status()).toMatchObject({ minOffset: 0, maxOffset: 2 });
    // The alarm is set for the next 04:00 UTC.
    const alarm = await runInDurableObject(master, (_i, state) => state.storage.getAlarm());
    expect(new Date(alarm!).getUTCHours()).toBe(4);
    expect(new Date(alarm!).getUTCMinutes()).toBe(0);
  });

  it('caps the storage of a queue object (MAX_QUEUE_BYTES), deleting the oldest first, on the master and on its slave', async () => {
    const topic = uniqueName('Cap');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const body = 'x'.repeat(16 * 1024);
    for (let batch = 0; batch < 4; batch++) {
      const res = await send(topic, {
        messages: Array.from({ length: 10 }, (_, i) => ({ body: `${batch * 10 + i}:${body}` })),
      });
      expect(res.results).toHaveLength(10);
    }
    for (const brokerId of [0, 1]) {
      const copy = queueCopy(topic, 'broker-a', 0, brokerId);
      await eventually(async () => {
        await runAlarm(copy);
        expect(await copy.storedBytes()).toBeLessThanOrEqual(CAP);
      });
      const status = await copy.status();
      expect(status.maxOffset).toBe(40);
      expect(status.minOffset).toBeGreaterThan(20);
      // What is left is the newest messages, contiguous, and nearly the cap's worth.
      const left = await copy.pull({ offset: status.minOffset, maxMessages: 100, tags: null, waitMs: 0 });
      expect(left.messages.map((m) => m.queueOffset)).toEqual(
        Array.from({ length: 40 - status.minOffset }, (_, i) => status.minOffset + i),
      );
      expect(await copy.storedBytes()).toBeGreaterThan(CAP - 2 * 17 * 1024);
    }
    const illegal = await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`);
    expect(illegal.body.status).toBe('OFFSET_ILLEGAL');
    expect(await send(topic, { body: 'next' })).toMatchObject({ queueOffset: 40 });
  });
});
