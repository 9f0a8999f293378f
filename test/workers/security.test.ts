/**
 * Signed requests and the ACL through the Worker: the test Worker runs in
 * development mode (FLAREMQ_MODE=development, no accounts), so these tests
 * call the app with an env that has accounts, or none and no mode.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signingHeaders, TIMESTAMP_HEADER } from '../../src/core/request-signing';
import { Http } from '../../src/sdk/http';
import { createClient } from '../../src/sdk/index';
import { signingFetch } from '../../src/sdk/signing';
import { app } from '../../src/workers/app';
import { sign, stringToSign } from '../../src/workers/http-protocol/signature';
import { parseXml } from '../../src/workers/http-protocol/xml';
import { refusalCounts } from '../../src/workers/refusals';
import { uniqueName } from './helpers';

const TOPIC = uniqueName('SecT');
const DENIED_TOPIC = uniqueName('SecDenied');
const GROUP = uniqueName('GID_sec');

const ACCOUNTS = [
  { accessKey: 'admin', secretKey: 'admin-secret', admin: true },
  { accessKey: 'producer', secretKey: 'producer-secret', topicPerms: [`${TOPIC}=PUB`] },
  {
    accessKey: 'consumer',
    secretKey: 'consumer-secret',
    defaultTopicPerm: 'SUB',
    topicPerms: [`${DENIED_TOPIC}=DENY`],
    groupPerms: [`${GROUP}=SUB`],
  },
  { accessKey: 'office', secretKey: 'office-secret', admin: true, allowedIps: ['10.0.0.0/8', '2001:db8::/32'] },
];
const secured = { ...env, FLAREMQ_ACCOUNTS: JSON.stringify(ACCOUNTS) };
const closed = { ...env, FLAREMQ_MODE: undefined };
const opened = { ...env, FLAREMQ_MODE: 'open' };
const secretOf = (ak: string) => ACCOUNTS.find((a) => a.accessKey === ak)!.secretKey;

interface Answer {
  status: number;
  body: any;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A REST request signed by `as` (unsigned when undefined), against `vars`. */
