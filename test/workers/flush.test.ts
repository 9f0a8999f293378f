/**
 * flushDiskType (the `workers-ha` project: broker-a's master is SYNC_FLUSH,
 * broker-b's ASYNC_FLUSH with ASYNC_FLUSH_INTERVAL_MS of a minute, so that
 * what it holds can be seen before it writes).
 */
import { runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { drain, queueCopy } from './ha-helpers';
import { resetMetricsCache } from '../../src/workers/metrics';
import { call, createTopic, expectError, pull, send, uniqueName, type Served } from './helpers';
import { storedMessageCount } from './log-helpers';

/** Every message of a queue object from offset 0, read from that copy (not through the API, which may read a slave's). */
const readAll = async (stub: Served<MessageQueue>) =>
  (await stub.pull({ offset: 0, maxMessages: 100, tags: null, waitMs: 0 })).messages.map((m) => [
    new TextDecoder().decode(m.body),
    m.queueOffset,
  ]);

/** Rows of the log as stored, read without calling the object's methods (which would write what it holds). */
const storedRows = (stub: Served<MessageQueue>) =>
  runInDurableObject(stub, (_i, state) => storedMessageCount(state.storage.sql));

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
    expect(await send(topic, { messages: [{ body: 'f1' }, { body: 'f2' }] })).toMatchObject({
      results: [{ queueOffset: 1 }, { queueOffset: 2 }],
    });
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

  it('ASYNC_FLUSH: a send too big for one held row is written to the log at once, after what was held', async () => {
    const topic = uniqueName('AsyncBig');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await send(topic, { body: 'small' });
    expect(await storedRows(master)).toBe(0);
    const big = 'x'.repeat(900 * 1024);
    expect(await send(topic, { messages: [{ body: big }, { body: big }] })).toMatchObject({
      results: [{ queueOffset: 1 }, { queueOffset: 2 }],
    });
    expect(await storedRows(master)).toBe(3);
  });

  it('ASYNC_FLUSH: a send answered, then the object restarted before it writes its log: the message is still there, and no offset or id is given again', async () => {
    const topic = uniqueName('AsyncRestart');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await send(topic, { body: 'kept' });
    await master.status(); // written
    await drain(master); // shipped to the slave: the alarm has nothing to do now (it would write what is held)
    const answered = await send(topic, { body: 'answered' });
    expect(answered).toMatchObject({ status: 'SEND_OK', queueOffset: 1 });
    expect(await storedRows(master)).toBe(1); // held: not in the log yet
    // The object is restarted (a deploy, an eviction, a crash of the runtime) before it writes its log.
    await runInDurableObject(master, (_i, state) => state.abort('restarted before the flush')).catch(() => undefined);
    const after = await send(topic, { body: 'after' });
    expect(after).toMatchObject({ status: 'SEND_OK', queueOffset: 2 });
    expect(after.msgId).not.toBe(answered.msgId);
    const restarted = queueCopy(topic, 'broker-b', 0, 0);
    expect(await readAll(restarted)).toEqual([
      ['kept', 0],
      ['answered', 1],
      ['after', 2],
    ]);
    // A query by the answered id returns the answered message, not another one.
    const byId = await call('GET', `/messages/${answered.msgId}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ body: 'answered', uniqueKey: answered.uniqueKey });
  });

  it('ASYNC_FLUSH: a send whose write to local storage fails is refused with a retriable error, never answered SEND_OK', async () => {
    const topic = uniqueName('AsyncHoldFails');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await send(topic, { body: 'before' });
    // The object's storage refuses writes (a full disk, a broken storage layer).
    await runInDurableObject(master, (_i, state) => {
      vi.spyOn(state.storage, 'put').mockImplementation(() => Promise.reject(new Error('simulated storage failure')));
    });
    try {
      const refused = await call('POST', `/topics/${topic}/messages`, { body: 'refused' });
      expectError(refused, 503, 'BROKER_UNAVAILABLE');
    } finally {
      await runInDurableObject(master, (_i, state) => vi.mocked(state.storage.put).mockRestore());
    }
    expect(await send(topic, { body: 'after' })).toMatchObject({ status: 'SEND_OK', queueOffset: 1 });
    expect(await readAll(master)).toEqual([
      ['before', 0],
      ['after', 1],
    ]);
  });

  it('ASYNC_FLUSH: a log write that fails drops nothing held; it is logged and counted, and sends are refused (retriable) until the queue writes again', async () => {
    const topic = uniqueName('AsyncFlushFails');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    expect(await send(topic, { body: 'held' })).toMatchObject({ status: 'SEND_OK', queueOffset: 0 });
    // The log cannot be written (every insert fails, as on a full disk).
    await runInDurableObject(master, (_i, state) => {
      state.storage.sql.exec(
        `CREATE TRIGGER flush_test_fail BEFORE INSERT ON mq_batch BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`,
      );
    });
    const errors = vi.spyOn(console, 'error');
    try {
      // A pull writes what is held first: the write fails, and the pull is refused rather than read past it.
      const refusedPull = await master.pull({ offset: 0, maxMessages: 10, tags: null, waitMs: 0 }).then(
        () => null,
        (err: Error) => err.message,
      );
      expect(refusedPull).toMatch(/BROKER_UNAVAILABLE/);
      expect(errors.mock.calls.some((args) => String(args[0]).includes('could not be written'))).toBe(true);
      // From now on, no SEND_OK until the queue writes again.
      expectError(await call('POST', `/topics/${topic}/messages`, { body: 'refused' }), 503, 'BROKER_UNAVAILABLE');
      // Counted: the queue's status and /metrics show the failed writes.
      expect((await master.status()).writes).toMatchObject({ writable: false, heldMessages: 1 });
      expect((await master.status()).writes.failedWrites).toBeGreaterThanOrEqual(1);
      resetMetricsCache();
      const metrics = await (await exports.default.fetch(new Request('http://flaremq.test/metrics'))).text();
      expect(metrics).toMatch(new RegExp(`flaremq_write_failures_total\\{topic="${topic}"\\} [1-9]`));
      expect(metrics).toMatch(new RegExp(`flaremq_queues_unwritable\\{topic="${topic}"\\} 1`));
    } finally {
      errors.mockRestore();
    }
    // The disk recovers: the next request writes what was held, and sends are answered again.
    await runInDurableObject(master, (_i, state) => state.storage.sql.exec('DROP TRIGGER flush_test_fail'));
    expect(await send(topic, { body: 'after' })).toMatchObject({ status: 'SEND_OK', queueOffset: 1 });
    expect(await readAll(master)).toEqual([
      ['held', 0],
      ['after', 1],
    ]);
    expect((await master.status()).writes).toMatchObject({ writable: true, heldMessages: 0 });
  });
});
