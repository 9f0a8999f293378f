/**
 * The RocketMQ HTTP protocol's routes inside workerd. The test Worker has no
 * FLAREMQ_ACCOUNTS, so it runs in local development mode (no signatures);
 * signed requests go to the app with an env that has accounts.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/workers/app';
import { md5Hex, sign, stringToSign } from '../../src/workers/http-protocol/signature';
import { parseXml } from '../../src/workers/http-protocol/xml';
import { call, uniqueName } from './helpers';

const XML_TYPE = 'text/xml;charset=utf-8';

function publishXml(body: string, tag?: string, properties?: string): string {
  let xml = `<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody><![CDATA[${body}]]></MessageBody>`;
  if (tag) xml += `<MessageTag><![CDATA[${tag}]]></MessageTag>`;
  if (properties) xml += `<Properties><![CDATA[${properties}]]></Properties>`;
  return `${xml}</Message>`;
}

function protocol(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://flaremq.test${path}`, init));
}

async function read(
  res: Response,
): Promise<{ status: number; requestId: string | null; root: string; fields: Record<string, string> }> {
  const text = await res.text();
  if (!text) return { status: res.status, requestId: res.headers.get('x-mq-request-id'), root: '', fields: {} };
  expect(res.headers.get('content-type')).toBe(XML_TYPE);
  const doc = parseXml(text);
  const fields: Record<string, string> = {};
  for (const child of doc.children) fields[child.name] = child.text;
  return { status: res.status, requestId: res.headers.get('x-mq-request-id'), root: doc.name, fields };
}

const md5 = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest('MD5', new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();

describe('publish', () => {
  it('answers 201 with MessageId (the unique key) and MessageBodyMD5, and stores tag, keys and properties', async () => {
    const topic = uniqueName('HttpPub');
    const res = await read(
      await protocol(`/topics/${topic}/messages`, {
        method: 'POST',
        body: publishXml('hello ✓', 'TagA', 'KEYS:k1 k2|a:1'),
      }),
    );
    expect(res.status).toBe(201);
    expect(res.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(res.root).toBe('Message');
    expect(res.fields.MessageId).toMatch(/^[0-9A-F]{32}$/);
    expect(res.fields.MessageBodyMD5).toBe(await md5('hello ✓'));
    const found = await call('GET', `/topics/${topic}/messages?uniqueKey=${res.fields.MessageId}`);
    expect(found.body.messages[0]).toMatchObject({
      body: 'hello ✓',
      tags: 'TagA',
      keys: 'k1 k2',
      properties: { a: '1' },
    });
  });

  it('puts a namespaced topic at ns%topic', async () => {
    const topic = uniqueName('HttpNs');
    const res = await read(
      await protocol(`/topics/${topic}/messages?ns=INST_1`, { method: 'POST', body: publishXml('x') }),
    );
    expect(res.status).toBe(201);
    const found = await call(
      'GET',
      `/topics/${encodeURIComponent(`INST_1%${topic}`)}/messages?uniqueKey=${res.fields.MessageId}`,
    );
    expect(found.body.messages).toHaveLength(1);
  });

  it('sends an ordered message to the queue of its sharding key', async () => {
    const topic = uniqueName('HttpOrder');
    const queues = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await read(
        await protocol(`/topics/${topic}/messages`, {
          method: 'POST',
          body: publishXml(`m${i}`, '', '__SHARDINGKEY:order-9'),
        }),
      );
      const found = await call('GET', `/topics/${topic}/messages?uniqueKey=${res.fields.MessageId}`);
      queues.add(`${found.body.messages[0].brokerName}/${found.body.messages[0].queueId}`);
      expect(found.body.messages[0].properties.__SHARDINGKEY).toBe('order-9');
    }
    expect(queues.size).toBe(1);
  });

  it('holds a timed message until __STARTDELIVERTIME', async () => {
    const topic = uniqueName('HttpTimed');
    const at = Date.now() + 60_000;
    const res = await read(
      await protocol(`/topics/${topic}/messages`, {
        method: 'POST',
        body: publishXml('later', '', `__STARTDELIVERTIME:${at}`),
      }),
    );
    expect(res.status).toBe(201);
    const status = await call('GET', `/topics/${topic}/status`);
    expect(status.body.queues.reduce((n: number, q: { pendingTimers: number }) => n + q.pendingTimers, 0)).toBe(1);
  });

  it.each([
    ['broken XML', '<Message><MessageBody>x</Message>', 400, 'MalformedXML'],
    ['no body', '', 400, 'MalformedXML'],
    ['an empty MessageBody', publishXml(''), 400, 'InvalidArgument'],
    [
      'a DOCTYPE',
      '<!DOCTYPE Message [<!ENTITY a "b">]><Message><MessageBody>&a;</MessageBody></Message>',
      400,
      'MalformedXML',
    ],
    ['a bad tag', publishXml('x', 'A B'), 400, 'InvalidArgument'],
  ])('refuses %s in XML, with a request id', async (_what, body, status, code) => {
    const res = await read(await protocol(`/topics/${uniqueName('HttpBad')}/messages`, { method: 'POST', body }));
    expect(res).toMatchObject({ status, root: 'Error' });
    expect(res.fields.Code).toBe(code);
    expect(res.fields.RequestId).toBe(res.requestId);
    expect(res.fields.HostId).toBe('http://flaremq.test');
    expect(res.fields.Message.length).toBeGreaterThan(0);
  });

  it('refuses a bad topic name or namespace', async () => {
    expect(
      (await read(await protocol('/topics/bad%20name/messages', { method: 'POST', body: publishXml('x') }))).fields
        .Code,
    ).toBe('InvalidArgument');
    expect(
      (await read(await protocol('/topics/T/messages?ns=a%25b', { method: 'POST', body: publishXml('x') }))).fields
        .Code,
    ).toBe('InvalidArgument');
  });

  it('answers another method with MethodNotAllowed', async () => {
    const res = await read(await protocol('/topics/T/messages', { method: 'PUT', body: 'x' }));
    expect(res).toMatchObject({ status: 405, root: 'Error', fields: { Code: 'MethodNotAllowed' } });
  });
});

async function readMessages(
  res: Response,
): Promise<{ status: number; messages: Record<string, string>[]; code?: string }> {
  const text = await res.text();
  const doc = parseXml(text);
  if (doc.name === 'Error')
    return { status: res.status, messages: [], code: doc.children.find((c) => c.name === 'Code')?.text };
  expect(doc.name).toBe('Messages');
  return {
    status: res.status,
    messages: doc.children.map((m) => Object.fromEntries(m.children.map((f) => [f.name, f.text]))),
  };
}

function ackXml(handles: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><ReceiptHandles xmlns="http://mq.aliyuncs.com/doc/v1/">${handles.map((h) => `<ReceiptHandle><![CDATA[${h}]]></ReceiptHandle>`).join('')}</ReceiptHandles>`;
}

/** A topic and a group that reads it from its first offset (the protocol has no way to say where a new group starts). */
async function topicAndGroup(prefix: string): Promise<{ topic: string; group: string }> {
  const topic = uniqueName(prefix);
  const group = uniqueName(`G${prefix}`);
  expect((await call('PUT', `/topics/${topic}`, { queueNums: 2 })).status).toBe(200);
  expect((await call('PUT', `/groups/${group}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })).status).toBe(200);
  return { topic, group };
}

describe('consume and ack', () => {
  it('consumes with a tag filter, every field the SDKs read, then acks', async () => {
    const { topic, group } = await topicAndGroup('HttpConsume');
    for (const [body, tag, props] of [
      ['one ✓', 'TagA', 'KEYS:k1|p:1'],
      ['two', 'TagB', ''],
      ['three & <four>', 'TagA', 'q:2'],
    ]) {
      expect(
        (await protocol(`/topics/${topic}/messages`, { method: 'POST', body: publishXml(body, tag, props) })).status,
      ).toBe(201);
    }
    const got = await readMessages(
      await protocol(`/topics/${topic}/messages?consumer=${group}&numOfMessages=16&waitseconds=1&tag=TagA`),
    );
    expect(got.status).toBe(200);
    expect(got.messages.map((m) => m.MessageBody).sort()).toEqual(['one ✓', 'three & <four>']);
    const one = got.messages.find((m) => m.MessageBody === 'one ✓')!;
    expect(one).toMatchObject({ MessageTag: 'TagA', ConsumedTimes: '1', MessageBodyMD5: await md5('one ✓') });
    expect(one.MessageId).toMatch(/^[0-9A-F]{32}$/);
    expect(one.Properties.split('|').sort()).toEqual(['KEYS:k1', 'p:1']);
    expect(Number(one.NextConsumeTime)).toBeGreaterThan(Number(one.FirstConsumeTime));
    expect(Number(one.FirstConsumeTime)).toBeGreaterThanOrEqual(Number(one.PublishTime));
    expect(one.ReceiptHandle.length).toBeGreaterThan(0);

    // Nothing more with TagA: 404 MessageNotExist.
    const none = await readMessages(
      await protocol(`/topics/${topic}/messages?consumer=${group}&numOfMessages=16&tag=TagA`),
    );
    expect(none).toMatchObject({ status: 404, code: 'MessageNotExist' });

    const handles = got.messages.map((m) => m.ReceiptHandle);
    const acked = await protocol(`/topics/${topic}/messages?consumer=${group}`, {
      method: 'DELETE',
      body: ackXml(handles),
    });
    expect(acked.status).toBe(204);
    expect(acked.headers.get('x-mq-request-id')).toMatch(/^[0-9A-F]{24}$/);
    expect(await acked.text()).toBe('');

    // Acked again (a retry: acked, no error), with handles that are not handles: the Errors list, one Error per failed handle.
    const again = await protocol(`/topics/${topic}/messages?consumer=${group}`, {
      method: 'DELETE',
      body: ackXml(['bogus', handles[0], 'nothex']),
    });
    expect(again.status).toBe(404);
    const errors = parseXml(await again.text());
    expect(errors.name).toBe('Errors');
    const list = errors.children.map((e) => Object.fromEntries(e.children.map((f) => [f.name, f.text])));
    expect(list).toEqual([
      { ErrorCode: 'ReceiptHandleError', ErrorMessage: expect.any(String), ReceiptHandle: 'bogus' },
      { ErrorCode: 'ReceiptHandleError', ErrorMessage: expect.any(String), ReceiptHandle: 'nothex' },
    ]);
  });

  it('consumes orderly: a sharding key’s next message waits for the ack of the one before', async () => {
    const { topic, group } = await topicAndGroup('HttpOrderly');
    for (let i = 0; i < 3; i++) {
      await protocol(`/topics/${topic}/messages`, {
        method: 'POST',
        body: publishXml(`k-${i}`, '', '__SHARDINGKEY:key-1'),
      });
    }
    const seen: string[] = [];
    const batches: string[][] = [];
    for (let round = 0; round < 10 && seen.length < 3; round++) {
      const got = await readMessages(
        await protocol(`/topics/${topic}/messages?consumer=${group}&numOfMessages=16&waitseconds=1&trans=order`),
      );
      if (got.status === 404) continue;
      batches.push(got.messages.map((m) => m.MessageBody));
      seen.push(...got.messages.map((m) => m.MessageBody));
      const acked = await protocol(`/topics/${topic}/messages?consumer=${group}`, {
        method: 'DELETE',
        body: ackXml(got.messages.map((m) => m.ReceiptHandle)),
      });
      expect(acked.status).toBe(204);
    }
    expect(seen).toEqual(['k-0', 'k-1', 'k-2']);
    // Each answer held one message of the key: the next came only after the ack.
    expect(batches).toEqual([['k-0'], ['k-1'], ['k-2']]);
  });

  it('a lost answer to ack: the retried DELETE of the same handles answers 204 again; a redelivered handle is still refused', async () => {
    const { topic, group } = await topicAndGroup('HttpAckRetry');
    await protocol(`/topics/${topic}/messages`, { method: 'POST', body: publishXml('acked') });
    await protocol(`/topics/${topic}/messages`, { method: 'POST', body: publishXml('lapsed') });
    const got = await readMessages(
      await protocol(`/topics/${topic}/messages?consumer=${group}&numOfMessages=16&waitseconds=1`),
    );
    const handleOf = (body: string) => got.messages.find((m) => m.MessageBody === body)!.ReceiptHandle;
    const ackOf = (handles: string[]) =>
      protocol(`/topics/${topic}/messages?consumer=${group}`, { method: 'DELETE', body: ackXml(handles) });

    expect((await ackOf([handleOf('acked')])).status).toBe(204);
    // The 204 was lost on its way back; the application sends the same ack again.
    const retried = await ackOf([handleOf('acked')]);
    expect(retried.status).toBe(204);
    expect(await retried.text()).toBe('');

    // A handle whose message was delivered again (its invisible time lapsed and a consume took it) is refused.
    const status = await call('GET', `/topics/${topic}/status`);
    for (const q of status.body.queues) {
      await runInDurableObject(env.MESSAGE_QUEUE.getByName(`${topic}/${q.brokerName}/${q.queueId}/0`), (_, state) => {
        state.storage.sql.exec(
          'UPDATE mqp_inflight SET invisible_until = invisible_until - 86400000 WHERE grp = ?',
          group,
        );
      });
    }
    const again = await readMessages(
      await protocol(`/topics/${topic}/messages?consumer=${group}&numOfMessages=16&waitseconds=1`),
    );
    expect(again.messages.map((m) => [m.MessageBody, m.ConsumedTimes])).toEqual([['lapsed', '2']]);
    const stale = await ackOf([handleOf('lapsed')]);
    expect(stale.status).toBe(404);
    expect(await stale.text()).toContain('<ErrorCode>MessageNotExist</ErrorCode>');
    expect((await ackOf([again.messages[0].ReceiptHandle])).status).toBe(204);
  });

  it("a resent dead letter comes back to its group's next consume of the original topic, acks with 204, and to no other group", async () => {
    const { topic, group } = await topicAndGroup('HttpResend');
    const other = uniqueName('GHttpResendOther');
    expect((await call('PUT', `/groups/${other}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })).status).toBe(200);
    expect((await call('PUT', `/groups/${group}`, { maxReconsumeTimes: 0 })).status).toBe(200);
    await protocol(`/topics/${topic}/messages`, { method: 'POST', body: publishXml('poison', 'TagA') });
    const consume = (g: string) => protocol(`/topics/${topic}/messages?consumer=${g}&numOfMessages=16&waitseconds=1`);
    const ackOf = (g: string, handles: string[]) =>
      protocol(`/topics/${topic}/messages?consumer=${g}`, { method: 'DELETE', body: ackXml(handles) });

    const theirs = await readMessages(await consume(other));
    expect((await ackOf(other, [theirs.messages[0].ReceiptHandle])).status).toBe(204);

    // The group fails it once; past maxReconsumeTimes (0) it goes to %DLQ%{group}; an admin resends it.
    expect((await readMessages(await consume(group))).messages.map((m) => m.MessageBody)).toEqual(['poison']);
    const status = await call('GET', `/topics/${topic}/status`);
    for (const q of status.body.queues) {
      await runInDurableObject(env.MESSAGE_QUEUE.getByName(`${topic}/${q.brokerName}/${q.queueId}/0`), (_, state) => {
        state.storage.sql.exec(
          'UPDATE mqp_inflight SET invisible_until = invisible_until - 86400000 WHERE grp = ?',
          group,
        );
      });
    }
    expect(
      await readMessages(await protocol(`/topics/${topic}/messages?consumer=${group}&numOfMessages=16`)),
    ).toMatchObject({ status: 404, code: 'MessageNotExist' });
    const dlq = await call('GET', `/groups/${group}/dlq`);
    expect(dlq.body.total).toBe(1);
    expect((await call('POST', `/groups/${group}/dlq/${dlq.body.messages[0].msgId}/resend`)).status).toBe(200);

    const back = await readMessages(await consume(group));
    expect(back.messages.map((m) => [m.MessageBody, m.MessageTag, m.ConsumedTimes])).toEqual([['poison', 'TagA', '1']]);
    expect((await ackOf(group, [back.messages[0].ReceiptHandle])).status).toBe(204);
    expect(
      await readMessages(await protocol(`/topics/${topic}/messages?consumer=${other}&numOfMessages=16`)),
    ).toMatchObject({ status: 404, code: 'MessageNotExist' });
  });

  it.each([
    ['no consumer', '?numOfMessages=1', 'InvalidArgument'],
    ['numOfMessages 17', '?consumer=G&numOfMessages=17', 'InvalidArgument'],
    ['numOfMessages 0', '?consumer=G&numOfMessages=0', 'InvalidArgument'],
    ['waitseconds 31', '?consumer=G&waitseconds=31', 'InvalidArgument'],
    ['an unknown trans', '?consumer=G&trans=nope', 'InvalidArgument'],
    ['a bad tag expression', '?consumer=G&tag=A%7C%7C', 'InvalidArgument'],
  ])('refuses a consume with %s', async (_what, query, code) => {
    const res = await read(await protocol(`/topics/${uniqueName('HttpBadConsume')}/messages${query}`));
    expect(res).toMatchObject({ status: 400, fields: { Code: code } });
  });

  it('answers TopicNotExist for a topic that does not exist', async () => {
    const res = await read(await protocol(`/topics/${uniqueName('HttpNoTopic')}/messages?consumer=G`));
    expect(res).toMatchObject({ status: 404, fields: { Code: 'TopicNotExist' } });
  });

  it('refuses an ack without handles, and a handle of another topic', async () => {
    const { topic, group } = await topicAndGroup('HttpAckBad');
    const empty = await read(
      await protocol(`/topics/${topic}/messages?consumer=${group}`, { method: 'DELETE', body: ackXml([]) }),
    );
    expect(empty).toMatchObject({ status: 400, fields: { Code: 'MissingReceiptHandle' } });
    await protocol(`/topics/${topic}/messages`, { method: 'POST', body: publishXml('x') });
    const got = await readMessages(await protocol(`/topics/${topic}/messages?consumer=${group}&waitseconds=1`));
    const other = await protocol(`/topics/${uniqueName('Other')}/messages?consumer=${group}`, {
      method: 'DELETE',
      body: ackXml([got.messages[0].ReceiptHandle]),
    });
    expect(other.status).toBe(404);
    expect(await other.text()).toContain('<ErrorCode>ReceiptHandleError</ErrorCode>');
  });
});

