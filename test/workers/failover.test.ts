import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/message-queue';
import { call, createTopic, expectError, maxOffsets, send, uniqueName } from './helpers';

/** Makes the queue objects of broker-a fail every append, as a broker that is down would. */
async function breakBrokerA(topic: string, queues: number): Promise<DurableObjectStub<MessageQueue>[]> {
  const stubs = Array.from({ length: queues }, (_, q) => env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/${q}/0`));
  for (const stub of stubs) {
    await runInDurableObject(stub, (instance: MessageQueue) => {
      (instance as unknown as { sql: unknown }).sql = {
        exec() {
          throw new Error('simulated storage failure');
        },
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
    const explicit = await call('POST', `/topics/${topic}/messages`, { body: 'x', queue: { brokerName: 'broker-a', queueId: 0 } });
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