async function rest(
  as: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  opts: { vars?: object; headers?: Record<string, string>; now?: number; sendBody?: string } = {},
): Promise<Answer> {
  const url = `http://flaremq.test/api/v1${path}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { ...(text ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  if (as)
    Object.assign(
      headers,
      await signingHeaders({ accessKey: as, secretKey: secretOf(as) }, { method, url, body: text }, opts.now),
    );
  return answer(
    await app.fetch(new Request(url, { method, headers, body: opts.sendBody ?? text }), opts.vars ?? secured),
  );
}

function expectCode(a: Answer, status: number, code: string): void {
  expect({ status: a.status, code: a.body?.error?.code }).toEqual({ status, code });
  expect(a.body.error.message.length).toBeGreaterThan(0);
}

describe('REST API with accounts: authentication (401)', () => {
  it('refuses an unsigned request with UNAUTHENTICATED, and counts it', async () => {
    const before = refusalCounts().find((c) => c.surface === 'rest' && c.code === 'UNAUTHENTICATED')?.count ?? 0;
    expectCode(await rest(undefined, 'GET', '/topics'), 401, 'UNAUTHENTICATED');
    expectCode(await rest(undefined, 'POST', `/topics/${TOPIC}/messages`, { body: 'x' }), 401, 'UNAUTHENTICATED');
    const after = refusalCounts().find((c) => c.surface === 'rest' && c.code === 'UNAUTHENTICATED');
    expect(after).toMatchObject({ status: 401 });
    expect(after!.count).toBe(before + 2);
  });

  it('accepts a signed request and serves the OpenAPI document unsigned', async () => {
    expect((await rest('admin', 'GET', '/topics')).status).toBe(200);
    expect((await rest(undefined, 'GET', '/openapi.json')).status).toBe(200);
  });

  it('refuses a wrong secret, an unknown key and a malformed header with INVALID_SIGNATURE', async () => {
    const url = 'http://flaremq.test/api/v1/topics';
    const wrong = await signingHeaders({ accessKey: 'admin', secretKey: 'nope' }, { method: 'GET', url });
    expectCode(await answer(await app.fetch(new Request(url, { headers: wrong }), secured)), 401, 'INVALID_SIGNATURE');
    const unknown = await signingHeaders({ accessKey: 'ghost', secretKey: 'x' }, { method: 'GET', url });
    expectCode(
      await answer(await app.fetch(new Request(url, { headers: unknown }), secured)),
      401,
      'INVALID_SIGNATURE',
    );
    for (const authorization of ['Basic YWRtaW46eA==', 'FLAREMQ-HMAC-SHA256 admin', 'FLAREMQ-HMAC-SHA256 admin:zz']) {
      const headers = { authorization, [TIMESTAMP_HEADER]: String(Date.now()) };
      expectCode(await answer(await app.fetch(new Request(url, { headers }), secured)), 401, 'INVALID_SIGNATURE');
    }
  });

  it('refuses a request whose body, path or query changed after signing', async () => {
    expectCode(
      await rest('admin', 'PUT', `/topics/${TOPIC}`, { queueNums: 1 }, { sendBody: '{"queueNums": 8}' }),
      401,
      'INVALID_SIGNATURE',
    );
    const url = `http://flaremq.test/api/v1/topics/${TOPIC}/route`;
    const headers = await signingHeaders({ accessKey: 'admin', secretKey: 'admin-secret' }, { method: 'GET', url });
    expectCode(
      await answer(
        await app.fetch(new Request(`http://flaremq.test/api/v1/topics/${DENIED_TOPIC}/route`, { headers }), secured),
      ),
      401,
      'INVALID_SIGNATURE',
    );
    expectCode(
      await answer(await app.fetch(new Request(`${url}?x=1`, { headers }), secured)),
      401,
      'INVALID_SIGNATURE',
    );
    expectCode(
      await answer(await app.fetch(new Request(url, { method: 'DELETE', headers }), secured)),
      401,
      'INVALID_SIGNATURE',
    );
  });

  it('refuses a timestamp more than 15 minutes away, or none, with REQUEST_EXPIRED', async () => {
    expectCode(
      await rest('admin', 'GET', '/topics', undefined, { now: Date.now() - 16 * 60_000 }),
      401,
      'REQUEST_EXPIRED',
    );
    expectCode(
      await rest('admin', 'GET', '/topics', undefined, { now: Date.now() + 16 * 60_000 }),
      401,
      'REQUEST_EXPIRED',
    );
    expect((await rest('admin', 'GET', '/topics', undefined, { now: Date.now() - 14 * 60_000 })).status).toBe(200);
    const url = 'http://flaremq.test/api/v1/topics';
    const { authorization } = await signingHeaders(
      { accessKey: 'admin', secretKey: 'admin-secret' },
      { method: 'GET', url },
    );
    expectCode(
      await answer(await app.fetch(new Request(url, { headers: { authorization } }), secured)),
      401,
      'REQUEST_EXPIRED',
    );
  });
});

