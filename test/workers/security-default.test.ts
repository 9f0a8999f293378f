/**
 * Issue 12, items 1, 8 and 11: what a fresh deployment (no accounts, no
 * FLAREMQ_MODE) serves, HEAD on the RocketMQ HTTP protocol, and what a
 * refusal tells an anonymous caller. The test Worker runs in development mode,
 * so the attacks call the app with the vars of the deployment they attack;
 * state is set up and checked through the development-mode Worker.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signingHeaders } from '../../src/core/request-signing';
import { app } from '../../src/workers/app';
import { protocolGate } from '../../src/workers/security/protocol-gate';
import { sign, stringToSign } from '../../src/workers/http-protocol/signature';
import { parseXml } from '../../src/workers/http-protocol/xml';
import { createTopic, send, uniqueName } from './helpers';

/** What `wrangler deploy` gives without secrets: wrangler.toml's vars, no FLAREMQ_ACCOUNTS, no FLAREMQ_MODE. */
const fresh = { ...env, FLAREMQ_MODE: undefined, FLAREMQ_ACCOUNTS: undefined };

const XML = 'text/xml;charset=utf-8';

interface ProtocolAnswer {
  status: number;
  text: string;
  fields: Record<string, string>;
  messages: Record<string, string>[];
}

/** A RocketMQ HTTP protocol request, signed by `as` ([accessKey, secretKey]) when given, against `vars`. */
async function md5OfBody(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('MD5', new TextEncoder().encode(body)));
  return btoa([...digest].map((b) => b.toString(16).padStart(2, '0')).join(''));
}

async function protocol(
  vars: object,
  method: string,
  resource: string,
  opts: { as?: [string, string]; body?: string; date?: string } = {},
): Promise<ProtocolAnswer> {
  const headers: Record<string, string> = {
    date: opts.date ?? new Date().toUTCString(),
    'x-mq-version': '2015-06-06',
    'content-type': XML,
  };
  // Content-MD5 as the official SDK sends it (base64 of the hex digest): a signed request with a body must carry it.
  if (opts.body !== undefined) headers['content-md5'] = await md5OfBody(opts.body);
  if (opts.as) {
    const text = stringToSign({
      method,
      contentMd5: headers['content-md5'] ?? '',
      contentType: XML,
      date: headers.date,
      headers: Object.entries(headers),
      resource,
    });
    headers.authorization = `MQ ${opts.as[0]}:${await sign(opts.as[1], text)}`;
  }
  const res = await app.fetch(
    new Request(`http://flaremq.test${resource}`, { method, headers, body: opts.body }),
    vars,
  );
  const text = await res.text();
  const fields: Record<string, string> = {};
  const messages: Record<string, string>[] = [];
  if (text) {
    const doc = parseXml(text);
    for (const child of doc.children) {
      fields[child.name] = child.text;
      if (child.name === 'Message') messages.push(Object.fromEntries(child.children.map((c) => [c.name, c.text])));
    }
  }
  return { status: res.status, text, fields, messages };
}

/** A REST request against `vars`, unsigned unless `as` is given. */
async function rest(
  vars: object,
  method: string,
  path: string,
  as?: { accessKey: string; secretKey: string },
  now?: number,
) {
  const url = `http://flaremq.test${path}`;
  const headers = as ? await signingHeaders(as, { method, url }, now) : {};
  const res = await app.fetch(new Request(url, { method, headers }), vars);
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined,
  };
}

afterEach(() => vi.restoreAllMocks());

