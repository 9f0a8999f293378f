import { describe, expect, it } from 'vitest';
import { api, call, createTopic, expectError, maxOffsets, send, uniqueName } from './helpers';

const MiB = 1024 * 1024;

describe('bad input: a clear 4xx with a stable code, and nothing stored', () => {
  it('refuses bad sends and stores none of them', async () => {
    const topic = uniqueName('BadSend');
    await createTopic(topic, { queueNums: 1 });
    await send(topic, { body: 'kept' });
    const before = await maxOffsets(topic);
    const cases: [unknown, number, string][] = [
      ['{"body": "x"', 400, 'MALFORMED_JSON'],
      ['', 400, 'MALFORMED_JSON'],
      [[{ body: 'x' }], 400, 'INVALID_REQUEST'],
      [{ tags: 'A' }, 400, 'INVALID_MESSAGE'],
      [{ body: '' }, 400, 'INVALID_MESSAGE'],
      [{ body: '%%%', bodyEncoding: 'base64' }, 400, 'INVALID_MESSAGE'],
      [{ body: 'x', tags: 'A || B' }, 400, 'INVALID_MESSAGE'],
      [{ body: 'x', properties: { n: 1 } }, 400, 'INVALID_MESSAGE'],
      [{ body: 'x'.repeat(MiB + 1) }, 413, 'MESSAGE_TOO_LARGE'],
      [{ body: 'x', properties: { big: 'p'.repeat(33 * 1024) } }, 413, 'PROPERTIES_TOO_LARGE'],
      [{ messages: Array.from({ length: 5 }, () => ({ body: 'x'.repeat(MiB - 10) })) }, 413, 'BATCH_TOO_LARGE'],
      [{ messages: [{ body: 'a' }, { body: 'b', topic: 'SomeOtherTopic' }] }, 400, 'BATCH_MIXED_TOPICS'],
      [{ messages: [{ body: 'a' }, { body: '' }] }, 400, 'INVALID_MESSAGE'],
      [{ body: 'x', topic: 'SomeOtherTopic' }, 400, 'INVALID_REQUEST'],
      [{ body: 'x', queue: { brokerName: 'broker-a', queueId: 256 } }, 400, 'INVALID_REQUEST'],
      [{ body: 'x', queue: { brokerName: 'broker-a', queueId: 9 } }, 404, 'QUEUE_NOT_EXIST'],
      [{ body: 'x', queue: { brokerName: 'broker-z', queueId: 0 } }, 404, 'QUEUE_NOT_EXIST'],
    ];
    for (const [body, status, code] of cases) {
      expectError(await call('POST', `/topics/${topic}/messages`, body), status, code);
    }
    expect(await maxOffsets(topic)).toEqual(before);
  });

  it('refuses a request body over 8 MiB before reading it all', async () => {
    const topic = uniqueName('TooLarge');
    await createTopic(topic, { queueNums: 1 });
    const before = await maxOffsets(topic);
    const huge = JSON.stringify({ body: 'x'.repeat(9 * MiB) });
    expectError(await call('POST', `/topics/${topic}/messages`, huge), 413, 'REQUEST_TOO_LARGE');
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 9; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(MiB)));
        controller.close();
      },
    });
    const res = await api(`/topics/${topic}/messages`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expectError({ status: res.status, body: await res.json() }, 413, 'REQUEST_TOO_LARGE');
    expect(await maxOffsets(topic)).toEqual(before);
  });

  it('refuses bad names without creating the topic', async () => {
    expectError(await call('POST', '/topics/has space/messages', { body: 'x' }), 400, 'INVALID_TOPIC_NAME');
    expectError(await call('POST', '/topics/a.b/messages', { body: 'x' }), 400, 'INVALID_TOPIC_NAME');
    expectError(await call('POST', `/topics/${'T'.repeat(128)}/messages`, { body: 'x' }), 400, 'INVALID_TOPIC_NAME');
    expectError(await call('PUT', `/topics/${'T'.repeat(128)}`, {}), 400, 'INVALID_TOPIC_NAME');
    const ok = uniqueName('Names');
    await createTopic(ok, { queueNums: 1 });
    expectError(await call('GET', `/groups/${'G'.repeat(121)}/offsets?topic=${ok}`), 400, 'INVALID_GROUP_NAME');
    expectError(await call('GET', `/groups/g.x/offsets?topic=${ok}`), 400, 'INVALID_GROUP_NAME');
    expect((await call('GET', `/groups/${'G'.repeat(120)}/offsets?topic=${ok}`)).status).toBe(200);
    const longest = 'T'.repeat(127);
    expect((await call('PUT', `/topics/${longest}`, { queueNums: 1, brokerNames: ['broker-a'] })).status).toBe(200);
    const unsent = uniqueName('NeverCreated');
    expectError(await call('POST', `/topics/${unsent}/messages`, { body: '' }), 400, 'INVALID_MESSAGE');
    expectError(await call('GET', `/topics/${unsent}/route`), 404, 'TOPIC_NOT_EXIST');
  });

  it('refuses bad pull parameters', async () => {
    const topic = uniqueName('BadPull');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const base = `/topics/${topic}/queues/broker-a/0/messages`;
    expectError(await call('GET', base), 400, 'INVALID_OFFSET');
    expectError(await call('GET', `${base}?offset=-1`), 400, 'INVALID_OFFSET');
    expectError(await call('GET', `${base}?offset=abc`), 400, 'INVALID_OFFSET');
    expectError(await call('GET', `${base}?offset=1.5`), 400, 'INVALID_OFFSET');
    expectError(await call('GET', `${base}?offset=0&tags=A%20%7C%7C`), 400, 'INVALID_TAG_EXPRESSION');
    expectError(await call('GET', `${base}?offset=0&tags=A%20B`), 400, 'INVALID_TAG_EXPRESSION');
    expectError(await call('GET', `${base}?offset=0&waitMs=15001`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `${base}?offset=0&maxMessages=0`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `${base}?offset=0&maxMessages=1001`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `${base}?offset=0&bodyEncoding=hex`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `/topics/${topic}/queues/broker-a/x/messages?offset=0`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `/topics/${topic}/queues/broker-a/1/messages?offset=0`), 404, 'QUEUE_NOT_EXIST');
    expectError(await call('GET', `/topics/${topic}/queues/bad.name/0/messages?offset=0`), 400, 'INVALID_BROKER_NAME');
    expectError(
      await call('GET', `/topics/${uniqueName('Missing')}/queues/broker-a/0/messages?offset=0`),
      404,
      'TOPIC_NOT_EXIST',
    );
  });

  it('answers unknown routes with NOT_FOUND', async () => {
    expectError(await call('GET', '/nope'), 404, 'NOT_FOUND');
    expectError(await call('PATCH', '/topics/x'), 404, 'NOT_FOUND');
  });
});
