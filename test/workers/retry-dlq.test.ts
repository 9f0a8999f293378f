import { describe, expect, it } from 'vitest';
import { setFault } from './ha-helpers';
import { call, createTopic, expectError, send, uniqueName } from './helpers';

async function join(group: string, clientId: string, topic: string) {
  const res = await call('POST', `/groups/${group}/members/${clientId}/heartbeat`, {
    subscriptions: [{ topic, expression: '*' }],
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body;
}

const memberPull = (
  group: string,
  clientId: string,
  q: { topic: string; brokerName: string; queueId: number },
  query = '',
) =>
  call(
    'GET',
    `/groups/${group}/members/${clientId}/queues/${encodeURIComponent(q.topic)}/${q.brokerName}/${q.queueId}/messages?${query}`,
  );

describe('retry and dead letters', () => {
  it('sends a failed message to the retry topic, delayed, then to the DLQ after maxReconsumeTimes; resends it from there', async () => {
    const topic = uniqueName('Retry');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await call('PUT', `/groups/${group}`, { maxReconsumeTimes: 2 });
    await join(group, 'c1', topic);
    const original = await send(topic, { body: 'fails', tags: 'T', keys: 'order-9', properties: { app: 'x' } });
    const first = await memberPull(group, 'c1', { topic, brokerName: 'broker-a', queueId: 0 });
    expect(first.body.messages[0]).toMatchObject({ msgId: original.msgId, reconsumeTimes: 0 });

    let msgId = original.msgId;
    for (const expected of [1, 2]) {
      const back = await call('POST', `/groups/${group}/retry`, { msgId });
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      expect(back.body).toMatchObject({
        status: 'RETRY',
        topic: `%RETRY%${group}`,
        reconsumeTimes: expected,
        delayLevel: 2 + expected,
      });
      const { brokerName, queueId } = back.body.result;
      const assigned = await join(group, 'c1', topic);
      expect(
        assigned.queues.some(
          (q: any) => q.topic === `%RETRY%${group}` && q.brokerName === brokerName && q.queueId === queueId,
        ),
      ).toBe(true);
      const retryQueue = { topic: `%RETRY%${group}`, brokerName, queueId };
      let got = await memberPull(group, 'c1', retryQueue, 'waitMs=10000');
      while (got.body.messages.length === 0)
        got = await memberPull(group, 'c1', retryQueue, `waitMs=10000&offset=${got.body.nextBeginOffset}`);
      const m = got.body.messages[0];
      expect(m).toMatchObject({ body: 'fails', tags: 'T', keys: 'order-9', reconsumeTimes: expected });
      expect(m.properties).toMatchObject({
        app: 'x',
        ORIGIN_MESSAGE_ID: original.msgId,
        RETRY_TOPIC: topic,
        RECONSUME_TIME: String(expected),
      });
      expect(m.storeTimestamp).toBeGreaterThanOrEqual(back.body.deliverAt);
      await memberPull(group, 'c1', retryQueue, `commitOffset=${got.body.nextBeginOffset}`);
      msgId = m.msgId;
    }

    const dead = await call('POST', `/groups/${group}/retry`, { msgId });
    expect(dead.body).toMatchObject({ status: 'DLQ', topic: `%DLQ%${group}`, reconsumeTimes: 3 });
    const dlq = await call('GET', `/groups/${group}/dlq`);
    expect(dlq.body.total).toBe(1);
    expect(dlq.body.messages[0]).toMatchObject({
      body: 'fails',
      reconsumeTimes: 3,
      properties: { ORIGIN_MESSAGE_ID: original.msgId, RETRY_TOPIC: topic },
    });

    // Resent to the group's retry topic (its own), at once, with reconsumeTimes 0: the topic's other groups do not get it.
    const resent = await call('POST', `/groups/${group}/dlq/${dlq.body.messages[0].msgId}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({
      status: 'SEND_OK',
      group,
      topic: `%RETRY%${group}`,
      resentFrom: dlq.body.messages[0].msgId,
    });
    const again = await call('GET', `/messages/${resent.body.msgId}`);
    expect(again.body).toMatchObject({
      body: 'fails',
      reconsumeTimes: 0,
      keys: 'order-9',
      properties: { ORIGIN_MESSAGE_ID: original.msgId, RETRY_TOPIC: topic },
    });
    expect(again.body.properties.RECONSUME_TIME).toBeUndefined();
    expect((await call('GET', `/topics/${topic}/status`)).body.queues[0].maxOffset).toBe(1);
  });

  it('sends straight to the DLQ with delayLevel -1', async () => {
    const topic = uniqueName('RetryDlq');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'c1', topic);
    const sent = await send(topic, { body: 'poison' });
    const res = await call('POST', `/groups/${group}/retry`, { msgId: sent.msgId, delayLevel: -1 });
    expect(res.body).toMatchObject({ status: 'DLQ', reconsumeTimes: 1 });
    expect((await call('GET', `/groups/${group}/dlq`)).body.messages.map((m: any) => m.body)).toEqual(['poison']);
  });

  it("send-back with the original's master down: the consumer's copy goes to the retry topic on another broker", async () => {
    const topic = uniqueName('RetryMasterDown');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'c1', topic);
    const sent = await send(topic, { body: 'held', tags: 'T', keys: 'k-9', properties: { app: 'x' } });
    const got = await memberPull(group, 'c1', { topic, brokerName: 'broker-a', queueId: 0 });
    const m = got.body.messages[0];
    expect(m.msgId).toBe(sent.msgId);
    await setFault('broker-a', true);
    try {
      // By id alone the original cannot be read; with the consumer's copy the send-back succeeds.
      const byId = await call('POST', `/groups/${group}/retry`, { msgId: m.msgId });
      expect(byId.status).toBe(503);
      const copy = {
        body: m.body,
        tags: m.tags,
        keys: m.keys,
        properties: m.properties,
        uniqueKey: m.uniqueKey,
        bornTimestamp: m.bornTimestamp,
        reconsumeTimes: m.reconsumeTimes,
      };
      const back = await call('POST', `/groups/${group}/retry`, { msgId: m.msgId, delayLevel: 1, message: copy });
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      expect(back.body).toMatchObject({
        status: 'RETRY',
        topic: `%RETRY%${group}`,
        reconsumeTimes: 1,
        result: { brokerName: 'broker-b' },
      });
      // The group consumes it from its retry topic, while broker-a is still down.
      const retryQueue = { topic: `%RETRY%${group}`, brokerName: 'broker-b', queueId: back.body.result.queueId };
      expect((await join(group, 'c1', topic)).queues).toContainEqual({ ...retryQueue, expression: '*' });
      let again = await memberPull(group, 'c1', retryQueue, 'waitMs=10000');
      while (again.body.messages?.length === 0)
        again = await memberPull(group, 'c1', retryQueue, `waitMs=10000&offset=${again.body.nextBeginOffset}`);
      const stored = again.body.messages[0];
      expect(stored).toMatchObject({
        body: 'held',
        tags: 'T',
        keys: 'k-9',
        uniqueKey: sent.uniqueKey,
        reconsumeTimes: 1,
      });
      expect(stored.properties).toMatchObject({
        app: 'x',
        ORIGIN_MESSAGE_ID: sent.msgId,
        RETRY_TOPIC: topic,
        RECONSUME_TIME: '1',
      });
      // A copy is only a fallback: a malformed one is refused.
      expectError(
        await call('POST', `/groups/${group}/retry`, { msgId: m.msgId, message: { body: '' } }),
        400,
        'INVALID_MESSAGE',
      );
    } finally {
      await setFault('broker-a', false);
    }
  });

  it('refuses bad retries', async () => {
    const topic = uniqueName('RetryBad');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'c1', topic);
    const sent = await send(topic, { body: 'x' });
    expectError(
      await call('POST', `/groups/${group}/retry`, { msgId: sent.msgId, delayLevel: 19 }),
      400,
      'INVALID_REQUEST',
    );
    expectError(await call('POST', `/groups/${group}/retry`, {}), 400, 'INVALID_REQUEST');
    expectError(await call('POST', `/groups/${group}/retry`, { msgId: 'nope' }), 400, 'INVALID_MESSAGE_ID');
    expectError(
      await call('POST', `/groups/${uniqueName('NoGroup')}/retry`, { msgId: sent.msgId }),
      404,
      'GROUP_NOT_EXIST',
    );
    expectError(await call('POST', `/groups/${group}/dlq/${sent.msgId}/resend`), 400, 'INVALID_REQUEST');
    expect((await call('GET', `/groups/${group}/dlq`)).body).toMatchObject({ messages: [], total: 0 });
  });
});