describe('a fresh deployment (no accounts, no FLAREMQ_MODE)', () => {
  it('refuses an unsigned GET /topics/Secret/messages?consumer=GID_victim on the HTTP protocol, which takes nothing', async () => {
    const topic = uniqueName('Secret');
    const victim = uniqueName('GID_victim');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const consume = `/topics/${topic}/messages?consumer=${victim}&numOfMessages=16`;
    // The victim consumes once (nothing yet), so its group exists and starts before the message.
    expect((await protocol(env, 'GET', consume)).status).toBe(404);
    const sent = await send(topic, { body: 'the secret' });

    const attack = await protocol(fresh, 'GET', consume);
    expect(attack.status).toBe(403);
    expect(attack.fields.Code).toBe('AccessDenied');
    expect(attack.text).not.toContain('the secret');
    expect(attack.fields.Message).toContain('FLAREMQ_ACCOUNTS');

    const real = await protocol(env, 'GET', consume);
    expect(real.status).toBe(200);
    expect(real.messages.map((m) => [m.MessageBody, m.ConsumedTimes])).toEqual([['the secret', '1']]);
    expect(sent.msgId).toBeTruthy();
  });

  it('serves nothing unsigned but the OpenAPI document and the index; every read says how to configure accounts', async () => {
    const topic = uniqueName('SecretRead');
    const group = uniqueName('GID_read');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const sent = await send(topic, { body: 'the secret', keys: 'k1' });
    const reads = [
      '/api/v1/topics',
      `/api/v1/topics/${topic}/messages?key=k1`,
      `/api/v1/topics/${topic}/queues/broker-a/0/messages?offset=0`,
      `/api/v1/messages/${sent.msgId}`,
      `/api/v1/groups/${group}/dlq`,
      `/api/v1/groups/${group}`,
      `/api/v1/producer-groups/${uniqueName('PID')}/discarded`,
      `/api/v1/producer-groups/${uniqueName('PID')}`,
      '/api/v1/cluster',
      '/api/v1/no-such-route',
    ];
    for (const path of reads) {
      for (const method of ['GET', 'HEAD']) {
        const got = await rest(fresh, method, path);
        expect({ path, method, status: got.status }).toEqual({ path, method, status: 403 });
        expect(got.text).not.toContain('the secret');
        if (method === 'GET') {
          expect(got.body.error.code).toBe('ACCOUNTS_NOT_CONFIGURED');
          expect(got.body.error.message).toContain('FLAREMQ_ACCOUNTS');
          expect(got.body.error.message).toContain('FLAREMQ_MODE=development');
        }
      }
    }
    for (const method of ['POST', 'PUT', 'DELETE'])
      expect((await rest(fresh, method, `/api/v1/topics/${topic}`)).status).toBe(403);
    // What a probe needs: the OpenAPI document and the index (GET /, also the dashboard page for a browser).
    expect((await rest(fresh, 'GET', '/api/v1/openapi.json')).status).toBe(200);
    expect((await rest(fresh, 'GET', '/')).body).toMatchObject({ name: 'flaremq' });
    const page = await app.fetch(new Request('http://flaremq.test/', { headers: { accept: 'text/html' } }), fresh);
    expect({ status: page.status, type: page.headers.get('content-type') }).toEqual({
      status: 200,
      type: 'text/html; charset=utf-8',
    });
    await page.arrayBuffer();
    expect((await rest(fresh, 'GET', '/dashboard/uplot.js')).status).toBe(200);
    // /metrics needs METRICS_TOKEN outside development and open mode.
    expect((await rest(fresh, 'GET', '/metrics')).status).toBe(403);
  });

  it('refuses every method of the HTTP protocol, half messages included', async () => {
    const topic = uniqueName('SecretHttp');
    for (const [method, query] of [
      ['GET', '?consumer=G&trans=pop'],
      ['GET', '?consumer=G&trans=order'],
      ['DELETE', '?consumer=G'],
      ['POST', ''],
    ]) {
      const got = await protocol(fresh, method, `/topics/${topic}/messages${query}`, {
        body: method === 'GET' ? undefined : '<Message><MessageBody>x</MessageBody></Message>',
      });
      expect({ method, query, status: got.status, code: got.fields.Code }).toEqual({
        method,
        query,
        status: 403,
        code: 'AccessDenied',
      });
    }
  });
});

describe('HEAD on the HTTP protocol', () => {
  const TOPIC = uniqueName('HeadHalf');
  const GROUP = uniqueName('GID_head');
  const accounts = [
    { accessKey: 'ak-pub', secretKey: 'sk-pub', topicPerms: [`${TOPIC}=PUB`] },
    { accessKey: 'ak-sub', secretKey: 'sk-sub', topicPerms: [`${TOPIC}=SUB`], groupPerms: [`${GROUP}=SUB`] },
  ];
  const secured = { ...env, FLAREMQ_ACCOUNTS: JSON.stringify(accounts) };

  it('a SUB-only account cannot pop half messages with HEAD', async () => {
    await createTopic(TOPIC, { queueNums: 1, brokerNames: ['broker-a'] });
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><Message><MessageBody>half</MessageBody><Properties>__TransCheckT:10</Properties></Message>';
    expect(
      (await protocol(secured, 'POST', `/topics/${TOPIC}/messages`, { as: ['ak-pub', 'sk-pub'], body })).status,
    ).toBe(201);
    // The half message is up for checking, as if its first check had run (10 s later).
    await runInDurableObject(env.MESSAGE_QUEUE.getByName(`${TOPIC}/broker-a/0/0`), (_, state) => {
      state.storage.sql.exec('UPDATE mqt_half SET check_times = 1, invisible_until = 0');
    });
    const pop = `/topics/${TOPIC}/messages?consumer=${GROUP}&numOfMessages=16&trans=pop`;
    const head = await protocol(secured, 'HEAD', pop, { as: ['ak-sub', 'sk-sub'] });
    expect(head.status).toBeGreaterThanOrEqual(400);
    // The half message is still there for its producer to check.
    const checked = await protocol(secured, 'GET', pop, { as: ['ak-pub', 'sk-pub'] });
    expect(checked.status).toBe(200);
    expect(checked.messages.map((m) => m.MessageBody)).toEqual(['half']);
  });

  it('the gate itself takes HEAD for GET: a half-message pop needs PUB', async () => {
    const resource = `/topics/${TOPIC}/messages?consumer=${GROUP}&trans=pop`;
    const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-type': XML };
    const text = stringToSign({
      method: 'HEAD',
      contentMd5: '',
      contentType: XML,
      date: headers.date,
      headers: Object.entries(headers),
      resource,
    });
    headers.authorization = `MQ ak-sub:${await sign('sk-sub', text)}`;
    const req = new Request(`http://flaremq.test${resource}`, { method: 'HEAD', headers });
    await expect(protocolGate(req, async () => new Uint8Array(0), secured, TOPIC)).rejects.toThrow(/ACCESS_DENIED/);
  });

  it('a HEAD consume is refused even in development mode: it would pop messages and drop them', async () => {
    const topic = uniqueName('HeadDev');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const group = uniqueName('GID_headdev');
    const consume = `/topics/${topic}/messages?consumer=${group}&numOfMessages=16`;
    expect((await protocol(env, 'GET', consume)).status).toBe(404);
    await send(topic, { body: 'kept' });
    expect((await protocol(env, 'HEAD', consume)).status).toBe(405);
    expect((await protocol(env, 'GET', consume)).messages.map((m) => m.MessageBody)).toEqual(['kept']);
  });
});

