import { env } from 'cloudflare:workers';
import {
  createExecutionContext,
  evictDurableObject,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { app } from '../../src/workers/app';
import { forgetRoute } from '../../src/services/cluster';
import { sendFaults } from '../../src/services/latency-faults';
import { setFault } from './ha-helpers';
import { call, createTopic, expectError, maxOffsets, send, uniqueName, served } from './helpers';

/** Makes the queue objects of broker-a fail every append, as a broker that is down would. */
async function breakBrokerA(topic: string, queues: number): Promise<DurableObjectStub<MessageQueue>[]> {
  const stubs = Array.from({ length: queues }, (_, q) => env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/${q}/0`));
  for (const stub of stubs) {
    await runInDurableObject(stub, (instance: MessageQueue) => {
      // The queue's log: every write fails, as the storage of a broker that is down would.
      (instance as unknown as { log: { insert: () => never } }).log.insert = () => {
        throw new Error('simulated storage failure');
      };
    });
  }
  return stubs;
}

describe('send failover', () => {
  it('retries a failed round-robin send on another broker group', async () => {
    const topic = uniqueName('Failover');
    await createTopic(topic, { queueNums: 2 });
    const stubs = await breakBrokerA(topic, 2);
    for (let i = 0; i < 8; i++) {
      const sent = await send(topic, { body: `m${i}` });
      expect(sent).toMatchObject({ status: 'SEND_OK', brokerName: 'broker-b' });
    }
    for (const stub of stubs) await evictDurableObject(stub);
    const offsets = await maxOffsets(topic);
    expect(offsets['broker-a/0'] + offsets['broker-a/1']).toBe(0);
    expect(offsets['broker-b/0'] + offsets['broker-b/1']).toBe(8);
  });

  it('answers 503 BROKER_UNAVAILABLE, retriable, for an ordered send whose queue fails, and reports nothing as sent', async () => {
    const topic = uniqueName('FailoverOrdered');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const stubs = await breakBrokerA(topic, 1);
    const res = await call('POST', `/topics/${topic}/messages`, { body: 'ordered', shardingKey: 'order-1' });
    expectError(res, 503, 'BROKER_UNAVAILABLE');
    expect(res.body.error.retriable).toBe(true);
    const explicit = await call('POST', `/topics/${topic}/messages`, {
      body: 'x',
      queue: { brokerName: 'broker-a', queueId: 0 },
    });
    expectError(explicit, 503, 'BROKER_UNAVAILABLE');
    for (const stub of stubs) await evictDurableObject(stub);
    expect(await maxOffsets(topic)).toEqual({ 'broker-a/0': 0 });
    expect((await send(topic, { body: 'ok again', shardingKey: 'order-1' })).queueOffset).toBe(0);
  });

  it('gives up after two retries when every group fails', async () => {
    const topic = uniqueName('FailoverAll');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const stubs = await breakBrokerA(topic, 1);
    expectError(await call('POST', `/topics/${topic}/messages`, { body: 'nowhere' }), 503, 'BROKER_UNAVAILABLE');
    for (const stub of stubs) await evictDurableObject(stub);
  });
});

const nameServers = () => [env.NAME_SERVER.getByName('ns-0'), env.NAME_SERVER.getByName('ns-1')];

/** The brokers of `brokerName` each NameServer lists, as "ns: ids". */
async function listed(brokerName: string): Promise<number[][]> {
  return Promise.all(
    nameServers().map(async (ns) =>
      ((await served(ns).getClusterInfo()).brokerDatas.find((b) => b.brokerName === brokerName)?.brokers ?? []).map(
        (b) => b.brokerId,
      ),
    ),
  );
}

/** Counts putMessages calls per broker group for one topic (prototype patch; restored by the returned function). */
function countPuts(topic: string): { counts: Map<string, number>; restore: () => void } {
  const counts = new Map<string, number>();
  const original = MessageQueue.prototype.putMessages;
  MessageQueue.prototype.putMessages = function (this: MessageQueue, messages) {
    const id = (this as unknown as { identity: { topic: string; brokerName: string } | null }).identity;
    if (id?.topic === topic) counts.set(id.brokerName, (counts.get(id.brokerName) ?? 0) + 1);
    return original.call(this, messages);
  };
  return { counts, restore: () => (MessageQueue.prototype.putMessages = original) };
}

describe('fault injection and failover', () => {
  // Each test starts with this isolate's fault-tolerance marks cleared (earlier tests failed broker-a on purpose).
  beforeEach(() => {
    for (const group of ['broker-a', 'broker-b']) sendFaults.remove(group);
  });

  it('a group taken down stops serving; the first failed send makes the NameServers drop it at once; it comes back when restored', async () => {
    const topic = uniqueName('FaultSwitch');
    await createTopic(topic, { queueNums: 2 });
    expect(await listed('broker-a')).toEqual([[0], [0]]);
    try {
      const down = await setFault('broker-a', true);
      expect(down.brokers).toEqual([
        expect.objectContaining({ faultInjection: { down: true, since: expect.any(Number) } }),
      ]);
      const brokers = await call('GET', '/brokers');
      expect(brokers.body.brokers.find((b: any) => b.config.brokerName === 'broker-a').faultInjection.down).toBe(true);
      // Its queues refuse requests, as a crashed broker's would.
      expectError(await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`), 503, 'BROKER_UNAVAILABLE');
      // Sends go to broker-b; the failed attempt reported broker-a, which did not answer the NameServers' probe.
      for (let i = 0; i < 6; i++)
        expect(await send(topic, { body: `${i}` })).toMatchObject({ status: 'SEND_OK', brokerName: 'broker-b' });
      expect(await listed('broker-a')).toEqual([[], []]);
      const route = await call('GET', `/topics/${topic}/route`);
      expect(route.body.queueDatas.map((q: any) => q.brokerName)).toEqual(['broker-b']);
      // A down broker does not heartbeat, even from its alarm.
      await runDurableObjectAlarm(env.BROKER.getByName('broker-a/0'));
      expect(await listed('broker-a')).toEqual([[], []]);
    } finally {
      await setFault('broker-a', false);
    }
    // Back up: registered again at once, routes and sends as before.
    expect(await listed('broker-a')).toEqual([[0], [0]]);
    forgetRoute(topic);
    const back = await call('GET', `/topics/${topic}/route`);
    expect(back.body.queueDatas.map((q: any) => q.brokerName)).toEqual(['broker-a', 'broker-b']);
    expect(await send(topic, { body: 'a again', queue: { brokerName: 'broker-a', queueId: 0 } })).toMatchObject({
      status: 'SEND_OK',
      queueOffset: 0,
    });
  });

  it('without any request, the NameServers drop a down group after 120 s of silence', async () => {
    await call('GET', '/cluster');
    try {
      await setFault('broker-b', true);
      for (const ns of nameServers()) {
        await runInDurableObject(ns, (_i, state) => {
          state.storage.sql.exec(
            "UPDATE ns_broker SET last_update = last_update - 119000 WHERE broker_name = 'broker-b'",
          );
        });
        await runDurableObjectAlarm(ns);
      }
      expect(await listed('broker-b')).toEqual([[0], [0]]);
      for (const ns of nameServers()) {
        await runInDurableObject(ns, (_i, state) => {
          state.storage.sql.exec(
            "UPDATE ns_broker SET last_update = last_update - 2000 WHERE broker_name = 'broker-b'",
          );
        });
        await runDurableObjectAlarm(ns);
      }
      expect(await listed('broker-b')).toEqual([[], []]);
    } finally {
      await setFault('broker-b', false);
    }
    expect(await listed('broker-b')).toEqual([[0], [0]]);
  });

  it('a NameServer keeps a broker that a client reports but that answers its probe', async () => {
    await call('GET', '/cluster');
    expect(await served(nameServers()[0]).reportUnreachable('broker-a', 0)).toBe(false);
    expect(await listed('broker-a')).toEqual([[0], [0]]);
  });

  it('latency fault tolerance: after a failure the group is avoided for a while, without trying it again', async () => {
    const topic = uniqueName('Avoid');
    await createTopic(topic, { queueNums: 2 });
    const puts = countPuts(topic);
    try {
      await setFault('broker-a', true, [0]);
      for (let i = 0; i < 8; i++) expect(await send(topic, { body: `${i}` })).toMatchObject({ brokerName: 'broker-b' });
      // At most one attempt reached broker-a: after it failed the group was avoided.
      expect(puts.counts.get('broker-a') ?? 0).toBeLessThanOrEqual(1);
      expect(puts.counts.get('broker-b')).toBe(8);
      expect(sendFaults.isAvailable('broker-a', Date.now())).toBe(false);
      expect(sendFaults.snapshot().find((f) => f.brokerName === 'broker-a')).toMatchObject({ latencyMs: 10_000 });
    } finally {
      puts.restore();
      await setFault('broker-a', false, [0]);
    }
    // Restoring the group through this Worker clears its mark here at once.
    expect(sendFaults.isAvailable('broker-a', Date.now())).toBe(true);
  });

  it('half messages take the one send path: a transactional send moves off a failing group, and the failure is tracked', async () => {
    const topic = uniqueName('HalfFailover');
    const producerGroup = uniqueName('HalfFailoverPG');
    await createTopic(topic, { queueNums: 2 });
    try {
      await setFault('broker-a', true, [0]);
      for (let i = 0; i < 6; i++) {
        const res = await call('POST', `/topics/${topic}/messages`, { body: `h${i}`, transaction: { producerGroup } });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ transactional: true, brokerName: 'broker-b' });
      }
      // The failed half send counted for latency fault tolerance, as a plain send's would.
      expect(sendFaults.isAvailable('broker-a', Date.now())).toBe(false);
    } finally {
      await setFault('broker-a', false, [0]);
    }
  });

  it('losing one NameServer changes nothing for clients: they rotate to another', async () => {
    const topic = uniqueName('NsLoss');
    await createTopic(topic, { queueNums: 1 });
    const ns0 = env.NAME_SERVER.getByName('ns-0');
    await runInDurableObject(ns0, (instance) => {
      (instance as unknown as { sql: unknown }).sql = {
        exec() {
          throw new Error('simulated NameServer failure');
        },
      };
    });
    try {
      for (let i = 0; i < 4; i++) {
        forgetRoute(topic);
        expect((await call('GET', `/topics/${topic}/route`)).status).toBe(200);
        expect(await send(topic, { body: `${i}` })).toMatchObject({ status: 'SEND_OK' });
      }
      expect((await call('GET', '/cluster')).body.clusters[0].brokerNames).toEqual(['broker-a', 'broker-b']);
      expect((await call('GET', '/topics')).body.topics).toContain(topic);
      expect(await served(env.BROKER.getByName('broker-a/0')).registerAll()).toBe(1);
    } finally {
      await evictDurableObject(ns0);
    }
    expect(await served(env.BROKER.getByName('broker-a/0')).registerAll()).toBe(2);
  });

  it('the fault-injection switch is not served unless FAULT_INJECTION_ENABLE is true', async () => {
    const ctx = createExecutionContext();
    const request = new Request('http://flaremq.test/api/v1/brokers/broker-a/fault', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ down: true }),
    });
    const res = await app.fetch(request, { ...env, FAULT_INJECTION_ENABLE: 'false' }, ctx);
    await waitOnExecutionContext(ctx);
    expectError({ status: res.status, body: await res.json() }, 404, 'NOT_FOUND');
    expect((await served(env.BROKER.getByName('broker-a/0')).status()).faultInjection.down).toBe(false);
    expectError(await call('PUT', '/brokers/broker-a/fault', { down: 'yes' }), 400, 'INVALID_REQUEST');
    expectError(await call('PUT', '/brokers/broker-a/fault', { down: true, brokerIds: [7] }), 400, 'INVALID_REQUEST');
    expectError(await call('PUT', '/brokers/nope/fault', { down: true }), 404, 'BROKER_NOT_EXIST');
  });
});
