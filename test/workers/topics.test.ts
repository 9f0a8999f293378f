import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/workers/app';
import { api, call, createTopic, expectError, send, uniqueName } from './helpers';

describe('topics', () => {
  it('creates a topic on every broker group with the default queue count', async () => {
    const topic = uniqueName('Create');
    const route = await createTopic(topic);
    expect(route.topic).toBe(topic);
    expect(route.queueDatas).toEqual([
      { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, permName: 'RW' },
      { brokerName: 'broker-b', readQueueNums: 4, writeQueueNums: 4, perm: 6, permName: 'RW' },
    ]);
    expect(
      route.brokerDatas.map((b: any) => [
        b.cluster,
        b.brokerName,
        b.brokers.map((x: any) => [x.brokerId, x.brokerRole]),
      ]),
    ).toEqual([
      ['DefaultCluster', 'broker-a', [[0, 'ASYNC_MASTER']]],
      ['DefaultCluster', 'broker-b', [[0, 'ASYNC_MASTER']]],
    ]);
  });

  it('lists topics and shows their route and status', async () => {
    const topic = uniqueName('Listed');
    await createTopic(topic, { queueNums: 2, brokerNames: ['broker-b'] });
    const list = await call('GET', '/topics');
    expect(list.body.topics).toContain(topic);
    const route = await call('GET', `/topics/${topic}/route`);
    expect(route.body.queueDatas).toEqual([
      { brokerName: 'broker-b', readQueueNums: 2, writeQueueNums: 2, perm: 6, permName: 'RW' },
    ]);
    await send(topic, { body: 'x', queue: { brokerName: 'broker-b', queueId: 1 } });
    const status = await call('GET', `/topics/${topic}/status`);
    expect(status.body.queues.map((q: any) => [q.brokerName, q.queueId, q.minOffset, q.maxOffset])).toEqual([
      ['broker-b', 0, 0, 0],
      ['broker-b', 1, 0, 1],
    ]);
    expect(status.body.queues[1].lastUpdateTimestamp).toBeGreaterThan(0);
    expect(status.body.queues[0].lastUpdateTimestamp).toBe(0);
  });

  it('updates queue counts and perm; a read-only topic refuses sends but serves pulls', async () => {
    const topic = uniqueName('Update');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'before' });
    const grown = await createTopic(topic, { queueNums: 3, brokerNames: ['broker-a'] });
    expect(grown.queueDatas[0]).toMatchObject({ readQueueNums: 3, writeQueueNums: 3 });
    await send(topic, { body: 'to q2', queue: { brokerName: 'broker-a', queueId: 2 } });
    await createTopic(topic, { queueNums: 3, perm: 'R', brokerNames: ['broker-a'] });
    expectError(await call('POST', `/topics/${topic}/messages`, { body: 'refused' }), 403, 'NO_PERMISSION');
    expectError(
      await call('POST', `/topics/${topic}/messages`, {
        body: 'refused',
        queue: { brokerName: 'broker-a', queueId: 0 },
      }),
      403,
      'NO_PERMISSION',
    );
    const got = await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`);
    expect(got.body.messages.map((m: any) => m.body)).toEqual(['before']);
    await createTopic(topic, { queueNums: 3, perm: 'W', brokerNames: ['broker-a'] });
    expectError(await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`), 403, 'NO_PERMISSION');
  });

  it('writes only to queues below writeQueueNums and reads below readQueueNums', async () => {
    const topic = uniqueName('ReadWrite');
    await createTopic(topic, { readQueueNums: 2, writeQueueNums: 1, brokerNames: ['broker-a'] });
    for (let i = 0; i < 4; i++) expect((await send(topic, { body: `${i}` })).queueId).toBe(0);
    expectError(
      await call('POST', `/topics/${topic}/messages`, { body: 'x', queue: { brokerName: 'broker-a', queueId: 1 } }),
      403,
      'NO_PERMISSION',
    );
    expect((await call('GET', `/topics/${topic}/queues/broker-a/1/messages?offset=0`)).body.status).toBe('NO_NEW_MSG');
    expectError(await call('GET', `/topics/${topic}/queues/broker-a/2/messages?offset=0`), 404, 'QUEUE_NOT_EXIST');
  });

  it('deletes a topic: its route, messages and offsets go, and its ids are never reused', async () => {
    const topic = uniqueName('Delete');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const first = await send(topic, { body: 'old' });
    await call('PUT', `/groups/${uniqueName('G')}/offsets`, { topic, brokerName: 'broker-a', queueId: 0, offset: 1 });
    const del = await call('DELETE', `/topics/${topic}`);
    expect(del).toMatchObject({ status: 200, body: { topic, deleted: true } });
    expectError(await call('GET', `/topics/${topic}/route`), 404, 'TOPIC_NOT_EXIST');
    expect((await call('GET', '/topics')).body.topics).not.toContain(topic);
    expectError(await call('GET', `/messages/${first.msgId}`), 404, 'TOPIC_NOT_EXIST');
    expectError(await call('DELETE', `/topics/${topic}`), 404, 'TOPIC_NOT_EXIST');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const again = await send(topic, { body: 'new' });
    expect(again.queueOffset).toBe(1);
    expect(again.msgId).not.toBe(first.msgId);
    expectError(await call('GET', `/messages/${first.msgId}`), 404, 'MESSAGE_NOT_FOUND');
    const pulled = await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`);
    expect(pulled.body).toMatchObject({ status: 'OFFSET_ILLEGAL', nextBeginOffset: 1 });
  });

  it('deletes every queue it ever had: a shrink then a delete leaves nothing to come back', async () => {
    const topic = uniqueName('ShrinkDelete');
    await createTopic(topic, { queueNums: 8, brokerNames: ['broker-a'] });
    const old = await send(topic, { body: 'in queue 7', queue: { brokerName: 'broker-a', queueId: 7 } });
    await createTopic(topic, { queueNums: 4, brokerNames: ['broker-a'] });
    expect((await call('DELETE', `/topics/${topic}`)).status).toBe(200);
    await createTopic(topic, { queueNums: 8, brokerNames: ['broker-a'] });
    expectError(await call('GET', `/messages/${old.msgId}`), 404, 'MESSAGE_NOT_FOUND');
    const pulled = await call('GET', `/topics/${topic}/queues/broker-a/7/messages?offset=0`);
    expect(pulled.body).toMatchObject({ status: 'OFFSET_ILLEGAL', messages: [], minOffset: 1, maxOffset: 1 });
  });

  it('creates with an empty body, and answers the route with perm letters', async () => {
    const topic = uniqueName('EmptyBody');
    const res = await api(`/topics/${topic}`, { method: 'PUT' });
    expect(res.status).toBe(200);
    const route = (await res.json()) as any;
    expect(route.queueDatas[0]).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 6, permName: 'RW' });
  });

  it('refuses unknown broker groups and bad specs without creating anything', async () => {
    const topic = uniqueName('BadSpec');
    expectError(await call('PUT', `/topics/${topic}`, { brokerNames: ['broker-z'] }), 404, 'BROKER_NOT_EXIST');
    expectError(await call('PUT', `/topics/${topic}`, { queueNums: 0 }), 400, 'INVALID_REQUEST');
    expectError(await call('PUT', `/topics/${topic}`, { perm: 'X' }), 400, 'INVALID_REQUEST');
    expectError(await call('PUT', `/topics/${topic}`, '{oops'), 400, 'MALFORMED_JSON');
    expectError(await call('PUT', '/topics/bad!name', {}), 400, 'INVALID_TOPIC_NAME');
    expectError(await call('GET', `/topics/${topic}/route`), 404, 'TOPIC_NOT_EXIST');
  });

  it('refuses a send to an unknown topic when auto-create is off', async () => {
    const topic = uniqueName('NoAuto');
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`http://flaremq.test/api/v1/topics/${topic}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ body: 'x' }),
      }),
      { ...env, AUTO_CREATE_TOPIC_ENABLE: 'false' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expectError({ status: res.status, body: await res.json() }, 404, 'TOPIC_NOT_EXIST');
    expectError(await call('GET', `/topics/${topic}/route`), 404, 'TOPIC_NOT_EXIST');
  });
});

