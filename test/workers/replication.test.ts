/**
 * Replicas (the `workers-ha` project: broker-a SYNC_MASTER and broker-b
 * ASYNC_MASTER, each with a slave, three NameServers; see vitest.config.ts).
 */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { forgetRoute } from '../../src/services/cluster';
import { drain, eventually, newMessage, queueCopy, setFault, shipNow } from './ha-helpers';
import { call, createTopic, expectError, send, uniqueName, served, type Served } from './helpers';

/** The message of the error a call fails with (awaited here: a stub's rejected promise must not be left unhandled). */
async function failure(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the call to fail');
}

const bodies = (messages: { body: Uint8Array }[]) => messages.map((m) => new TextDecoder().decode(m.body));

/** Every message of one copy of a queue, read straight from its object. */
async function copyContents(
  stub: Served<MessageQueue>,
): Promise<{ offsets: number[]; bodies: string[]; min: number; max: number }> {
  const status = await stub.status();
  const got = await stub.pull({ offset: status.minOffset, maxMessages: 1000, tags: null, waitMs: 0 });
  return {
    offsets: got.messages.map((m) => m.queueOffset),
    bodies: bodies(got.messages),
    min: status.minOffset,
    max: status.maxOffset,
  };
}

afterEach(async () => {
  // Every test leaves both groups up.
  for (const group of ['broker-a', 'broker-b']) await setFault(group, false);
});