describe('transactional messages', () => {
  it('keeps a half message from consumers until commit; rollback discards; a handle ends once', async () => {
    const { topic, group } = await topicAndGroup('HttpTrans');
    const publish = async (body: string) => {
      const res = await read(
        await protocol(`/topics/${topic}/messages`, {
          method: 'POST',
          body: publishXml(body, 'T', '__TransCheckT:3600'),
        }),
      );
      expect(res.status).toBe(201);
      expect(res.fields.ReceiptHandle.length).toBeGreaterThan(0);
      expect(res.fields.MessageBodyMD5).toBe(await md5(body));
      return res.fields;
    };
    const kept = await publish('kept');
    const dropped = await publish('dropped');
    expect(
      await readMessages(await protocol(`/topics/${topic}/messages?consumer=${group}&numOfMessages=16`)),
    ).toMatchObject({ status: 404, code: 'MessageNotExist' });

    const end = (trans: string, handles: string[]) =>
      protocol(`/topics/${topic}/messages?consumer=PG&trans=${trans}`, { method: 'DELETE', body: ackXml(handles) });
    expect((await end('commit', [kept.ReceiptHandle])).status).toBe(204);
    expect((await end('rollback', [dropped.ReceiptHandle])).status).toBe(204);

    const got = await readMessages(
      await protocol(`/topics/${topic}/messages?consumer=${group}&numOfMessages=16&waitseconds=1`),
    );
    expect(got.messages.map((m) => [m.MessageId, m.MessageBody])).toEqual([[kept.MessageId, 'kept']]);
    expect(got.messages[0].Properties).toContain('__TransCheckT:3600');

    const again = await end('commit', [kept.ReceiptHandle, 'bogus']);
    expect(again.status).toBe(404);
    const text = await again.text();
    expect(text).toContain('<ErrorCode>MessageNotExist</ErrorCode>');
    expect(text).toContain('<ErrorCode>ReceiptHandleError</ErrorCode>');
  });

  it('refuses a message both timed and transactional, and an unknown trans on DELETE', async () => {
    const timed = await read(
      await protocol(`/topics/${uniqueName('HttpTT')}/messages`, {
        method: 'POST',
        body: publishXml('x', '', `__TransCheckT:10|__STARTDELIVERTIME:${Date.now() + 60_000}`),
      }),
    );
    expect(timed).toMatchObject({ status: 400, fields: { Code: 'InvalidArgument' } });
    const bad = await read(
      await protocol('/topics/T/messages?consumer=G&trans=pop', { method: 'DELETE', body: ackXml(['h']) }),
    );
    expect(bad).toMatchObject({ status: 400, fields: { Code: 'InvalidArgument' } });
  });
});

