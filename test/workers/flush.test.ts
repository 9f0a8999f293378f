/**
 * flushDiskType (the `workers-ha` project: broker-a's master is SYNC_FLUSH,
 * broker-b's ASYNC_FLUSH with ASYNC_FLUSH_INTERVAL_MS of a minute, so that
 * what it holds can be seen before it writes).
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/message-queue';
import { drain, queueCopy } from './ha-helpers';
import { createTopic, pull, send, uniqueName } from './helpers';

/** Rows of the log as stored, read without calling the object's methods (which would write what it holds). */
const storedRows = (stub: DurableObjectStub<MessageQueue>) =>
  runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mq_message').one().n);

describe('flush', () => {
  it('SYNC_FLUSH: a send is answered once it is written', async () => {
    const topic = uniqueName('SyncFlush');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'written' });
    expect(await storedRows(queueCopy(topic, 'broker-a', 0, 0))).toBe(1);
  });

  it('ASYNC_FLUSH: answered first and written after, before anything reads the log', async () => {
    const topic = uniqueName('AsyncFlush');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    expect(await send(topic, { body: 'f0' })).toMatchObject({ status: 'SEND_OK', queueOffset: 0 });
    expect(await send(topic, { messages: [{ body: 'f1' }, { body: 'f2' }] })).toMatchObject({ results: [{ queueOffset: 1 }, { queueOffset: 2 }] });
    expect(await storedRows(master)).toBe(0);
    // A pull writes what is held first, so it reads every message it was told about.
    const got = await pull(topic, 'broker-b', 0, { offset: 0 });
    expect(got.messages.map((m: any) => [m.body, m.queueOffset])).toEqual([
      ['f0', 0],
      ['f1', 1],
      ['f2', 2],
    ]);
    expect(await storedRows(master)).toBe(3);
    // So does the alarm.
    await send(topic, { body: 'f3' });
    expect(await storedRows(master)).toBe(3);
    await runInDurableObject(master, (instance: MessageQueue) => instance.alarm());
    expect(await storedRows(master)).toBe(4);
  });

  it('ASYNC_FLUSH: the window of loss — what is held when the object goes is lost, and its offsets are given again', async () => {
    const topic = uniqueName('AsyncLoss');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await send(topic, { body: 'kept' });
    await master.status(); // written
    await drain(master); // shipped to the slave: the alarm has nothing to do now (it would write what is held)
    expect(await send(topic, { body: 'lost' })).toMatchObject({ status: 'SEND_OK', queueOffset: 1 });
    // The object crashes (is reset, losing its memory) before it writes what it holds.
    await runInDurableObject(master, (_i, state) => state.abort('simulated crash')).catch(() => undefined);
    const restarted = queueCopy(topic, 'broker-b', 0, 0);
    expect(await restarted.status()).toMatchObject({ maxOffset: 1 });
    expect(await send(topic, { body: 'after' })).toMatchObject({ queueOffset: 1 });
    const got = await pull(topic, 'broker-b', 0, { offset: 0 });
    expect(got.messages.map((m: any) => m.body)).toEqual(['kept', 'after']);
  });
});
