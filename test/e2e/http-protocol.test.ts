/**
 * The RocketMQ HTTP protocol end to end: `wrangler dev` with accounts
 * configured, driven by the official Node SDK (@aliyunmq/mq-http-sdk),
 * unchanged. Waits are bounded loops of long polls; nothing asserts how long
 * anything took.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingHeaders } from '../../src/core/request-signing';
import { makeTempDir, startServer, type DevServer, stopAndRemove } from './server';

type Json = any;

// The SDK is CommonJS without types.
const { MQClient, MessageProperties } = createRequire(import.meta.url)('@aliyunmq/mq-http-sdk') as Json;

const ACCESS_KEY = 'e2e-ak';
const SECRET_KEY = 'e2e-secret-key';
/** A namespace (the SDKs' instanceId) per run, so that names never collide with another run's state. */
const NS = `e2e_${Date.now().toString(36)}`;
/** Shortest invisible time pop allows, so that redelivery happens within the test. */
const INVISIBLE_MS = 10_000;

let tmp: string;
let server: DevServer | null = null;
let client: Json;

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();
}

let counter = 0;
const fresh = (prefix: string) => `${prefix}_${++counter}_${Math.random().toString(36).slice(2, 7)}`;

/** The error the SDK throws, with its Code. */
async function sdkError(promise: Promise<unknown>): Promise<Json> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the SDK call to fail');
}

function serverTail(): string {
  return server ? `\n--- server output (tail) ---\n${server.output().slice(-6000)}` : '';
}

