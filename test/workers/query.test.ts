import { describe, expect, it } from 'vitest';
import { call, createTopic, expectError, send, uniqueName } from './helpers';

describe('queries', () => {
  it('finds a message by its id', async () => {
    const topic = uniqueName('ById');
    await createTopic(topic);
    const sent = await send(topic, { body: 'find me', tags: 'T', keys: 'k' });
    const got = await call('GET', `/messages/${sent.msgId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      msgId: sent.msgId,
      body: 'find me',
      tags: 'T',
      keys: 'k',
      queueOffset: sent.queueOffset,
      brokerName: sent.brokerName,
    });
  });

  it('answers MESSAGE_NOT_FOUND for an id past the queue, INVALID_MESSAGE_ID for garbage', async () => {
    const topic = uniqueName('ByIdMissing');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const sent = await send(topic, { body: 'x' });
    const { encodeMessageId } = await import('../../src/core/msg-id');
    const missing = encodeMessageId({
      topic,
      brokerName: 'broker-a',
      brokerId: 0,
      queueId: 0,
      queueOffset: sent.queueOffset + 10,
    });
    expectError(await call('GET', `/messages/${missing}`), 404, 'MESSAGE_NOT_FOUND');
    const otherQueue = encodeMessageId({ topic, brokerName: 'broker-b', brokerId: 0, queueId: 0, queueOffset: 0 });
    expectError(await call('GET', `/messages/${otherQueue}`), 404, 'MESSAGE_NOT_FOUND');
    const noTopic = encodeMessageId({
      topic: uniqueName('Nope'),
      brokerName: 'broker-a',
      brokerId: 0,
      queueId: 0,
      queueOffset: 0,
    });
    expectError(await call('GET', `/messages/${noTopic}`), 404, 'TOPIC_NOT_EXIST');
    expectError(await call('GET', '/messages/not-an-id'), 400, 'INVALID_MESSAGE_ID');
  });

  it('finds messages by key across every queue, newest first', async () => {
    const topic = uniqueName('ByKey');
    await createTopic(topic);
    const sent = [];
    for (let i = 0; i < 6; i++)
      sent.push(await send(topic, { body: `k${i}`, keys: i % 2 === 0 ? 'even shared' : 'odd shared' }));
    const even = await call('GET', `/topics/${topic}/messages?key=even`);
    expect(even.status).toBe(200);
    expect(even.body.messages.map((m: any) => m.body).sort()).toEqual(['k0', 'k2', 'k4']);
    const shared = await call('GET', `/topics/${topic}/messages?key=shared`);
    expect(shared.body.messages).toHaveLength(6);
    const times = shared.body.messages.map((m: any) => m.storeTimestamp);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(new Set(shared.body.messages.map((m: any) => `${m.brokerName}/${m.queueId}`)).size).toBeGreaterThan(1);
    const limited = await call('GET', `/topics/${topic}/messages?key=shared&maxMessages=2`);
    expect(limited.body.messages).toHaveLength(2);
    const none = await call('GET', `/topics/${topic}/messages?key=absent`);
    expect(none.body.messages).toEqual([]);
  });

  it('bounds a key query by store time', async () => {
    const topic = uniqueName('ByKeyTime');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'old', keys: 'k' });
    await new Promise((r) => setTimeout(r, 20));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await send(topic, { body: 'new', keys: 'k' });
    const after = await call('GET', `/topics/${topic}/messages?key=k&begin=${cut}`);
    expect(after.body.messages.map((m: any) => m.body)).toEqual(['new']);
    const before = await call('GET', `/topics/${topic}/messages?key=k&begin=0&end=${cut}`);
    expect(before.body.messages.map((m: any) => m.body)).toEqual(['old']);
  });

  it('returns at most 64 messages for a key', async () => {
    const topic = uniqueName('ByKeyCap');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { messages: Array.from({ length: 70 }, (_, i) => ({ body: `m${i}`, keys: 'hot' })) });
    const res = await call('GET', `/topics/${topic}/messages?key=hot`);
    expect(res.body.messages).toHaveLength(64);
    expectError(await call('GET', `/topics/${topic}/messages?key=hot&maxMessages=65`), 400, 'INVALID_REQUEST');
  });

  it('finds a message by unique key', async () => {
    const topic = uniqueName('ByUniqueKey');
    await createTopic(topic);
    const sent = await send(topic, { body: 'unique' });
    await send(topic, { body: 'other' });
    const res = await call('GET', `/topics/${topic}/messages?uniqueKey=${sent.uniqueKey}`);
    expect(res.body.messages.map((m: any) => [m.body, m.msgId])).toEqual([['unique', sent.msgId]]);
    const given = await send(topic, { body: 'mine', uniqueKey: 'my-id-1' });
    expect(given.uniqueKey).toBe('my-id-1');
    expect((await call('GET', `/topics/${topic}/messages?uniqueKey=my-id-1`)).body.messages[0].body).toBe('mine');
  });

  it('needs exactly one of key and uniqueKey', async () => {
    const topic = uniqueName('QueryBad');
    await createTopic(topic);
    expectError(await call('GET', `/topics/${topic}/messages`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `/topics/${topic}/messages?key=a&uniqueKey=b`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `/topics/${topic}/messages?key=a&begin=10&end=5`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `/topics/${uniqueName('Missing')}/messages?key=a`), 404, 'TOPIC_NOT_EXIST');
  });
});