describe('REST API with accounts: access control (403)', () => {
  it('lets the admin administer, and nobody else', async () => {
    expect((await rest('admin', 'PUT', `/topics/${TOPIC}`, { queueNums: 1 })).status).toBe(200);
    expect((await rest('admin', 'PUT', `/topics/${DENIED_TOPIC}`, { queueNums: 1 })).status).toBe(200);
    expect(
      (await rest('admin', 'PUT', `/groups/${GROUP}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })).status,
    ).toBe(200);
    for (const who of ['producer', 'consumer']) {
      expectCode(await rest(who, 'PUT', `/topics/${uniqueName('SecNew')}`, { queueNums: 1 }), 403, 'ADMIN_REQUIRED');
      expectCode(await rest(who, 'DELETE', `/topics/${TOPIC}`), 403, 'ADMIN_REQUIRED');
      expectCode(await rest(who, 'PUT', `/groups/${GROUP}`, { maxReconsumeTimes: 3 }), 403, 'ADMIN_REQUIRED');
      expectCode(
        await rest(who, 'POST', `/groups/${GROUP}/offsets/reset`, { topic: TOPIC, timestamp: 0 }),
        403,
        'ADMIN_REQUIRED',
      );
      expectCode(await rest(who, 'POST', `/groups/${GROUP}/offsets/skip`, { topic: TOPIC }), 403, 'ADMIN_REQUIRED');
      expectCode(await rest(who, 'POST', `/groups/${GROUP}/dlq/00/resend`), 403, 'ADMIN_REQUIRED');
      expectCode(await rest(who, 'PUT', '/brokers/broker-a/fault', { down: false }), 403, 'ADMIN_REQUIRED');
      expectCode(await rest(who, 'PUT', `/producer-groups/${uniqueName('PID')}`, {}), 403, 'ADMIN_REQUIRED');
    }
  });

  it('lets a producer send (PUB) but not consume; a consumer consume (SUB) but not send', async () => {
    const sent = await rest('producer', 'POST', `/topics/${TOPIC}/messages`, { body: 'secured', keys: 'sec-1' });
    expect(sent.status).toBe(200);
    expectCode(await rest('producer', 'POST', `/topics/${DENIED_TOPIC}/messages`, { body: 'x' }), 403, 'ACCESS_DENIED');
    expectCode(
      await rest(
        'producer',
        'GET',
        `/topics/${TOPIC}/queues/${sent.body.brokerName}/${sent.body.queueId}/messages?offset=0`,
      ),
      403,
      'ACCESS_DENIED',
    );
    expectCode(await rest('consumer', 'POST', `/topics/${TOPIC}/messages`, { body: 'x' }), 403, 'ACCESS_DENIED');

    const pulled = await rest(
      'consumer',
      'GET',
      `/topics/${TOPIC}/queues/${sent.body.brokerName}/${sent.body.queueId}/messages?offset=0`,
    );
    expect(pulled.status).toBe(200);
    expect(pulled.body.messages.map((m: { body: string }) => m.body)).toContain('secured');
    expect((await rest('consumer', 'GET', `/messages/${sent.body.msgId}`)).status).toBe(200);
    expectCode(await rest('producer', 'GET', `/messages/${sent.body.msgId}`), 403, 'ACCESS_DENIED');
    expectCode(
      await rest('consumer', 'GET', `/topics/${DENIED_TOPIC}/queues/broker-a/0/messages?offset=0`),
      403,
      'ACCESS_DENIED',
    );
  });

  it('needs SUB on the group as well as on the topic to consume in a group', async () => {
    const other = uniqueName('GID_other');
    const commit = { topic: TOPIC, brokerName: 'broker-a', queueId: 0, offset: 0 };
    expect((await rest('consumer', 'PUT', `/groups/${GROUP}/offsets`, commit)).status).not.toBe(403);
    expectCode(await rest('consumer', 'PUT', `/groups/${other}/offsets`, commit), 403, 'ACCESS_DENIED');
    expectCode(
      await rest('consumer', 'PUT', `/groups/${GROUP}/offsets`, { ...commit, topic: DENIED_TOPIC }),
      403,
      'ACCESS_DENIED',
    );
    expectCode(await rest('consumer', 'POST', `/groups/${GROUP}/pop`, { topic: DENIED_TOPIC }), 403, 'ACCESS_DENIED');
    expect((await rest('consumer', 'POST', `/groups/${GROUP}/pop`, { topic: TOPIC, waitMs: 0 })).status).toBe(200);
    const heartbeat = (topic: string) =>
      rest('consumer', 'POST', `/groups/${GROUP}/members/c-1/heartbeat`, {
        subscriptions: [{ topic, expression: '*' }],
      });
    expectCode(await heartbeat(DENIED_TOPIC), 403, 'ACCESS_DENIED');
    expect((await heartbeat(TOPIC)).status).toBe(200);
  });

  it('checks the route Hono serves, however its path is percent-encoded', async () => {
    expectCode(
      await rest('consumer', 'POST', `/groups/${GROUP}/offsets/re%73et`, { topic: TOPIC, timestamp: 0 }),
      403,
      'ADMIN_REQUIRED',
    );
    expectCode(
      await rest('consumer', 'PUT', `/%74opics/${uniqueName('SecEnc')}`, { queueNums: 1 }),
      403,
      'ADMIN_REQUIRED',
    );
    expectCode(
      await rest('producer', 'GET', `/topics/${TOPIC}/queues/broker-a/0/m%65ssages?offset=0`),
      403,
      'ACCESS_DENIED',
    );
    expectCode(
      await rest('consumer', 'POST', `/topics/%${TOPIC.charCodeAt(0).toString(16)}${TOPIC.slice(1)}/messages`, {
        body: 'x',
      }),
      403,
      'ACCESS_DENIED',
    );
  });

  it('refuses calls from outside allowedIps with SOURCE_IP_DENIED', async () => {
    const from = (ip?: string) =>
      rest('office', 'GET', '/topics', undefined, { headers: ip ? { 'cf-connecting-ip': ip } : {} });
    expect((await from('10.20.30.40')).status).toBe(200);
    expect((await from('2001:db8::7')).status).toBe(200);
    expectCode(await from('203.0.113.9'), 403, 'SOURCE_IP_DENIED');
    expectCode(await from(), 403, 'SOURCE_IP_DENIED');
  });

  it('counts refusals by code, for /metrics', async () => {
    await rest('producer', 'DELETE', `/topics/${TOPIC}`);
    const admin = refusalCounts().find((c) => c.surface === 'rest' && c.code === 'ADMIN_REQUIRED');
    expect(admin).toMatchObject({ status: 403 });
    expect(admin!.count).toBeGreaterThan(0);
  });
});

describe('without accounts', () => {
  it('a deployment (no FLAREMQ_MODE) refuses reads, writes and administration (security-default.test.ts has the rest)', async () => {
    expectCode(await rest(undefined, 'GET', '/topics', undefined, { vars: closed }), 403, 'ACCOUNTS_NOT_CONFIGURED');
    expectCode(
      await rest(undefined, 'POST', `/topics/${TOPIC}/messages`, { body: 'x' }, { vars: closed }),
      403,
      'ACCOUNTS_NOT_CONFIGURED',
    );
    expectCode(
      await rest(undefined, 'PUT', `/topics/${uniqueName('SecClosed')}`, {}, { vars: closed }),
      403,
      'ACCOUNTS_NOT_CONFIGURED',
    );
  });

  it('FLAREMQ_MODE=open serves everything unsigned', async () => {
    expect(
      (await rest(undefined, 'POST', `/topics/${TOPIC}/messages`, { body: 'open' }, { vars: opened })).status,
    ).toBe(200);
  });

  it('an unknown FLAREMQ_MODE is SERVER_MISCONFIGURED', async () => {
    expectCode(
      await rest(undefined, 'GET', '/topics', undefined, { vars: { ...env, FLAREMQ_MODE: 'dev' } }),
      500,
      'SERVER_MISCONFIGURED',
    );
  });
});

const XML = 'text/xml;charset=utf-8';
/** Content-MD5 as the official SDK sends it: base64 of the hex MD5 of the body. */
const sdkContentMd5 = async (text: string) =>
  btoa(
    [...new Uint8Array(await crypto.subtle.digest('MD5', new TextEncoder().encode(text)))]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join(''),
  );
const message = '<Message><MessageBody>over xml</MessageBody></Message>';

describe('RocketMQ HTTP protocol with accounts: the same ACL', () => {
  async function protocol(
    as: string | undefined,
    method: string,
    resource: string,
    body?: string,
    vars: object = secured,
  ) {
    const headers: Record<string, string> = {
      date: new Date().toUTCString(),
      'x-mq-version': '2015-06-06',
      'content-type': XML,
    };
    if (body) headers['content-md5'] = await sdkContentMd5(body); // as the official SDK: required on a signed body
    if (as) {
      const text = stringToSign({
        method,
        contentMd5: headers['content-md5'] ?? '',
        contentType: XML,
        date: headers.date,
        headers: Object.entries(headers),
        resource,
      });
      headers.authorization = `MQ ${as}:${await sign(secretOf(as), text)}`;
    }
    const res = await app.fetch(new Request(`http://flaremq.test${resource}`, { method, headers, body }), vars);
    const text = await res.text();
    const fields: Record<string, string> = {};
    if (text) for (const child of parseXml(text).children) fields[child.name] = child.text;
    return { status: res.status, fields };
  }

  it('lets PUB publish, refuses DENY with AccessDenied, and counts it', async () => {
    expect((await protocol('producer', 'POST', `/topics/${TOPIC}/messages`, message)).status).toBe(201);
    const denied = await protocol('producer', 'POST', `/topics/${DENIED_TOPIC}/messages`, message);
    expect(denied).toMatchObject({ status: 403, fields: { Code: 'AccessDenied' } });
    expect(denied.fields.Message).toContain('ACCESS_DENIED');
    expect(
      refusalCounts().find((c) => c.surface === 'http-protocol' && c.code === 'AccessDenied')?.count,
    ).toBeGreaterThan(0);
  });

  it('needs SUB on the topic and the group to consume', async () => {
    const ok = await protocol('consumer', 'GET', `/topics/${TOPIC}/messages?consumer=${GROUP}&numOfMessages=1`);
    expect([200, 404]).toContain(ok.status);
    expect(
      (await protocol('consumer', 'GET', `/topics/${TOPIC}/messages?consumer=${uniqueName('GID_no')}&numOfMessages=1`))
        .fields.Code,
    ).toBe('AccessDenied');
    expect(
      (await protocol('producer', 'GET', `/topics/${TOPIC}/messages?consumer=${GROUP}&numOfMessages=1`)).fields.Code,
    ).toBe('AccessDenied');
  });

  it('refuses unsigned protocol requests, and writes on a deployment without accounts', async () => {
    expect(await protocol(undefined, 'POST', `/topics/${TOPIC}/messages`, message)).toMatchObject({
      fields: { Code: 'MissingAuthorizationHeader' },
    });
    expect(await protocol(undefined, 'POST', `/topics/${TOPIC}/messages`, message, closed)).toMatchObject({
      status: 403,
      fields: { Code: 'AccessDenied' },
    });
  });
});

describe('early limits on the URL, query and headers', () => {
  it('answers 414 URL_TOO_LONG and 431 HEADERS_TOO_LARGE before any route', async () => {
    const call = async (path: string, headers: Record<string, string> = {}) =>
      answer(await app.fetch(new Request(`http://flaremq.test${path}`, { headers }), env));
    expectCode(await call(`/api/v1/topics/${'T'.repeat(9000)}/route`), 414, 'URL_TOO_LONG');
    expectCode(await call(`/api/v1/topics?${'x'.repeat(5000)}=1`), 414, 'URL_TOO_LONG');
    expectCode(
      await call(`/api/v1/topics?${Array.from({ length: 70 }, (_, i) => `p${i}=1`).join('&')}`),
      414,
      'URL_TOO_LONG',
    );
    // At the caps, and past the quick count of `&` with empty parameters, which do not count: not refused.
    const params = (n: number, sep: string) => Array.from({ length: n }, (_, i) => `p${i}=1`).join(sep);
    expect((await call(`/api/v1/topics?${params(64, '&')}`)).status).not.toBe(414);
    expect((await call(`/api/v1/topics?${params(40, '&&')}`)).status).not.toBe(414);
    expect((await call(`/api/v1/topics?${params(65, '&&')}`)).status).toBe(414);
    const many = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`x-h${i}`, '1']));
    expectCode(await call('/api/v1/topics', many), 431, 'HEADERS_TOO_LARGE');
    expectCode(await call('/api/v1/topics', { 'x-big': 'v'.repeat(17 * 1024) }), 431, 'HEADERS_TOO_LARGE');
    const res = await app.fetch(
      new Request(`http://flaremq.test/topics/T/messages?${'y'.repeat(5000)}=1`, { method: 'POST', body: message }),
      env,
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('URL_TOO_LONG');
  });
});

describe('the SDK with credentials', () => {
  const viaApp = async (input: string, init?: RequestInit) => app.fetch(new Request(input, init), secured);

  it('signs every request for its user', async () => {
    const admin = createClient({
      endpoint: 'http://flaremq.test',
      fetch: signingFetch({ accessKey: 'admin', secretKey: 'admin-secret' }, viaApp),
      retry: { retries: 0 },
    });
    const topic = uniqueName('SecSdk');
    await admin.admin().topics.create(topic, { queueNums: 1 });
    const sent = await admin.producer().send(topic, 'signed by the SDK');
    expect(sent.status).toBe('SEND_OK');
    expect((await admin.admin().messages.get(sent.msgId)).text()).toBe('signed by the SDK');
  });

  it('signs in Http itself when given credentials', async () => {
    const http = (credentials?: { accessKey: string; secretKey: string }) =>
      new Http({ endpoint: 'http://flaremq.test', fetch: viaApp, headers: {}, timeoutMs: 10_000, credentials });
    expect(await http({ accessKey: 'consumer', secretKey: 'consumer-secret' }).get('/topics')).toMatchObject({
      topics: expect.any(Array),
    });
    expect(
      await http()
        .get('/topics')
        .catch((e) => e.code),
    ).toBe('UNAUTHENTICATED');
  });

  it('surfaces 401 and 403 as errors with their codes', async () => {
    const anonymous = createClient({ endpoint: 'http://flaremq.test', fetch: viaApp, retry: { retries: 0 } });
    expect(
      await anonymous
        .producer()
        .send(TOPIC, 'x')
        .catch((e) => e.code),
    ).toBe('UNAUTHENTICATED');
    const consumer = createClient({
      endpoint: 'http://flaremq.test',
      fetch: signingFetch({ accessKey: 'consumer', secretKey: 'consumer-secret' }, viaApp),
      retry: { retries: 0 },
    });
    expect(
      await consumer
        .producer()
        .send(TOPIC, 'x')
        .catch((e) => e.code),
    ).toBe('ACCESS_DENIED');
  });
});