describe('topic traffic', () => {
  it('counts messages in and out per minute, without reading the log', async () => {
    const topic = uniqueName('Stats');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { messages: [{ body: 'a' }, { body: 'b' }, { body: 'c' }] });
    await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0&maxMessages=2`);
    const res = await call('GET', `/topics/${topic}/stats?minutes=5`);
    expect(res.status).toBe(200);
    expect(res.body.minutes).toHaveLength(5);
    const minutes = res.body.minutes.map((m: any) => m.minute);
    expect(minutes).toEqual([...minutes].sort((a: number, b: number) => a - b));
    expect(minutes[4] - minutes[0]).toBe(4 * 60_000);
    const sum = (k: 'in' | 'out') => res.body.minutes.reduce((n: number, m: any) => n + m[k], 0);
    expect([sum('in'), sum('out')]).toEqual([3, 2]);
    expect((await call('GET', `/topics/${topic}/stats`)).body.minutes).toHaveLength(60);
    expectError(await call('GET', `/topics/${topic}/stats?minutes=0`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `/topics/${topic}/stats?minutes=121`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `/topics/${uniqueName('Nope')}/stats`), 404, 'TOPIC_NOT_EXIST');
  });
});

describe('topic specs', () => {
  it.each([
    [null],
    [[]],
    [{ queueNums: -1 }],
    [{ queueNums: 1.5 }],
    [{ queueNums: 0 }],
    [{ queueNums: 1000 }],
    [{ perm: 'X' }],
    [{ brokerNames: [] }],
    [{ brokerNames: [1] }],
  ])('refuses %j with 400 and stores nothing', async (raw) => {
    const topic = uniqueName('Spec');
    const res = await call('PUT', `/topics/${topic}`, raw);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/\S/);
    expectError(await call('GET', `/topics/${topic}/route`), 404, 'TOPIC_NOT_EXIST');
  });
});