describe('replicas', () => {
  it('every broker registers; topics exist once per broker id, the slaves opening their copies', async () => {
    const cluster = await call('GET', '/cluster');
    expect(
      cluster.body.brokerDatas.map((b: any) => [
        b.brokerName,
        b.brokers.map((x: any) => [x.brokerId, x.brokerRole, x.region]),
      ]),
    ).toEqual([
      [
        'broker-a',
        [
          [0, 'SYNC_MASTER', 'wnam'],
          [1, 'SLAVE', 'weur'],
        ],
      ],
      [
        'broker-b',
        [
          [0, 'ASYNC_MASTER', 'enam'],
          [1, 'SLAVE', 'apac'],
        ],
      ],
    ]);
    expect(cluster.body.nameServerCount).toBe(3);
    const topic = uniqueName('Copies');
    await createTopic(topic, { queueNums: 2 });
    for (const brokerName of ['broker-a', 'broker-b']) {
      for (const queueId of [0, 1]) {
        expect(await queueCopy(topic, brokerName, queueId, 1).status()).toMatchObject({ minOffset: 0, maxOffset: 0 });
      }
    }
    expect(await served(env.BROKER.getByName('broker-a/1')).getTopic(topic)).toEqual({
      topic,
      readQueueNums: 2,
      writeQueueNums: 2,
      perm: 6,
    });
  });

  it('SYNC_MASTER: a send is answered once the slave has stored it, at the same offset', async () => {
    const topic = uniqueName('Sync');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    for (let i = 0; i < 3; i++) {
      expect(await send(topic, { body: `s${i}`, keys: `k${i}` })).toMatchObject({
        status: 'SEND_OK',
        brokerName: 'broker-a',
        queueOffset: i,
      });
    }
    const batch = await send(topic, { messages: [{ body: 'b0' }, { body: 'b1' }] });
    expect(batch.results.map((r: any) => [r.status, r.queueOffset])).toEqual([
      ['SEND_OK', 3],
      ['SEND_OK', 4],
    ]);
    // No alarm was run: the slave had each message before its send was answered.
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    expect(await copyContents(slave)).toEqual({
      offsets: [0, 1, 2, 3, 4],
      bodies: ['s0', 's1', 's2', 'b0', 'b1'],
      min: 0,
      max: 5,
    });
    const master = await queueCopy(topic, 'broker-a', 0, 0).pull({ offset: 0, maxMessages: 10, tags: null, waitMs: 0 });
    const copy = await slave.pull({ offset: 0, maxMessages: 10, tags: null, waitMs: 0 });
    expect(copy.messages.map((m) => [m.uniqueKey, m.storeTimestamp, m.keys])).toEqual(
      master.messages.map((m) => [m.uniqueKey, m.storeTimestamp, m.keys]),
    );
    expect((await slave.queryByKey('k1', 0, Number.MAX_SAFE_INTEGER, 10)).map((m) => m.queueOffset)).toEqual([1]);
  });

  it('SYNC_MASTER: concurrent sends, committed in groups, are each answered once the slave has stored them', async () => {
    const topic = uniqueName('SyncGroup');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => master.putMessages([newMessage(`g${i}`)])));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill('SEND_OK'));
    // No alarm was run: the slave had every message before its send was answered.
    const slave = await copyContents(queueCopy(topic, 'broker-a', 0, 1));
    expect(slave.offsets).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(slave.bodies.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `g${i}`).sort());
    expect(answers.map((a) => a.results[0].queueOffset).sort((a, b) => a - b)).toEqual(slave.offsets);
  });

  it('SYNC_MASTER: SLAVE_NOT_AVAILABLE while the slave is down, the message kept on the master; the slave catches up', async () => {
    const topic = uniqueName('SyncDown');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'before' });
    await setFault('broker-a', true, [1]);
    const sent = await send(topic, { body: 'while down' });
    expect(sent).toMatchObject({ status: 'SLAVE_NOT_AVAILABLE', queueOffset: 1 });
    // A failed slave is not waited for again within 5 s: the next send answers at once.
    expect(await send(topic, { body: 'again' })).toMatchObject({ status: 'SLAVE_NOT_AVAILABLE', queueOffset: 2 });
    const stored = await call('GET', `/messages/${sent.msgId}`);
    expect(stored.body.body).toBe('while down');

    const master = queueCopy(topic, 'broker-a', 0, 0);
    const lag = await call('GET', '/brokers/broker-a/replication');
    expect(lag.body.replication.brokerRole).toBe('SYNC_MASTER');
    expect(lag.body.replication.slaves).toEqual([
      expect.objectContaining({ brokerId: 1, region: 'weur', lagEntries: 2, unavailableQueues: 1 }),
    ]);
    expect(lag.body.replication.slaves[0].lagSeconds).toBeGreaterThanOrEqual(0);
    expect(lag.body.replication.slaves[0].lastError).toContain('BROKER_UNAVAILABLE');

    await setFault('broker-a', false, [1]);
    await drain(master);
    expect((await copyContents(queueCopy(topic, 'broker-a', 0, 1))).bodies).toEqual(['before', 'while down', 'again']);
    expect(await send(topic, { body: 'after' })).toMatchObject({ status: 'SEND_OK', queueOffset: 3 });
    const brokers = await call('GET', '/brokers');
    const a0 = brokers.body.brokers.find((b: any) => b.config.brokerName === 'broker-a' && b.config.brokerId === 0);
    expect(a0.replication.slaves[0]).toMatchObject({ brokerId: 1, lagEntries: 0, lagSeconds: 0, unavailableQueues: 0 });
  });

  it('SYNC_MASTER: FLUSH_SLAVE_TIMEOUT when the slave is too slow (SLAVE_TIMEOUT_MS), the message kept on the master', async () => {
    const topic = uniqueName('SyncSlow');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // This topic's slave answers replication only once released (as one too slow to answer would).
    const replicate = MessageQueue.prototype.replicate;
    MessageQueue.prototype.replicate = async function (this: MessageQueue, batch) {
      if (batch.identity.topic === topic) await released;
      return replicate.call(this, batch);
    };
    try {
      const sent = await send(topic, { body: 'slow' });
      expect(sent).toMatchObject({ status: 'FLUSH_SLAVE_TIMEOUT', queueOffset: 0 });
      expect((await call('GET', `/messages/${sent.msgId}`)).body.body).toBe('slow');
    } finally {
      release();
      MessageQueue.prototype.replicate = replicate;
    }
    await drain(queueCopy(topic, 'broker-a', 0, 0));
    expect((await copyContents(slave)).bodies).toEqual(['slow']);
  });

  it('ASYNC_MASTER: answered at once; the master alarm ships batches; the lag is in the broker status', async () => {
    const topic = uniqueName('Async');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    await setFault('broker-b', true, [1]);
    for (let i = 0; i < 5; i++)
      expect(await send(topic, { body: `a${i}` })).toMatchObject({ status: 'SEND_OK', queueOffset: i });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await shipNow(master); // the slave is down: nothing shipped
    const brokers = await call('GET', '/brokers');
    const b0 = brokers.body.brokers.find((b: any) => b.config.brokerName === 'broker-b' && b.config.brokerId === 0);
    expect(b0.replication).toMatchObject({
      brokerRole: 'ASYNC_MASTER',
      slaves: [expect.objectContaining({ brokerId: 1, lagEntries: 5 })],
    });
    expect(b0.replication.slaves[0].lagSeconds).toBeGreaterThanOrEqual(0);

    await setFault('broker-b', false, [1]);
    await drain(master);
    expect(await copyContents(queueCopy(topic, 'broker-b', 0, 1))).toEqual({
      offsets: [0, 1, 2, 3, 4],
      bodies: ['a0', 'a1', 'a2', 'a3', 'a4'],
      min: 0,
      max: 5,
    });
  });

  it('consumer offsets replicate with the messages', async () => {
    const topic = uniqueName('Offsets');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    for (let i = 0; i < 4; i++) await send(topic, { body: `o${i}` });
    expect(
      (await call('PUT', `/groups/${group}/offsets`, { topic, brokerName: 'broker-b', queueId: 0, offset: 3 })).status,
    ).toBe(200);
    const master = queueCopy(topic, 'broker-b', 0, 0);
    const slave = queueCopy(topic, 'broker-b', 0, 1);
    await eventually(async () => {
      await shipNow(master);
      expect((await slave.getOffset(group)).offset).toBe(3);
    });
  });

  it('a slave is read-only: sends to it are refused with SLAVE_READ_ONLY', async () => {
    const topic = uniqueName('ReadOnly');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const slave = queueCopy(topic, 'broker-b', 0, 1);
    expect(await failure(() => slave.putMessages([newMessage('nope')]))).toMatch(
      /^\[SLAVE_READ_ONLY\] .*read-only; send to the group's master$/,
    );
    expect(await failure(() => slave.schedule([newMessage('nope')], Date.now() + 60_000))).toMatch(
      /^\[SLAVE_READ_ONLY\]/,
    );
    expect(await slave.status()).toMatchObject({ maxOffset: 0, pendingTimers: 0 });
  });

  it('deleting a topic drops the slaves’ copies too', async () => {
    const topic = uniqueName('DropCopies');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'x' });
    expect((await call('DELETE', `/topics/${topic}`)).status).toBe(200);
    expect(await failure(() => queueCopy(topic, 'broker-a', 0, 1).status())).toMatch(/^\[TOPIC_NOT_EXIST\]/);
    expect(await served(env.BROKER.getByName('broker-a/1')).getTopic(topic)).toBeNull();
  });
});

