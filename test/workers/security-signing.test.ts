/**
 * The attacks of issue 12 on signatures (items 4, 7, 9, 10), each performed as
 * the issue writes it, against the app with accounts of its own.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signingHeaders } from '../../src/core/request-signing';
import { app } from '../../src/workers/app';
import { sign, stringToSign } from '../../src/workers/http-protocol/signature';
import { parseXml } from '../../src/workers/http-protocol/xml';
import { uniqueName } from './helpers';

const TOPIC = uniqueName('SignT');
const GROUP = uniqueName('GID_sign');
const PROD = 'prod%ab12';
const ACCOUNTS = [
  { accessKey: 'admin', secretKey: 'admin-secret', admin: true },
  { accessKey: 'producer', secretKey: 'producer-secret', topicPerms: [`${TOPIC}=PUB`] },
  {
    accessKey: 'reader',
    secretKey: 'reader-secret',
    defaultTopicPerm: 'SUB',
    topicPerms: [`${PROD}=DENY`],
    groupPerms: [`${GROUP}=SUB`],
  },
];
const secured = { ...env, FLAREMQ_ACCOUNTS: JSON.stringify(ACCOUNTS) };
const secretOf = (ak: string) => ACCOUNTS.find((a) => a.accessKey === ak)!.secretKey;

interface Answer {
  status: number;
  code: string | undefined;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, code: text ? JSON.parse(text)?.error?.code : undefined };
}

/** Signed REST headers for `url` (the host included), by `as`. */
async function signed(
  as: string,
  method: string,
  url: string,
  body?: string,
  now?: number,
): Promise<Record<string, string>> {
  return {
    ...(body ? { 'content-type': 'application/json' } : {}),
    ...(await signingHeaders({ accessKey: as, secretKey: secretOf(as) }, { method, url, body }, now)),
  };
}

async function ensureTopic(): Promise<void> {
  const url = `http://flaremq.test/api/v1/topics/${TOPIC}`;
  const res = await app.fetch(
    new Request(url, { method: 'PUT', headers: await signed('admin', 'PUT', url, '{}'), body: '{}' }),
    secured,
  );
  expect(res.status).toBeLessThan(300);
}

describe('item 9: the host is signed', () => {
  it('refuses a signature made for another host (a replay against another deployment)', async () => {
    const url = `http://flaremq.test/api/v1/topics`;
    const headers = await signed('admin', 'GET', url);
    expect((await app.fetch(new Request(url, { headers }), secured)).status).toBe(200);
    const elsewhere = await answer(
      await app.fetch(new Request('http://other-deployment.test/api/v1/topics', { headers }), secured),
    );
    expect(elsewhere).toEqual({ status: 401, code: 'INVALID_SIGNATURE' });
  });
});

describe('item 9: a write replayed inside the window is refused', () => {
  it('stores a signed send once; the same signed request again gets 401 REQUEST_REPLAYED', async () => {
    await ensureTopic();
    const url = `http://flaremq.test/api/v1/topics/${TOPIC}/messages`;
    const body = JSON.stringify({ body: 'pay 100 to mallory' });
    const headers = await signed('producer', 'POST', url, body);
    expect((await app.fetch(new Request(url, { method: 'POST', headers, body }), secured)).status).toBe(200);
    const replay = await answer(await app.fetch(new Request(url, { method: 'POST', headers, body }), secured));
    expect(replay).toEqual({ status: 401, code: 'REQUEST_REPLAYED' });
    // A read may be repeated (a client's retry of a GET changes nothing).
    const get = `http://flaremq.test/api/v1/topics`;
    const getHeaders = await signed('admin', 'GET', get);
    expect((await app.fetch(new Request(get, { headers: getHeaders }), secured)).status).toBe(200);
    expect((await app.fetch(new Request(get, { headers: getHeaders }), secured)).status).toBe(200);
  });

  it('signs two identical sends made one after the other differently (a client never replays itself)', async () => {
    const url = `http://flaremq.test/api/v1/topics/${TOPIC}/messages`;
    const body = JSON.stringify({ body: 'same' });
    const a = await signingHeaders(
      { accessKey: 'producer', secretKey: 'producer-secret' },
      { method: 'POST', url, body },
    );
    const b = await signingHeaders(
      { accessKey: 'producer', secretKey: 'producer-secret' },
      { method: 'POST', url, body },
    );
    expect(a.authorization).not.toBe(b.authorization);
  });
});

describe('item 10: one decoding of the query for the ACL and the route', () => {
  it('refuses ?topic=prod%ab12 to an account with DENY on prod%ab12', async () => {
    const url = `http://flaremq.test/api/v1/groups/${GROUP}/offsets?topic=${PROD}`;
    const res = await answer(
      await app.fetch(new Request(url, { headers: await signed('reader', 'GET', url) }), secured),
    );
    expect(res).toEqual({ status: 403, code: 'ACCESS_DENIED' });
  });

  it('validates names before the ACL: a bad topic name is a 400, whoever asks', async () => {
    const url = `http://flaremq.test/api/v1/groups/${GROUP}/offsets?topic=bad%20name`;
    const res = await answer(
      await app.fetch(new Request(url, { headers: await signed('producer', 'GET', url) }), secured),
    );
    expect(res).toEqual({ status: 400, code: 'INVALID_TOPIC_NAME' });
  });

  it('refuses the same trick on the HTTP protocol (?consumer= decoded once)', async () => {
    const accounts = [
      {
        accessKey: 'c',
        secretKey: 'c-secret',
        defaultTopicPerm: 'SUB',
        defaultGroupPerm: 'SUB',
        groupPerms: ['GID_x%ab=DENY'],
      },
    ];
    const vars = { ...env, FLAREMQ_ACCOUNTS: JSON.stringify(accounts) };
    const resource = `/topics/${TOPIC}/messages?consumer=GID_x%ab&numOfMessages=1`;
    const headers: Record<string, string> = {
      date: new Date().toUTCString(),
      'x-mq-version': '2015-06-06',
      'content-type': 'text/xml;charset=utf-8',
    };
    const text = stringToSign({
      method: 'GET',
      contentMd5: '',
      contentType: headers['content-type'],
      date: headers.date,
      headers: Object.entries(headers),
      resource,
    });
    headers.authorization = `MQ c:${await sign('c-secret', text)}`;
    const res = await app.fetch(new Request(`http://flaremq.test${resource}`, { headers }), vars);
    expect({
      status: res.status,
      code: parseXml(await res.text()).children.find((c) => c.name === 'Code')?.text,
    }).toEqual({ status: 403, code: 'AccessDenied' });
  });
});