/** A REST request signed by the (admin) account: with accounts configured, the REST API needs signatures too (docs/security.md). */
async function signedFetch(method: string, path: string, body?: string): Promise<Response> {
  const url = `${server!.url}/api/v1${path}`;
  const auth = await signingHeaders({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY }, { method, url, body });
  return fetch(url, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
}

/** The REST API, for what the protocol has no request for (creating a topic and a group, as a console would). */
async function rest(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await signedFetch(method, path, body === undefined ? undefined : JSON.stringify(body));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text}${serverTail()}`);
  return JSON.parse(text);
}

/** A topic and a consumer group in the namespace, the group reading from the topic's first message. */
async function topicAndGroup(prefix: string): Promise<{ topic: string; group: string }> {
  const topic = fresh(`T_${prefix}`);
  const group = fresh(`GID_${prefix}`);
  await rest('PUT', `/topics/${encodeURIComponent(`${NS}%${topic}`)}`, { queueNums: 2 });
  await rest('PUT', `/groups/${encodeURIComponent(`${NS}%${group}`)}`, {
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  return { topic, group };
}

/**
 * Consumes until `want` messages came or `rounds` long polls (of `waitSeconds`)
 * found nothing more; MessageNotExist is the protocol's "nothing", not an error.
 */
async function consumeUntil(consume: () => Promise<Json>, want: number, rounds = 6): Promise<Json[]> {
  const got: Json[] = [];
  for (let empty = 0; got.length < want && empty < rounds; ) {
    try {
      const res = await consume();
      expect(res.code).toBe(200);
      got.push(...res.body);
    } catch (err) {
      if ((err as Json).Code !== 'MessageNotExist')
        throw new Error(`${(err as Error).message}${serverTail()}`, { cause: err });
      empty++;
    }
  }
  return got;
}

describe('RocketMQ HTTP protocol with the official SDK', () => {
  beforeAll(async () => {
    tmp = makeTempDir('flaremq-e2e-http-');
    server = await startServer({
      persistTo: join(tmp, 'state'),
      vars: {
        FLAREMQ_ACCOUNTS: JSON.stringify([
          { accessKey: ACCESS_KEY, secretKey: SECRET_KEY, admin: true },
          { accessKey: 'e2e-reader', secretKey: 'e2e-reader-secret', defaultTopicPerm: 'SUB' },
        ]),
        HTTP_INVISIBLE_TIME_MS: String(INVISIBLE_MS),
      },
    });
    client = new MQClient(server.url, ACCESS_KEY, SECRET_KEY);
  });

  afterAll(async () => {
    await stopAndRemove(server, tmp);
    server = null;
  });

  it('publishes with a tag, keys and properties: 201 with MessageId, MessageBodyMD5 and a request id', async () => {
    const topic = fresh('T_pub');
    const producer = client.getProducer(NS, topic);
    const props = new MessageProperties();
    props.messageKey('order-1');
    props.putProperty('source', 'e2e');
    const body = 'hello flaremq <xml> & "friends" ✓';
    const res = await producer.publishMessage(body, 'TagA', props).catch((err: Error) => {
      throw new Error(`${err.message}${serverTail()}`);
    });
    expect(res.code).toBe(201);
    expect(res.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(res.body.MessageId).toMatch(/^[0-9A-F]{32}$/);
    expect(res.body.MessageBodyMD5).toBe(md5(body));

    // The message is in flaremq's topic `${NS}%${topic}`, with its keys and properties.
    const found = await signedFetch(
      'GET',
      `/topics/${encodeURIComponent(`${NS}%${topic}`)}/messages?uniqueKey=${res.body.MessageId}`,
    );
    const json = (await found.json()) as Json;
    expect(json.messages).toHaveLength(1);
    expect(json.messages[0]).toMatchObject({
      body,
      tags: 'TagA',
      keys: 'order-1',
      properties: { source: 'e2e' },
      uniqueKey: res.body.MessageId,
    });
  });

  it('consumes with a tag filter: body, MD5, tag, keys, properties and delivery fields; then acks', async () => {
    const { topic, group } = await topicAndGroup('consume');
    const producer = client.getProducer(NS, topic);
    const sent = new Map<string, string>();
    for (const [body, tag, key] of [
      ['first ✓ <a>', 'TagA', 'k-1'],
      ['second', 'TagB', 'k-2'],
      ['third & "q"', 'TagA', 'k-3'],
    ]) {
      const props = new MessageProperties();
      props.messageKey(key);
      props.putProperty('n', key.slice(2));
      const res = await producer.publishMessage(body, tag, props);
      sent.set(res.body.MessageId, body);
    }
    const consumer = client.getConsumer(NS, topic, group, 'TagA');
    const got = await consumeUntil(() => consumer.consumeMessage(16, 3), 2);
    expect(got.map((m) => m.MessageBody).sort()).toEqual(['first ✓ <a>', 'third & "q"']);
    for (const m of got) {
      expect(sent.get(m.MessageId)).toBe(m.MessageBody);
      expect(m.MessageBodyMD5).toBe(md5(m.MessageBody));
      expect(m.MessageTag).toBe('TagA');
      expect(m.ConsumedTimes).toBe('1');
      expect(m.MessageKey).toMatch(/^k-[13]$/);
      expect(m.Properties).toEqual({ n: m.MessageKey.slice(2) });
      expect(Number(m.NextConsumeTime)).toBeGreaterThan(Number(m.FirstConsumeTime));
      expect(Number(m.FirstConsumeTime)).toBeGreaterThanOrEqual(Number(m.PublishTime));
    }
    const acked = await consumer.ackMessage(got.map((m) => m.ReceiptHandle));
    expect(acked.code).toBe(204);
    expect(acked.requestId).toMatch(/^[0-9A-F]{24}$/);
    // Nothing more for TagA.
    expect((await sdkError(consumer.consumeMessage(16, 1))).Code).toBe('MessageNotExist');
  });

  it('delivers a message again when it is not acked, under a new handle; the old one no longer acks', async () => {
    const { topic, group } = await topicAndGroup('redeliver');
    const sentId = (await client.getProducer(NS, topic).publishMessage('again', '', null)).body.MessageId;
    const consumer = client.getConsumer(NS, topic, group);
    const [first] = await consumeUntil(() => consumer.consumeMessage(1, 5), 1);
    expect(first.MessageId).toBe(sentId);
    expect(first.ConsumedTimes).toBe('1');
    // Not acked: it comes back once its invisible time (HTTP_INVISIBLE_TIME_MS) has passed.
    const [second] = await consumeUntil(() => consumer.consumeMessage(1, 5), 1, Math.ceil((INVISIBLE_MS * 4) / 5000));
    expect(second.MessageId).toBe(sentId);
    expect(second.ConsumedTimes).toBe('2');
    expect(second.FirstConsumeTime).toBe(first.FirstConsumeTime);
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    expect(Number(second.FirstConsumeTime)).toBeLessThan(Number(second.NextConsumeTime) - INVISIBLE_MS);

    const stale = await consumer.ackMessage([first.ReceiptHandle]);
    expect(stale.code).toBe(404);
    expect(stale.body).toEqual([
      { ErrorCode: 'MessageNotExist', ErrorMessage: expect.any(String), ReceiptHandle: first.ReceiptHandle },
    ]);
    expect((await consumer.ackMessage([second.ReceiptHandle])).code).toBe(204);
  });

  it('consumes orderly: each sharding key in publish order', async () => {
    const { topic, group } = await topicAndGroup('order');
    const producer = client.getProducer(NS, topic);
    for (let i = 0; i < 4; i++) {
      for (const key of ['user-a', 'user-b']) {
        const props = new MessageProperties();
        props.shardingKey(key);
        await producer.publishMessage(`${key}:${i}`, '', props);
      }
    }
    const consumer = client.getConsumer(NS, topic, group);
    const seen: Json[] = [];
    for (let empty = 0; seen.length < 8 && empty < 6; ) {
      let batch: Json[];
      try {
        batch = (await consumer.consumeMessageOrderly(16, 2)).body;
      } catch (err) {
        if ((err as Json).Code !== 'MessageNotExist') throw err;
        empty++;
        continue;
      }
      seen.push(...batch);
      expect((await consumer.ackMessage(batch.map((m) => m.ReceiptHandle))).code).toBe(204);
    }
    for (const key of ['user-a', 'user-b']) {
      const mine = seen.filter((m) => m.ShardingKey === key).map((m) => m.MessageBody);
      expect(mine).toEqual([0, 1, 2, 3].map((i) => `${key}:${i}`));
    }
  });

  it('holds a timed message until its StartDeliverTime', async () => {
    const { topic, group } = await topicAndGroup('timed');
    const deliverAt = Date.now() + 3_000;
    const props = new MessageProperties();
    props.startDeliverTime(deliverAt);
    const sent = await client.getProducer(NS, topic).publishMessage('on time', '', props);
    expect(sent.code).toBe(201);
    const consumer = client.getConsumer(NS, topic, group);
    const [m] = await consumeUntil(() => consumer.consumeMessage(1, 5), 1);
    expect(m.MessageId).toBe(sent.body.MessageId);
    expect(m.StartDeliverTime).toBe(deliverAt);
    expect(Number(m.FirstConsumeTime)).toBeGreaterThanOrEqual(deliverAt);
    expect((await consumer.ackMessage([m.ReceiptHandle])).code).toBe(204);
  });

  it('transactions: commit makes a half message visible, rollback discards it', async () => {
    const { topic, group } = await topicAndGroup('trans');
    const producer = client.getTransProducer(NS, topic, fresh('GID_tp'));
    const props = () => {
      const p = new MessageProperties();
      p.transCheckImmunityTime(3600); // no check-back during this test
      return p;
    };
    const kept = await producer.publishMessage('committed', 'TagT', props());
    const dropped = await producer.publishMessage('rolled back', 'TagT', props());
    expect(kept.code).toBe(201);
    expect(kept.body.ReceiptHandle).toBeTruthy();
    expect(kept.body.MessageBodyMD5).toBe(md5('committed'));

    const consumer = client.getConsumer(NS, topic, group);
    expect((await sdkError(consumer.consumeMessage(16, 1))).Code).toBe('MessageNotExist');
    expect((await producer.commit(kept.body.ReceiptHandle)).code).toBe(204);
    expect((await producer.rollback(dropped.body.ReceiptHandle)).code).toBe(204);

    const got = await consumeUntil(() => consumer.consumeMessage(16, 3), 1);
    expect(got.map((m) => [m.MessageId, m.MessageBody])).toEqual([[kept.body.MessageId, 'committed']]);
    expect((await consumer.ackMessage(got.map((m) => m.ReceiptHandle))).code).toBe(204);
    // Only the committed one comes, ever: nothing more after a long poll.
    expect((await sdkError(consumer.consumeMessage(16, 2))).Code).toBe('MessageNotExist');
    // A handle ends its transaction once.
    const twice = await producer.commit(kept.body.ReceiptHandle);
    expect(twice.code).toBe(404);
    expect(twice.body[0]).toMatchObject({ ErrorCode: 'MessageNotExist', ReceiptHandle: kept.body.ReceiptHandle });
  });

  it('transactions: an unresolved half message is checked back through consumeHalfMessage, then committed', async () => {
    const { topic, group } = await topicAndGroup('check');
    const producer = client.getTransProducer(NS, topic, fresh('GID_tp'));
    const props = new MessageProperties();
    props.transCheckImmunityTime(1);
    props.putProperty('order', 'o-17');
    const sent = await producer.publishMessage('unresolved', 'TagT', props);
    expect(sent.code).toBe(201);
    // The producer "crashed" before commit: the check-back hands the message out to any producer of the topic.
    const [half] = await consumeUntil(() => producer.consumeHalfMessage(4, 5), 1, 12);
    expect(half).toMatchObject({
      MessageId: sent.body.MessageId,
      MessageBody: 'unresolved',
      MessageTag: 'TagT',
      Properties: { order: 'o-17' },
    });
    expect(half.MessageBodyMD5).toBe(md5('unresolved'));
    expect(Number(half.ConsumedTimes)).toBeGreaterThanOrEqual(1);
    expect((await producer.commit(half.ReceiptHandle)).code).toBe(204);

    const consumer = client.getConsumer(NS, topic, group);
    const got = await consumeUntil(() => consumer.consumeMessage(16, 3), 1);
    expect(got.map((m) => m.MessageId)).toEqual([sent.body.MessageId]);
    expect((await consumer.ackMessage([got[0].ReceiptHandle])).code).toBe(204);
  });

  it('refuses a wrong signature and an unknown access key, in the protocol’s XML', async () => {
    const topic = fresh('T_auth');
    const wrong = new MQClient(server!.url, ACCESS_KEY, 'not-the-secret').getProducer(NS, topic);
    const err = await sdkError(wrong.publishMessage('x', '', null));
    expect(err.Code).toBe('SignatureDoesNotMatch');
    expect(err.RequestId).toMatch(/^[0-9A-F]{24}$/);
    const unknown = new MQClient(server!.url, 'nobody', SECRET_KEY).getProducer(NS, topic);
    // An unknown access key is answered as a wrong signature, so that neither tells which (docs/security.md).
    expect((await sdkError(unknown.publishMessage('x', '', null))).Code).toBe('SignatureDoesNotMatch');
    // An unsigned request (curl) is refused too.
    const res = await fetch(`${server!.url}/topics/${topic}/messages?ns=${NS}`, {
      method: 'POST',
      body: '<Message><MessageBody>x</MessageBody></Message>',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-mq-request-id')).toMatch(/^[0-9A-F]{24}$/);
    expect(await res.text()).toContain('<Code>MissingAuthorizationHeader</Code>');
  });

  it('applies the ACL: an unsigned REST request is 401, a reader may not publish (403 AccessDenied)', async () => {
    const unsigned = await fetch(`${server!.url}/api/v1/topics`);
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as Json).error.code).toBe('UNAUTHENTICATED');
    const { topic } = await topicAndGroup('acl');
    const reader = new MQClient(server!.url, 'e2e-reader', 'e2e-reader-secret').getProducer(NS, topic);
    expect((await sdkError(reader.publishMessage('x', '', null))).Code).toBe('AccessDenied');
  });

  it('answers a bad request with InvalidArgument', async () => {
    const producer = client.getProducer(NS, fresh('T_bad'));
    const err = await sdkError(producer.publishMessage('x', 'bad tag', null));
    expect(err.Code).toBe('InvalidArgument');
    expect(err.message).toContain('tags');
  });
});
