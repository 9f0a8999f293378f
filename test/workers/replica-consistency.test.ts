/**
 * Masters and slaves agree (the `workers-ha` project: broker-a SYNC_MASTER and
 * broker-b ASYNC_MASTER, each with a slave; see vitest.config.ts): reads go to a
 * slave only when the master is unreachable, the queue lock lives on the
 * master only, and a committed offset never moves back except by a reset, on
 * any copy, after any merge (docs/consuming.md, "Failover to slaves").
 */
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { forgetRoute } from '../../src/services/cluster';
import { sendFaults } from '../../src/services/latency-faults';
import { drain, eventually, queueCopy, setFault, shipNow } from './ha-helpers';
import { call, createTopic, expectError, send, uniqueName, served } from './helpers';

const member = (group: string, clientId: string) => `/groups/${group}/members/${clientId}`;

async function join(group: string, clientId: string, topic: string, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await call('POST', `${member(group, clientId)}/heartbeat`, {
    subscriptions: [{ topic }],
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    ...extra,
  });
  if (res.status !== 200) throw new Error(`heartbeat ${clientId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const memberPull = (group: string, clientId: string, topic: string, brokerName: string, query = '') =>
  call('GET', `${member(group, clientId)}/queues/${topic}/${brokerName}/0/messages?maxMessages=10${query}`);

const memberCommit = (group: string, clientId: string, topic: string, brokerName: string, offset: number) =>
  call('PUT', `${member(group, clientId)}/offsets`, { topic, offsets: [{ brokerName, queueId: 0, offset }] });

/** What one send that took `ms` teaches this isolate's latency fault tolerance (a slow SYNC_MASTER send: ≥ 550 ms). */
const slowSend = (brokerName: string, ms = 600) => sendFaults.update(brokerName, ms, false, Date.now());

/** Replication of `topic` fails until the returned function is called (a slave that lags). */
function blockReplication(topic: string): () => void {
  const replicate = MessageQueue.prototype.replicate;
  MessageQueue.prototype.replicate = async function (this: MessageQueue, batch) {
    if (batch.identity.topic === topic) throw new Error('simulated replication failure');
    return replicate.call(this, batch);
  };
  return () => (MessageQueue.prototype.replicate = replicate);
}

/** The three NameServers forget one broker, as after 120 s without its heartbeat. */
async function dropFromNameServers(brokerName: string, brokerId: number): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const ns = env.NAME_SERVER.getByName(`ns-${i}`);
    await runInDurableObject(ns, (_i, state) => {
      state.storage.sql.exec(
        'UPDATE ns_broker SET last_update = last_update - 200000 WHERE broker_name = ? AND broker_id = ?',
        brokerName,
        brokerId,
      );
    });
    await runDurableObjectAlarm(ns);
  }
}

const bodies = (res: { body: any }) => res.body.messages.map((m: any) => m.body);

afterEach(async () => {
  for (const group of ['broker-a', 'broker-b']) {
    sendFaults.remove(group);
    await setFault(group, false);
  }
});

describe('reads stay on the master unless it is unreachable', () => {
  it('one slow send does not give a queue a second owner: aa-new-owner waits for zz-old-owner’s master lock instead of locking the slave', async () => {
    const topic = uniqueName('TwoOwners');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'zz-old-owner', topic);
    for (let i = 0; i < 3; i++) await send(topic, { body: `m${i}` });
    const old = await memberPull(group, 'zz-old-owner', topic, 'broker-a');
    expect(bodies(old)).toEqual(['m0', 'm1', 'm2']);
    // aa-new-owner joins and takes the queue (averagely: the first clientId gets it); zz-old-owner still works on m0..m2.
    const joined = await join(group, 'aa-new-owner', topic);
    expect(
      joined.queues.filter((q: any) => q.topic === topic).map((q: any) => `${q.topic}/${q.brokerName}/${q.queueId}`),
    ).toEqual([`${topic}/broker-a/0`]);
    slowSend('broker-a');
    const next = await memberPull(group, 'aa-new-owner', topic, 'broker-a');
    expectError(next, 409, 'QUEUE_LOCKED');
    expect(await queueCopy(topic, 'broker-a', 0, 1).lockHolder(group)).toBeNull();
    expect(await queueCopy(topic, 'broker-a', 0, 0).lockHolder(group)).toMatchObject({ clientId: 'zz-old-owner' });
  });

  it('ASYNC_MASTER with a lagging slave: after one slow send the consumer’s commit is still taken by the master, and its offset never goes back to 0', async () => {
    const topic = uniqueName('Rewind');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    const slave = queueCopy(topic, 'broker-b', 0, 1);
    const unblock = blockReplication(topic);
    try {
      await join(group, 'c1', topic);
      for (let i = 0; i < 5; i++) await send(topic, { body: `m${i}` });
      const first = await memberPull(group, 'c1', topic, 'broker-b');
      expect(bodies(first)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      expect((await memberCommit(group, 'c1', topic, 'broker-b', 5)).status).toBe(200);
      slowSend('broker-b');
      // The SDK's next steps: a pull piggybacking the commit, then a commit of where the pull said to go on.
      const again = await memberPull(group, 'c1', topic, 'broker-b', '&offset=5&commitOffset=5');
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ status: 'NO_NEW_MSG', nextBeginOffset: 5, messages: [] });
      expect((await memberCommit(group, 'c1', topic, 'broker-b', again.body.nextBeginOffset)).status).toBe(200);
    } finally {
      unblock();
    }
    await drain(master);
    await shipNow(master);
    expect((await master.getOffset(group)).offset).toBe(5);
    expect((await slave.getOffset(group)).offset).toBe(5);
    expect(await memberPull(group, 'c1', topic, 'broker-b')).toMatchObject({
      body: { status: 'NO_NEW_MSG', offset: 5, messages: [] },
    });
  });
});

describe('a committed offset never moves back except by a reset', () => {
  it('a lagging slave answers a pull past its max offset with “no new message” at the same offset, not with its max offset', async () => {
    const topic = uniqueName('LaggingPull');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    await join(group, 'c1', topic);
    await send(topic, { body: 'm0' });
    await send(topic, { body: 'm1' });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await drain(master);
    const unblock = blockReplication(topic);
    try {
      for (let i = 2; i < 5; i++) await send(topic, { body: `m${i}` });
      expect(bodies(await memberPull(group, 'c1', topic, 'broker-b'))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      await setFault('broker-b', true, [0]);
      const fromSlave = await memberPull(group, 'c1', topic, 'broker-b', '&offset=5');
      expect(fromSlave.body).toMatchObject({ status: 'NO_NEW_MSG', nextBeginOffset: 5, messages: [] });
    } finally {
      unblock();
    }
  });

  it('the master keeps its newer offset over an older one committed on a slave while it was down (no last-writer-wins going back)', async () => {
    const topic = uniqueName('MergeBack');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    const slave = queueCopy(topic, 'broker-b', 0, 1);
    await join(group, 'c1', topic);
    for (let i = 0; i < 6; i++) await send(topic, { body: `m${i}` });
    expect((await memberCommit(group, 'c1', topic, 'broker-b', 2)).status).toBe(200);
    await drain(master);
    await shipNow(master);
    expect((await slave.getOffset(group)).offset).toBe(2);
    const unblock = blockReplication(topic);
    try {
      expect((await memberCommit(group, 'c1', topic, 'broker-b', 5)).status).toBe(200); // not shipped: the slave lags
      await setFault('broker-b', true, [0]);
      // A commit made later on the slave, lower than what the master has.
      expect((await memberCommit(group, 'c1', topic, 'broker-b', 3)).status).toBe(200);
      expect((await slave.getOffset(group)).offset).toBe(3);
      // A stray lower commit does not move the slave back either.
      const lower = await memberCommit(group, 'c1', topic, 'broker-b', 1);
      expect(lower.body.offsets[0].offset).toBe(3);
    } finally {
      unblock();
    }
    await setFault('broker-b', false, [0]);
    await drain(master);
    await shipNow(master);
    expect((await master.getOffset(group)).offset).toBe(5);
    expect((await slave.getOffset(group)).offset).toBe(5);
  });

  it('a reset moves the offset back on the master and on the slave, and a slave’s older commit does not undo it', async () => {
    const topic = uniqueName('ResetBack');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    const slave = queueCopy(topic, 'broker-b', 0, 1);
    await join(group, 'c1', topic);
    for (let i = 0; i < 4; i++) await send(topic, { body: `m${i}` });
    expect((await memberCommit(group, 'c1', topic, 'broker-b', 4)).status).toBe(200);
    await drain(master);
    await shipNow(master);
    expect((await slave.getOffset(group)).offset).toBe(4);
    expect((await call('POST', `/groups/${group}/offsets/reset`, { topic, timestamp: 0 })).status).toBe(200);
    await shipNow(master);
    expect((await master.getOffset(group)).offset).toBe(0);
    expect((await slave.getOffset(group)).offset).toBe(0);
  });

  it('commits made on a slave while the route lacked the master reach the master at once, without waiting for its next batch', async () => {
    const topic = uniqueName('IdleMaster');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    await join(group, 'c1', topic);
    for (let i = 0; i < 4; i++) await send(topic, { body: `m${i}` });
    expect(bodies(await memberPull(group, 'c1', topic, 'broker-a'))).toEqual(['m0', 'm1', 'm2', 'm3']);
    await drain(master);
    try {
      await dropFromNameServers('broker-a', 0);
      forgetRoute(topic);
      expect(
        (await call('GET', `/topics/${topic}/route`)).body.brokerDatas[0].brokers.map((b: any) => b.brokerId),
      ).toEqual([1]);
      const committed = await memberCommit(group, 'c1', topic, 'broker-a', 4);
      expect(committed.status).toBe(200);
      expect((await queueCopy(topic, 'broker-a', 0, 1).getOffset(group)).offset).toBe(4);
    } finally {
      await served(env.BROKER.getByName('broker-a/0')).registerAll();
      forgetRoute(topic);
    }
    // The master was never down, and nothing was sent since: it has the slave's commit all the same.
    await eventually(async () => expect((await master.getOffset(group)).offset).toBe(4), 40);
    expect(await memberPull(group, 'c1', topic, 'broker-a')).toMatchObject({
      body: { status: 'NO_NEW_MSG', offset: 4, messages: [] },
    });
  });

  it('a slave whose push of offsets failed retries from its alarm until the master takes them', async () => {
    const topic = uniqueName('PushRetry');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    for (let i = 0; i < 3; i++) await send(topic, { body: `m${i}` });
    await drain(master);
    const take = MessageQueue.prototype.takeSlaveOffsets;
    MessageQueue.prototype.takeSlaveOffsets = function () {
      throw new Error('simulated unreachable master');
    };
    try {
      expect((await slave.commitOffset(group, 3)).offset).toBe(3);
      await eventually(async () => {
        const failed = await runInDurableObject(slave, (_i, state) =>
          state.storage.sql
            .exec<{ failed_at: number }>('SELECT failed_at FROM mqr_replica WHERE broker_id = 0')
            .toArray(),
        );
        expect(failed[0]?.failed_at).toBeGreaterThan(0);
      }, 40);
      expect((await master.getOffset(group)).offset).toBe(-1);
    } finally {
      MessageQueue.prototype.takeSlaveOffsets = take;
    }
    // As if REPLICA_RETRY_MS had passed: the slave's alarm pushes again.
    await runInDurableObject(slave, (_i, state) => {
      state.storage.sql.exec('UPDATE mqr_replica SET failed_at = failed_at - 60000 WHERE broker_id = 0');
    });
    await runDurableObjectAlarm(slave);
    expect((await master.getOffset(group)).offset).toBe(3);
  });
});

describe('the queue lock lives on the master only', () => {
  it('an unlock while this isolate’s latency marks avoid the master releases the master’s lock: the next owner pulls at once', async () => {
    const topic = uniqueName('UnlockCopy');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'zz-old-owner', topic);
    await send(topic, { body: 'm0' });
    expect(bodies(await memberPull(group, 'zz-old-owner', topic, 'broker-a'))).toEqual(['m0']);
    await join(group, 'aa-new-owner', topic);
    slowSend('broker-a');
    const unlocked = await call('DELETE', `${member(group, 'zz-old-owner')}/queues/${topic}/broker-a/0/lock`);
    expect(unlocked.body).toMatchObject({ released: true });
    expect(bodies(await memberPull(group, 'aa-new-owner', topic, 'broker-a'))).toEqual(['m0']);
  });

  it('a member consuming from the slave while the master is down takes no lock there: after it leaves, the next owner is not kept waiting 60 s', async () => {
    const topic = uniqueName('SlaveLock');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'zz-old-owner', topic);
    await send(topic, { body: 'm0' });
    await setFault('broker-a', true, [0]);
    expect(bodies(await memberPull(group, 'zz-old-owner', topic, 'broker-a'))).toEqual(['m0']);
    expect(await queueCopy(topic, 'broker-a', 0, 1).lockHolder(group)).toBeNull();
    expect((await call('DELETE', member(group, 'zz-old-owner'))).status).toBe(200);
    await join(group, 'aa-new-owner', topic);
    const next = await memberPull(group, 'aa-new-owner', topic, 'broker-a');
    expect(next.status).toBe(200);
    expect(bodies(next)).toEqual(['m0']);
  });

  it('orderly consumption pauses while the master is down rather than lock the slave’s copy, and resumes on the master', async () => {
    const topic = uniqueName('OrderlyPause');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'c1', topic, { consumeOrderly: true });
    await send(topic, { body: 'm0' });
    await setFault('broker-a', true, [0]);
    expectError(await memberPull(group, 'c1', topic, 'broker-a'), 503, 'BROKER_UNAVAILABLE');
    expect(await queueCopy(topic, 'broker-a', 0, 1).lockHolder(group)).toBeNull();
    await setFault('broker-a', false, [0]);
    forgetRoute(topic);
    expect(bodies(await memberPull(group, 'c1', topic, 'broker-a'))).toEqual(['m0']);
  });
});

describe('slaves hold what the master holds', () => {
  it('a topic deleted and re-created while its slave missed the delete: the slave drops the old messages and offsets, and serves only the new ones on failover', async () => {
    const topic = uniqueName('Recreated');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'c1', topic);
    for (let i = 0; i < 3; i++) await send(topic, { body: `old${i}` });
    expect((await memberCommit(group, 'c1', topic, 'broker-a', 2)).status).toBe(200);
    await drain(queueCopy(topic, 'broker-a', 0, 0));
    await shipNow(queueCopy(topic, 'broker-a', 0, 0));
    await setFault('broker-a', true, [1]);
    expect((await call('DELETE', `/topics/${topic}`)).status).toBe(200);
    await setFault('broker-a', false, [1]);
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'new' });
    await drain(queueCopy(topic, 'broker-a', 0, 0));
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    expect((await slave.getOffset(group)).offset).toBe(-1);
    await setFault('broker-a', true, [0]);
    forgetRoute(topic);
    // The old life's offsets 0..2 are gone (offsets are never reused: the new life starts at 3).
    const old = await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`);
    expect(old.body).toMatchObject({ status: 'OFFSET_ILLEGAL', messages: [], minOffset: 3, nextBeginOffset: 3 });
    const fromSlave = await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=3`);
    expect(fromSlave.body.messages.map((m: any) => m.body)).toEqual(['new']);
  });

  it('SYNC_MASTER: a committed transactional message is answered once the slave has it, as a send is', async () => {
    const topic = uniqueName('TxSync');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const half = await send(topic, { body: 'paid', transaction: { producerGroup: uniqueName('PG') } });
    // This topic's alarms do nothing: only the commit itself can have shipped the message.
    const alarm = MessageQueue.prototype.alarm;
    MessageQueue.prototype.alarm = async function (this: MessageQueue) {
      if ((this as unknown as { identity: { topic: string } | null }).identity?.topic !== topic)
        return alarm.call(this);
    };
    try {
      const committed = await call('POST', `/transactions/${half.transactionHandle}/commit`);
      expect(committed.body).toMatchObject({ status: 'COMMITTED', queueOffset: 0 });
      expect(await queueCopy(topic, 'broker-a', 0, 1).status()).toMatchObject({ maxOffset: 1 });
    } finally {
      MessageQueue.prototype.alarm = alarm;
    }
  });
});