describe('what a refusal tells an anonymous caller', () => {
  it('a broken FLAREMQ_ACCOUNTS answers SERVER_MISCONFIGURED without its details, which go to the log', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const broken = {
      ...env,
      FLAREMQ_ACCOUNTS: JSON.stringify([
        { accessKey: 'ak-ops-admin', secretKey: 'a', admin: true },
        { accessKey: 'ak-ops-admin', secretKey: 'b' },
      ]),
    };
    const restAnswer = await rest(broken, 'GET', '/api/v1/topics');
    expect(restAnswer.status).toBe(500);
    expect(restAnswer.body.error.code).toBe('SERVER_MISCONFIGURED');
    const protocolAnswer = await protocol(broken, 'GET', '/topics/T/messages?consumer=G');
    expect(protocolAnswer).toMatchObject({ status: 500, fields: { Code: 'InternalError' } });
    const metricsAnswer = await rest(broken, 'GET', '/metrics');
    expect(metricsAnswer.status).toBe(500);
    for (const text of [restAnswer.text, protocolAnswer.text, metricsAnswer.text]) {
      expect(text).not.toContain('ak-ops-admin');
      expect(text).not.toContain('FLAREMQ_ACCOUNTS:');
    }
    expect(logged.mock.calls.flat().join('\n')).toContain("'ak-ops-admin' is listed twice");
    const badMode = await rest({ ...env, FLAREMQ_MODE: 'dev' }, 'GET', '/api/v1/topics');
    expect({ status: badMode.status, code: badMode.body.error.code }).toEqual({
      status: 500,
      code: 'SERVER_MISCONFIGURED',
    });
    expect(badMode.text).not.toContain("'dev'");
  });

  const accounts = [{ accessKey: 'ak-real', secretKey: 'sk-real', admin: true }];
  const secured = { ...env, FLAREMQ_ACCOUNTS: JSON.stringify(accounts) };

  it('REST: an unknown access key and a wrong signature get the same answer, fresh or stale', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const unknown = { accessKey: 'ak-guess', secretKey: 'x' };
    const wrong = { accessKey: 'ak-real', secretKey: 'not-the-secret' };
    const a = await rest(secured, 'GET', '/api/v1/topics', unknown);
    const b = await rest(secured, 'GET', '/api/v1/topics', wrong);
    expect(a.status).toBe(401);
    expect(a.body).toEqual(b.body);
    const stale = Date.now() - 20 * 60_000;
    const c = await rest(secured, 'GET', '/api/v1/topics', unknown, stale);
    const d = await rest(secured, 'GET', '/api/v1/topics', wrong, stale);
    expect(c.status).toBe(401);
    expect(c.body).toEqual(d.body);
    expect(a.text + c.text).not.toContain('ak-guess');
  });

  it('HTTP protocol: an unknown access key and a wrong signature get the same answer, fresh or stale', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const resource = '/topics/T/messages?consumer=G';
    const strip = (p: ProtocolAnswer) => ({ status: p.status, code: p.fields.Code, message: p.fields.Message });
    const a = strip(await protocol(secured, 'GET', resource, { as: ['ak-guess', 'x'] }));
    const b = strip(await protocol(secured, 'GET', resource, { as: ['ak-real', 'not-the-secret'] }));
    expect(a.status).toBe(403);
    expect(a).toEqual(b);
    const date = new Date(Date.now() - 20 * 60_000).toUTCString();
    const c = strip(await protocol(secured, 'GET', resource, { as: ['ak-guess', 'x'], date }));
    const d = strip(await protocol(secured, 'GET', resource, { as: ['ak-real', 'not-the-secret'], date }));
    expect(c).toEqual(d);
    expect(JSON.stringify([a, c])).not.toContain('ak-guess');
  });
});
