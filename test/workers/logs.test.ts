/**
 * The server's log lines (src/log.ts, docs/operations.md "Logs"): one JSON object per line, with `level`, `msg`
 * and fields naming what it happened to, written with the console method of its level. The objects of the
 * `workers` project run in the test's isolate, so a spy on the console sees their lines too.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { queueObject } from '../../src/durable-objects/stubs';
import { linesOf } from './console-lines';
import { call, createTopic, send, uniqueName } from './helpers';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('log lines', () => {
  it('a message sent to the dead-letter queue is logged at info, naming the group, the topic and the message', async () => {
    const topic = uniqueName('LogDlq');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    expect((await call('POST', `/groups/${group}/members/c1/heartbeat`, { subscriptions: [{ topic }] })).status).toBe(
      200,
    );
    const sent = await send(topic, { body: 'dead' });
    const info = linesOf('info');
    const res = await call('POST', `/groups/${group}/retry`, { msgId: sent.msgId, delayLevel: -1 });
    expect(res.body).toMatchObject({ status: 'DLQ', topic: `%DLQ%${group}` });
    const line = info().find((l) => l.group === group);
    expect(line).toEqual({
      level: 'info',
      msg: 'a message went to the dead-letter queue',
      group,
      topic,
      msgId: sent.msgId,
      reconsumeTimes: res.body.reconsumeTimes,
      dlqTopic: `%DLQ%${group}`,
      dlqMsgId: res.body.result.msgId,
      brokerName: res.body.result.brokerName,
      queueId: res.body.result.queueId,
      offset: res.body.result.queueOffset,
    });
  });

  it('an object call that fails unexpectedly is logged at error with the queue it was and the error', async () => {
    const topic = uniqueName('LogRpc');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const identity = { topic, brokerName: 'broker-a', queueId: 0, brokerId: 0 };
    const batch = { identity, rows: [], masterMinOffset: 0, incarnation: 0, offsets: null, state: null };
    const errors = linesOf('error');
    // replicate() is for slaves: a master's copy throws a plain Error (which workerd also reports as uncaught).
    await expect(queueObject(env, identity).replicate(batch)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    const line = errors().find((l) => l.topic === topic);
    expect(line).toMatchObject({
      level: 'error',
      msg: 'an object call failed unexpectedly',
      ...identity,
      method: 'replicate',
      error: { name: 'Error', message: expect.stringContaining('replicate() is for slave queues') },
    });
    expect(typeof line.error.stack).toBe('string');
  });

  it('a request that fails with a 5xx is logged at error with its method, path and code', async () => {
    const topic = uniqueName('LogDown');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const errors = linesOf('error');
    const warnings = linesOf('warn');
    expect((await call('PUT', '/brokers/broker-b/fault', { down: true })).status).toBe(200);
    try {
      const res = await call('POST', `/topics/${topic}/messages`, { body: 'refused' });
      expect(res.status).toBe(503);
    } finally {
      expect((await call('PUT', '/brokers/broker-b/fault', { down: false })).status).toBe(200);
    }
    expect(warnings().find((l) => l.topic === topic)).toMatchObject({
      level: 'warn',
      msg: expect.stringContaining('a send failed'),
      topic,
      brokerName: 'broker-b',
      queueId: 0,
      code: 'BROKER_UNAVAILABLE',
    });
    expect(errors().find((l) => l.path === `/api/v1/topics/${topic}/messages`)).toMatchObject({
      level: 'error',
      method: 'POST',
      status: 503,
      code: 'BROKER_UNAVAILABLE',
    });
  });
});
