import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { call, createTopic, pull, send, uniqueName, answering } from './helpers';
import { changedRows, dumpStorage } from './storage-dump';

const queueObject = (topic: string) => env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);
const groupObject = (group: string) => env.CONSUMER_GROUP.getByName(group);

/** A one-queue topic with three messages, and a member of a clustering group whose offset on the queue is committed. */
async function consumedQueue(prefix: string): Promise<{ topic: string; group: string; member: string }> {
  const topic = uniqueName(prefix);
  const group = uniqueName('GID_reads');
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  for (const body of ['a', 'b', 'c']) await send(topic, { body });
  const join = await call('POST', `/groups/${group}/members/c1/heartbeat`, {
    subscriptions: [{ topic, expression: '*' }],
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  expect(join.status).toBe(200);
  const member = `/groups/${group}/members/c1/queues/${topic}/broker-a/0/messages`;
  // The first pull takes the lock and stores the start; the commit stores an offset.
  expect((await call('GET', member)).status).toBe(200);
  expect((await call('GET', `${member}?commitOffset=1`)).status).toBe(200);
  return { topic, group, member };
}

describe('reads do not write', () => {
  it('a member pull without commitOffset, and a long-polling one, leave the queue and the group unchanged', async () => {
    const { topic, group, member } = await consumedQueue('ReadsMemberPull');
    const queueBefore = await dumpStorage(queueObject(topic));
    const groupBefore = await dumpStorage(groupObject(group));

    const pulled = await call('GET', member);
    expect(pulled.status).toBe(200);
    expect(pulled.body.messages.map((m: { body: string }) => m.body)).toEqual(['b', 'c']);
    expect(pulled.body.lock.durationMs).toBeGreaterThan(0);
    expect((await call('GET', `${member}?waitMs=50&offset=3`)).body.messages).toEqual([]);

    expect(changedRows(queueBefore, await dumpStorage(queueObject(topic)))).toEqual([]);
    expect(changedRows(groupBefore, await dumpStorage(groupObject(group)))).toEqual([]);
  });

  it('a plain pull, the offsets, the status and the traffic counts leave the queue unchanged', async () => {
    const { topic, group } = await consumedQueue('ReadsPull');
    const before = await dumpStorage(queueObject(topic));

    expect((await pull(topic, 'broker-a', 0, { offset: 0 })).messages).toHaveLength(3);
    expect((await pull(topic, 'broker-a', 0, { offset: 3, waitMs: 50 })).messages).toHaveLength(0);
    expect((await call('GET', `/groups/${group}/offsets?topic=${topic}`)).status).toBe(200);
    expect((await call('GET', `/topics/${topic}/status`)).status).toBe(200);
    // The counts of what was read are answered from memory: the member's pulls and this one.
    const stats = await call('GET', `/topics/${topic}/stats?minutes=5`);
    expect(stats.body.minutes.reduce((n: number, m: { out: number }) => n + m.out, 0)).toBe(3 + 2 + 3);

    expect(changedRows(before, await dumpStorage(queueObject(topic)))).toEqual([]);
  });

  it("a pop's long-poll wait writes nothing, not even the cursor of a group that never popped the queue", async () => {
    const topic = uniqueName('ReadsPopWait');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'x' });
    const before = await dumpStorage(queueObject(topic));
    const startFrom = { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' as const, consumeTimestamp: 0, subscribedAt: 0 };
    const ready = await runInDurableObject<MessageQueue, boolean>(queueObject(topic), (q) =>
      answering(q).waitPoppable({ group: uniqueName('GID_wait'), tags: null, orderly: false, startFrom }, 10),
    );
    expect(ready).toBe(true);
    expect(changedRows(before, await dumpStorage(queueObject(topic)))).toEqual([]);
  });

  it('counts of pulls wait in memory, and are written by the next append (in its row) or when the alarm runs', async () => {
    const topic = uniqueName('ReadsStats');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'x' });
    const minutes = () =>
      runInDurableObject(queueObject(topic), (_, state) =>
        state.storage.sql
          .exec<{ minute: number; msgs_in: number; msgs_out: number }>('SELECT * FROM mqs_minute')
          .toArray(),
      );
    const written = async () => (await minutes()).reduce((n, r) => n + r.msgs_out, 0);

    expect((await pull(topic, 'broker-a', 0, { offset: 0 })).messages).toHaveLength(1);
    expect(await written()).toBe(0);
    expect(await runDurableObjectAlarm(queueObject(topic))).toBe(true);
    expect(await written()).toBe(1);

    expect((await pull(topic, 'broker-a', 0, { offset: 0 })).messages).toHaveLength(1);
    const rowsBefore = (await minutes()).length;
    await send(topic, { body: 'y' });
    expect(await written()).toBe(2);
    expect((await minutes()).length).toBeLessThanOrEqual(rowsBefore + 1);
  });
});
