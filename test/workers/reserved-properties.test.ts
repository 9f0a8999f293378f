/**
 * Issue 12, item 3: a producer cannot steer a DLQ resend, and reserved system
 * properties are refused on send (REST and the RocketMQ HTTP protocol).
 */
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMessageId } from '../../src/core/msg-id';
import { RESERVED_PROPERTIES } from '../../src/core/system-properties';
import { signedCall, type TestAccount } from './security-helpers';
import { call, createTopic, expectError, maxOffsets, send, uniqueName } from './helpers';

const PAYMENTS = uniqueName('Payments');
const ORDERS = uniqueName('Orders');
const GROUP = uniqueName('GID_orders');
const ACCOUNTS: TestAccount[] = [
  { accessKey: 'admin', secretKey: 'admin-secret', admin: true },
  // PUB on Orders only: not on Payments.
  { accessKey: 'planter', secretKey: 'planter-secret', topicPerms: [`${ORDERS}=PUB`] },
];

function publishXml(body: string, properties: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody>${body}</MessageBody><Properties>${properties}</Properties></Message>`;
}

const total = async (topic: string) => Object.values(await maxOffsets(topic)).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  await createTopic(PAYMENTS, { readQueueNums: 1, writeQueueNums: 1 });
  await createTopic(ORDERS, { readQueueNums: 1, writeQueueNums: 1 });
  expect((await call('PUT', `/groups/${GROUP}`, { maxReconsumeTimes: 1 })).status).toBe(200);
});

describe('a producer cannot steer a DLQ resend', () => {
  it('an account without PUB on Payments plants RETRY_TOPIC: Payments; the send is refused, and a resend of a dead letter carrying it goes to the group only', async () => {
    const planted = await signedCall(ACCOUNTS, 'planter', 'POST', `/topics/${ORDERS}/messages`, {
      body: 'pay me',
      properties: { RETRY_TOPIC: PAYMENTS },
    });
    expect({ status: planted.status, code: planted.body?.error?.code }).toEqual({
      status: 400,
      code: 'RESERVED_PROPERTY',
    });
    expect(planted.body.error.message).toContain('RETRY_TOPIC');

    // A dead letter that carries RETRY_TOPIC: Payments anyway (a consumer's copy, whose original cannot be read).
    const gone = encodeMessageId({
      topic: ORDERS,
      brokerName: 'broker-a',
      brokerId: 0,
      queueId: 0,
      queueOffset: 999_999,
    });
    const dead = await call('POST', `/groups/${GROUP}/retry`, {
      msgId: gone,
      delayLevel: -1,
      message: { body: 'pay me', properties: { RETRY_TOPIC: PAYMENTS } },
    });
    expect(dead.status).toBe(200);
    const dlq = await call('GET', `/groups/${GROUP}/dlq`);
    const letter = dlq.body.messages.find((m: { body: string }) => m.body === 'pay me');
    // The copy's claim is not kept: the id says the message was of Orders.
    expect(letter.properties.RETRY_TOPIC).toBe(ORDERS);

    const before = await total(PAYMENTS);
    const resent = await signedCall(ACCOUNTS, 'admin', 'POST', `/groups/${GROUP}/dlq/${letter.msgId}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.body.topic).toBe(`%RETRY%${GROUP}`);
    expect(await total(PAYMENTS)).toBe(before);
  });
});

describe('reserved system properties are refused on send', () => {
  it.each([
    'RETRY_TOPIC',
    'ORIGIN_MESSAGE_ID',
    'RECONSUME_TIME',
    '__SHARDINGKEY',
    '__STARTDELIVERTIME',
    '__TransCheckT',
    'UNIQ_KEY',
    'DELAY',
    'TAGS',
    'KEYS',
    'PGROUP',
  ])('REST: %s answers 400 RESERVED_PROPERTY naming it', async (name) => {
    const res = await call('POST', `/topics/${ORDERS}/messages`, { body: 'x', properties: { ok: '1', [name]: 'v' } });
    expectError(res, 400, 'RESERVED_PROPERTY');
    expect(res.body.error.message).toContain(name);
  });

  it('REST: in a batch too, and a property of another name is kept', async () => {
    expectError(
      await call('POST', `/topics/${ORDERS}/messages`, {
        messages: [{ body: 'a' }, { body: 'b', properties: { RECONSUME_TIME: '9' } }],
      }),
      400,
      'RESERVED_PROPERTY',
    );
    const sent = await send(ORDERS, { body: 'fine', properties: { RETRY_TOPIC_X: 'y', app: 'z' } });
    expect((await call('GET', `/messages/${sent.msgId}`)).body.properties).toEqual({ RETRY_TOPIC_X: 'y', app: 'z' });
  });

  it('every reserved name is refused over REST', async () => {
    for (const name of RESERVED_PROPERTIES) {
      expectError(
        await call('POST', `/topics/${ORDERS}/messages`, { body: 'x', properties: { [name]: '1' } }),
        400,
        'RESERVED_PROPERTY',
      );
    }
  });

  it("HTTP protocol: RETRY_TOPIC is refused with InvalidArgument and flaremq's code; the SDK's own properties are accepted", async () => {
    const post = (props: string) =>
      exports.default.fetch(
        new Request(`http://flaremq.test/topics/${ORDERS}/messages`, { method: 'POST', body: publishXml('x', props) }),
      );
    const refused = await post(`a:1|RETRY_TOPIC:${PAYMENTS}`);
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(text).toContain('<Code>InvalidArgument</Code>');
    expect(text).toContain('RESERVED_PROPERTY');
    expect(text).toContain('RETRY_TOPIC');
    for (const props of [
      'KEYS:k1 k2|a:1',
      '__SHARDINGKEY:s1',
      `__STARTDELIVERTIME:${Date.now() + 60_000}`,
      '__TransCheckT:10',
    ]) {
      expect((await post(props)).status).toBe(201);
    }
    expect((await post('ORIGIN_MESSAGE_ID:x')).status).toBe(400);
  });
});