describe('failover to slaves', () => {
  it('consumers keep consuming a down master’s queues from its slave, from the replicated offsets, and go back when it returns', async () => {
    const topic = uniqueName('Failover');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const member = `/groups/${group}/members/c1`;
    const heartbeat = await call('POST', `${member}/heartbeat`, {
      subscriptions: [{ topic }],
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    });
    expect(heartbeat.body.queues.map((q: any) => `${q.topic}/${q.brokerName}/${q.queueId}`)).toContain(
      `${topic}/broker-b/0`,
    );
    for (let i = 0; i < 5; i++) await send(topic, { body: `m${i}` });
    const pullPath = `${member}/queues/${topic}/broker-b/0/messages?maxMessages=2`;
    const first = await call('GET', pullPath);
    expect(first.body.messages.map((m: any) => m.body)).toEqual(['m0', 'm1']);
    expect(
      (await call('PUT', `${member}/offsets`, { topic, offsets: [{ brokerName: 'broker-b', queueId: 0, offset: 2 }] }))
        .status,
    ).toBe(200);
    const master = queueCopy(topic, 'broker-b', 0, 0);
    const slave = queueCopy(topic, 'broker-b', 0, 1);
    await drain(master);
    await eventually(async () => {
      await shipNow(master);
      expect((await slave.getOffset(group)).offset).toBe(2);
    });

    // The master goes down: the consumer goes on from the slave, at the replicated offset.
    await setFault('broker-b', true, [0]);
    const fromSlave = await call('GET', `${member}/queues/${topic}/broker-b/0/messages?maxMessages=10`);
    expect(fromSlave.status).toBe(200);
    expect(fromSlave.body.messages.map((m: any) => [m.body, m.queueOffset])).toEqual([
      ['m2', 2],
      ['m3', 3],
      ['m4', 4],
    ]);
    // The message ids stay those the master gave.
    expect(fromSlave.body.messages[0].msgId).toBe(
      (await call('GET', `/topics/${topic}/queues/broker-b/0/messages?offset=2&maxMessages=1`)).body.messages[0].msgId,
    );
    expect(
      (await call('PUT', `${member}/offsets`, { topic, offsets: [{ brokerName: 'broker-b', queueId: 0, offset: 5 }] }))
        .status,
    ).toBe(200);
    expect((await slave.getOffset(group)).offset).toBe(5);
    // The failed request told the NameServers, which dropped the master at once (the slave keeps the group's route).
    const route = await call('GET', `/topics/${topic}/route`);
    expect(route.body.brokerDatas[0].brokers.map((b: any) => b.brokerId)).toEqual([1]);
    expect(route.body.queueDatas.map((q: any) => q.brokerName)).toEqual(['broker-b']);
    // Sends have nowhere to go: this topic lives only on broker-b, whose master is down.
    expectError(await call('POST', `/topics/${topic}/messages`, { body: 'nowhere' }), 503, 'BROKER_UNAVAILABLE');

    // The master returns: it registers at once and takes the offset committed on the slave.
    await setFault('broker-b', false, [0]);
    expect((await master.getOffset(group)).offset).toBe(5);
    forgetRoute(topic);
    const back = await call('GET', `/topics/${topic}/route`);
    expect(back.body.brokerDatas[0].brokers.map((b: any) => b.brokerId)).toEqual([0, 1]);
    // Nothing is delivered twice: the master serves from offset 5.
    const nothing = await call('GET', `${member}/queues/${topic}/broker-b/0/messages?maxMessages=10`);
    expect(nothing.body).toMatchObject({ status: 'NO_NEW_MSG', offset: 5, messages: [] });
    await send(topic, { body: 'm5' });
    const next = await call('GET', `${member}/queues/${topic}/broker-b/0/messages?maxMessages=10`);
    expect(next.body.messages.map((m: any) => [m.body, m.queueOffset])).toEqual([['m5', 5]]);
  });

  it('plain pulls are served by the slave while the master is down', async () => {
    const topic = uniqueName('PullFailover');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'p0' });
    await send(topic, { body: 'p1' });
    await setFault('broker-a', true, [0]);
    const got = await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`);
    expect(got.status).toBe(200);
    expect(got.body.messages.map((m: any) => m.body)).toEqual(['p0', 'p1']);
    const offsets = await call('GET', `/groups/${uniqueName('G')}/offsets?topic=${topic}`);
    expect(offsets.body.offsets).toEqual([
      expect.objectContaining({ brokerName: 'broker-a', queueId: 0, offset: -1, maxOffset: 2 }),
    ]);
  });

  it('a send fails over to the other group while one master is down, with no NameServer wait', async () => {
    const topic = uniqueName('SendFailover');
    await createTopic(topic, { queueNums: 2 });
    await setFault('broker-a', true, [0]);
    for (let i = 0; i < 6; i++)
      expect(await send(topic, { body: `${i}` })).toMatchObject({ status: 'SEND_OK', brokerName: 'broker-b' });
  });

  it('ships the rows of the log as stored: the slave holds the same rows, with the same index rows, as its master', async () => {
    const topic = uniqueName('Rows');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, {
      messages: Array.from({ length: 30 }, (_, i) => ({
        body: `r${i}`,
        tags: i % 2 ? 'A' : 'B',
        ...(i % 10 === 0 ? { keys: `k${i}` } : {}),
      })),
    });
    await send(topic, { body: 'single', uniqueKey: 'own-id' });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    await drain(master);
    const rows = (stub: Served<MessageQueue>) =>
      runInDurableObject(stub, (_i, state) => ({
        batches: state.storage.sql
          .exec<{ first_offset: number; count: number; data: ArrayBuffer }>(
            'SELECT first_offset, count, data FROM mq_batch ORDER BY first_offset',
          )
          .toArray()
          .map((r) => [r.first_offset, r.count, [...new Uint8Array(r.data)].join(',')]),
        index: state.storage.sql.exec('SELECT kind, key, queue_offset FROM mq_index ORDER BY kind, key').toArray(),
      }));
    const onMaster = await rows(master);
    expect(onMaster.batches.map(([first, count]) => [first, count])).toEqual([
      [0, 30],
      [30, 1],
    ]);
    expect(onMaster.index).toHaveLength(4);
    expect(await rows(slave)).toEqual(onMaster);
  });
});