/** A body stream that records whether anything pulled it. */
function watchedBody(bytes = 1024 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => boolean } {
  let pulled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulled = true;
        controller.enqueue(new Uint8Array(bytes));
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

describe('item 7: the Authorization header, access key and timestamp are checked before the body is read', () => {
  const url = () => `http://flaremq.test/api/v1/topics/${TOPIC}/messages`;
  const now = Date.now();
  it.each([
    ['unsigned', async () => ({}), 'UNAUTHENTICATED'],
    [
      'a malformed Authorization',
      async () => ({ authorization: 'Basic abc', 'x-flaremq-timestamp': String(now) }),
      'INVALID_SIGNATURE',
    ],
    [
      'an unknown access key',
      async () => ({
        authorization: `FLAREMQ-HMAC-SHA256 ghost:${'0'.repeat(64)}`,
        'x-flaremq-timestamp': String(now),
      }),
      'INVALID_SIGNATURE',
    ],
    ['a stale timestamp', async () => signed('producer', 'POST', url(), 'x', now - 16 * 60_000), 'REQUEST_EXPIRED'],
  ])('refuses a large body %s without pulling it', async (_what, headersOf, code) => {
    const { stream, pulled } = watchedBody(8 * 1024 * 1024);
    const res = await answer(
      await app.fetch(new Request(url(), { method: 'POST', headers: await headersOf(), body: stream }), secured),
    );
    expect(res).toEqual({ status: 401, code });
    expect(pulled()).toBe(false);
  });
});

describe('item 4: the HTTP protocol signature covers the body', () => {
  const XML = 'text/xml;charset=utf-8';
  const resource = () => `/topics/${TOPIC}/messages`;
  /** A publish signed by `producer` with `contentMd5` (the only part of the signed string that covers a body), carrying `sentBody`. */
  async function publish(sentBody: string, contentMd5: string): Promise<{ status: number; code?: string }> {
    const headers: Record<string, string> = {
      date: new Date().toUTCString(),
      'x-mq-version': '2015-06-06',
      'content-type': XML,
    };
    if (contentMd5) headers['content-md5'] = contentMd5;
    const text = stringToSign({
      method: 'POST',
      contentMd5,
      contentType: XML,
      date: headers.date,
      headers: Object.entries(headers),
      resource: resource(),
    });
    headers.authorization = `MQ producer:${await sign('producer-secret', text)}`;
    const res = await app.fetch(
      new Request(`http://flaremq.test${resource()}`, { method: 'POST', headers, body: sentBody }),
      secured,
    );
    const xml = await res.text();
    return {
      status: res.status,
      code: res.status >= 400 ? parseXml(xml).children.find((c) => c.name === 'Code')?.text : undefined,
    };
  }
  const message = (text: string) => `<Message><MessageBody>${text}</MessageBody></Message>`;
  const sdkMd5 = async (text: string) => {
    const digest = new Uint8Array(await crypto.subtle.digest('MD5', new TextEncoder().encode(text)));
    return btoa([...digest].map((b) => b.toString(16).padStart(2, '0')).join(''));
  };

  it('refuses a publish whose body was swapped on the path (signed without Content-MD5)', async () => {
    await ensureTopic();
    // The producer signed a publish of 'pay 1 to bob' without Content-MD5; on the path the body became:
    expect(await publish(message('pay 1000 to mallory'), '')).toEqual({ status: 400, code: 'InvalidDigest' });
  });

  it('accepts the SDK form of Content-MD5 and refuses one of another body', async () => {
    await ensureTopic();
    const body = message('hello');
    expect((await publish(body, await sdkMd5(body))).status).toBe(201);
    expect(await publish(message('swapped'), await sdkMd5(body))).toEqual({ status: 400, code: 'InvalidDigest' });
  });
});

describe('item 7 on the HTTP protocol: the signature headers are checked before the body is read', () => {
  it.each([
    ['unsigned', {}, 'MissingAuthorizationHeader'],
    [
      'with an unknown access key',
      { authorization: 'MQ ghost:AAAAAAAAAAAAAAAAAAAAAAAAAAA=', date: new Date().toUTCString() },
      'SignatureDoesNotMatch',
    ], // one answer for an unknown key and a bad signature (item 11)
    [
      'with a stale Date',
      {
        authorization: 'MQ producer:AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        date: new Date(Date.now() - 3_600_000).toUTCString(),
      },
      'TimeExpired',
    ],
  ])('refuses a large publish %s without pulling its body', async (_what, headers: Record<string, string>, code) => {
    const { stream, pulled } = watchedBody(8 * 1024 * 1024);
    const res = await app.fetch(
      new Request(`http://flaremq.test/topics/${TOPIC}/messages`, { method: 'POST', headers, body: stream }),
      secured,
    );
    expect(parseXml(await res.text()).children.find((c) => c.name === 'Code')?.text).toBe(code);
    expect(pulled()).toBe(false);
  });
});