describe('signed requests (accounts configured)', () => {
  const secret = 'unit-secret';
  const signedEnv = {
    ...env,
    FLAREMQ_ACCOUNTS: JSON.stringify([
      { accessKey: 'unit-ak', secretKey: secret, defaultTopicPerm: 'PUB|SUB', defaultGroupPerm: 'SUB' },
    ]),
  };

  async function signedPublish(topic: string, secretKey: string): Promise<Response> {
    const body = publishXml('signed');
    // Content-MD5 as the official SDK sends it (base64 of the hex MD5): required on a signed body.
    const contentMd5 = btoa(await md5Hex(new TextEncoder().encode(body)));
    const headers: Record<string, string> = {
      date: new Date().toUTCString(),
      'x-mq-version': '2015-06-06',
      'content-type': XML_TYPE,
      'content-md5': contentMd5,
    };
    const resource = `/topics/${topic}/messages`;
    const text = stringToSign({
      method: 'POST',
      contentMd5,
      contentType: XML_TYPE,
      date: headers.date,
      headers: Object.entries(headers),
      resource,
    });
    headers.authorization = `MQ unit-ak:${await sign(secretKey, text)}`;
    return app.fetch(new Request(`http://flaremq.test${resource}`, { method: 'POST', headers, body }), signedEnv);
  }

  it('accepts a request signed with the account’s secret and refuses another', async () => {
    const topic = uniqueName('HttpSigned');
    expect((await read(await signedPublish(topic, secret))).status).toBe(201);
    const refused = await read(await signedPublish(topic, 'wrong'));
    expect(refused).toMatchObject({ status: 403, fields: { Code: 'SignatureDoesNotMatch' } });
  });

  it('answers a broken FLAREMQ_ACCOUNTS with InternalError (SERVER_MISCONFIGURED), without its details', async () => {
    const res = await read(
      await app.fetch(new Request('http://flaremq.test/topics/T/messages', { method: 'POST', body: publishXml('x') }), {
        ...env,
        FLAREMQ_ACCOUNTS: 'nope',
      }),
    );
    expect(res).toMatchObject({ status: 500, fields: { Code: 'InternalError' } });
    expect(res.fields.Message).toContain('SERVER_MISCONFIGURED');
    expect(res.fields.Message).not.toContain('FLAREMQ_ACCOUNTS');
  });
});

describe('the rest of the Worker', () => {
  it('keeps JSON answers outside the protocol’s paths', async () => {
    const res = await exports.default.fetch(new Request('http://flaremq.test/topics/T'));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
