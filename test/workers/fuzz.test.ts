/**
 * Hostile input, property-based (fast-check): random and malformed requests
 * at every REST route, at the RocketMQ HTTP protocol (XML), in query strings
 * and in headers. Whatever comes in: never a 5xx, never a partial write (a
 * refused send stores nothing), the broker keeps serving, and a message sent
 * before is still there after. WebSocket frames too: random frames on a
 * member's push stream and on a producer stream are answered with REST error
 * codes (the stream stays open), a producer stream stores all of a send or
 * none of it, and a push stream never sends beyond its credits. Runs are
 * bounded (numRuns) to keep the suite fast.
 */
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { signingHeaders } from '../../src/core/request-signing';
import { RESERVED_PROPERTIES } from '../../src/core/system-properties';
import { SDK_PROPERTIES } from '../../src/workers/http-protocol/messages';
import { app } from '../../src/workers/app';
import { sign, stringToSign as protocolStringToSign } from '../../src/workers/http-protocol/signature';
import { parseXml } from '../../src/workers/http-protocol/xml';
import { api, call, createTopic, maxOffsets, send, uniqueName } from './helpers';
import { join, memberStreamPath, openStream, type TestSocket } from './stream-helpers';

const RUNS = 40;
/** Generous: a slow CI machine must not fail a property that holds. */
const TIMEOUT_MS = 60_000;
const SENTINEL = uniqueName('FuzzSentinel');
let kept: { msgId: string; body: string };

beforeAll(async () => {
  await createTopic(SENTINEL, { queueNums: 1, brokerNames: ['broker-a'] });
  const body = `kept ${Math.random()}`;
  kept = { msgId: (await send(SENTINEL, { body, keys: 'kept' })).msgId, body };
});

/** The message sent before is still there, and the broker still takes and serves a new one. */
async function stillServing(): Promise<void> {
  const got = await call('GET', `/messages/${kept.msgId}`);
  expect(got.status).toBe(200);
  expect(got.body.body).toBe(kept.body);
  const topic = uniqueName('FuzzAlive');
  const sent = await send(topic, { body: 'alive' });
  const pulled = await call(
    'GET',
    `/topics/${topic}/queues/${sent.brokerName}/${sent.queueId}/messages?offset=${sent.queueOffset}`,
  );
  expect(pulled.status).toBe(200);
  expect(pulled.body.messages[0].body).toBe('alive');
}

async function total(topic: string): Promise<number> {
  return Object.values(await maxOffsets(topic)).reduce((a, b) => a + b, 0);
}

/** A REST answer: below 500, and a JSON error with a code when it is an error. */
async function expectSaneJson(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 300)}`);
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    throw new Error(`${what} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (res.status >= 400) expect((body as { error: { code: string } }).error.code, what).toMatch(/^[A-Z_]+$/);
  return body;
}

// ---- generators ----

/** A path segment: names, near-names, encodings, traversal, control characters, very long ones. */
const segment = fc
  .oneof(
    fc.stringMatching(/^[%|a-zA-Z0-9_-]{1,20}$/),
    fc.string({ maxLength: 40 }),
    fc.constantFrom(
      '..',
      '.',
      '%00',
      '%RETRY%x',
      '%DLQ%x',
      '%2F',
      'a%2Fb',
      '%FF',
      '%',
      '0',
      '-1',
      '00',
      'broker-a',
      'broker-b',
      'T'.repeat(200),
      '🙂',
      ' ',
      '\u0000',
    ),
  )
  .map((s) => (/^%[0-9A-F]{2}$|%2F|%FF|^%$/.test(s) ? s : encodeURIComponent(s)));

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1e21, Number.MAX_SAFE_INTEGER + 2),
  fc.string({ maxLength: 8 }),
  fc.constant(null),
);

/** A value for a query parameter; waits are never valid and positive, so that nothing long-polls. */
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer().map(String),
  fc.constantFrom('', '-1', '1e3', 'NaN', '99999999999999999999', 'TagA||TagB', '*', '||', 'true'),
);
const WAITS = ['-1', 'abc', '1.5', '1e3', '99999999999', '0', ''];
const query = fc
  .dictionary(
    fc.oneof(
      fc.constantFrom(
        'offset',
        'maxMessages',
        'tags',
        'key',
        'uniqueKey',
        'topic',
        'beginTime',
        'endTime',
        'bodyEncoding',
        'brokerName',
        'queueId',
        'timestamp',
        'consumer',
        'numOfMessages',
        'tag',
        'trans',
        'ns',
      ),
      fc.string({ maxLength: 10 }),
    ),
    queryValue,
    { maxKeys: 6 },
  )
  .chain((q) =>
    fc
      .record({ waitMs: fc.constantFrom(...WAITS), waitseconds: fc.constantFrom(...WAITS) }, { requiredKeys: [] })
      .map((w) => ({ ...q, ...w })),
  )
  .map((q) => new URLSearchParams(q).toString());

const messageLike = fc.record(
  {
    body: fc.oneof(fc.string({ maxLength: 50 }), fc.constant(''), fc.constant('%%%'), hostileNumber),
    bodyEncoding: fc.constantFrom('base64', 'text', 'utf8', '', 7),
    tags: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('A || B', 'T'.repeat(300), '*'), hostileNumber),
    keys: fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string(), { maxLength: 3 })),
    properties: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 10 }), hostileNumber), {
        maxKeys: 5,
      }),
      fc.string(),
      fc.constant(null),
    ),
    shardingKey: fc.oneof(fc.string({ maxLength: 20 }), hostileNumber),
    queue: fc.oneof(
      fc.record({ brokerName: fc.constantFrom('broker-a', 'broker-z', ''), queueId: hostileNumber }),
      fc.string(),
    ),
    topic: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(SENTINEL)),
    uniqueKey: fc.oneof(fc.string({ maxLength: 140 }), hostileNumber),
  },
  { requiredKeys: [] },
);

/** A send request: one message, a batch (possibly with one bad message), or junk. */
const sendBody = fc.oneof(
  messageLike,
  fc.record({ messages: fc.array(messageLike, { maxLength: 5 }) }),
  fc.record({ messages: fc.oneof(fc.string(), fc.constant([]), fc.constant(null)) }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A request body: JSON of any shape, malformed text, binary, or nothing. */
const anyBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  sendBody.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 100 }),
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    'null',
    '""',
    '\u0000',
    '{"__proto__": {"admin": true}}',
    '{"constructor": {"prototype": 1}}',
    `{"a":${'['.repeat(5000)}`,
  ),
  fc.uint8Array({ maxLength: 64 }),
  fc.constant(undefined),
);

const ROUTES: [string, string][] = [
  ['GET', '/topics'],
  ['PUT', '/topics/:x'],
  ['DELETE', '/topics/:x'],
  ['GET', '/topics/:x/route'],
  ['GET', '/topics/:x/status'],
  ['POST', '/topics/:x/messages'],
  ['GET', '/topics/:x/messages'],
  ['GET', '/topics/:x/queues/:b/:x/messages'],
  ['GET', '/topics/:x/queues/:b/:x/offset'],
  ['GET', '/messages/:x'],
  ['GET', '/timers/:x'],
  ['DELETE', '/timers/:x'],
  ['GET', '/cluster'],
  ['GET', '/brokers'],
  ['GET', '/brokers/:x/replication'],
  ['GET', '/groups'],
  ['PUT', '/groups/:x'],
  ['GET', '/groups/:x'],
  ['GET', '/groups/:x/lag'],
  ['GET', '/groups/:x/offsets'],
  ['PUT', '/groups/:x/offsets'],
  ['POST', '/groups/:x/offsets/reset'],
  ['POST', '/groups/:x/offsets/skip'],
  ['POST', '/groups/:x/members/:x/heartbeat'],
  ['DELETE', '/groups/:x/members/:x'],
  ['GET', '/groups/:x/members/:x/queues/:x/:b/:x/messages'],
  ['DELETE', '/groups/:x/members/:x/queues/:x/:b/:x/lock'],
  ['PUT', '/groups/:x/members/:x/offsets'],
  ['POST', '/groups/:x/retry'],
  ['GET', '/groups/:x/dlq'],
  ['POST', '/groups/:x/dlq/:x/resend'],
  ['POST', '/groups/:x/pop'],
  ['POST', '/groups/:x/ack'],
  ['POST', '/groups/:x/invisible'],
  ['GET', '/transactions/:x'],
  ['POST', '/transactions/:x/commit'],
  ['POST', '/transactions/:x/rollback'],
  ['PUT', '/producer-groups/:x'],
  ['GET', '/producer-groups/:x'],
  ['POST', '/producer-groups/:x/half-messages/pop'],
  ['GET', '/producer-groups/:x/discarded'],
  ['PATCH', '/topics/:x'],
  ['GET', '/:x'],
];

const route = fc.constantFrom(...ROUTES).chain(([method, template]) => {
  const xs = template.match(/:x/g)?.length ?? 0;
  const bs = template.match(/:b/g)?.length ?? 0;
  return fc
    .tuple(
      fc.array(segment, { minLength: xs, maxLength: xs }),
      fc.array(fc.oneof(fc.constantFrom('broker-a', 'broker-b'), segment), { minLength: bs, maxLength: bs }),
    )
    .map(([x, b]) => {
      let i = 0;
      let j = 0;
      return { method, path: template.replace(/:x/g, () => x[i++]).replace(/:b/g, () => b[j++]) };
    });
});

const CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
];
const headerName = fc
  .stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
  .filter((n) => !['content-length', 'host', 'transfer-encoding', 'connection', 'expect', 'upgrade'].includes(n));
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,100}$/);
const headers = fc.record({
  'content-type': fc.constantFrom(...CONTENT_TYPES),
  extra: fc.dictionary(headerName, headerValue, { maxKeys: 5 }),
  auth: fc.oneof(
    fc.constant(undefined),
    headerValue,
    fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/), fc.stringMatching(/^[0-9a-f]{0,70}$/))
      .map(([k, s]) => `FLAREMQ-HMAC-SHA256 ${k}:${s}`),
  ),
  timestamp: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 4_000_000_000_000 }).map(String), headerValue),
});

function buildHeaders(h: {
  'content-type': string;
  extra: Record<string, string>;
  auth?: string;
  timestamp?: string;
}): Headers {
  const out = new Headers(h.extra);
  if (h['content-type']) out.set('content-type', h['content-type']);
  if (h.auth !== undefined) out.set('authorization', h.auth);
  if (h.timestamp !== undefined) out.set('x-flaremq-timestamp', h.timestamp);
  return out;
}

// ---- properties ----

describe('fuzzing the REST API', () => {
  it(
    'answers random requests at every route with a JSON 4xx or a success, never a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(route, query, anyBody, headers, async ({ method, path }, qs, body, h) => {
          if (/^\/brokers\/broker-[ab]\//.test(path) || (method === 'DELETE' && path.includes(SENTINEL))) return; // no faults, no deleting the sentinel
          const withBody = method !== 'GET' && method !== 'HEAD' && body !== undefined;
          const res = await api(`${path}${qs ? `?${qs}` : ''}`, {
            method,
            headers: buildHeaders(h),
            body: withBody ? body : undefined,
          });
          await expectSaneJson(res, `${method} ${path}?${qs}`);
        }),
        { numRuns: RUNS * 3 },
      );
      await stillServing();
    },
    TIMEOUT_MS,
  );

  it(
    'stores all of a send or none of it',
    async () => {
      await fc.assert(
        fc.asyncProperty(sendBody, async (body) => {
          const before = await total(SENTINEL);
          const res = await api(`/topics/${SENTINEL}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          const answer = (await expectSaneJson(res, `send ${JSON.stringify(body).slice(0, 200)}`)) as
            | Record<string, unknown>
            | undefined;
          const after = await total(SENTINEL);
          if (res.status >= 400) {
            expect(after, 'a refused send stored something').toBe(before);
          } else {
            const count = Array.isArray((body as { messages?: unknown }).messages)
              ? (body as { messages: unknown[] }).messages.length
              : 1;
            if (!answer?.delayed) expect(after - before).toBe(count);
          }
        }),
        { numRuns: RUNS * 2 },
      );
      await stillServing();
    },
    TIMEOUT_MS,
  );

  it(
    'survives random query strings on reads of a real topic',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/messages', '/queues/broker-a/0/messages', '/queues/broker-a/0/offset', '/status', '/route'),
          query,
          async (suffix, qs) => {
            const res = await api(`/topics/${SENTINEL}${suffix}?${qs}`);
            await expectSaneJson(res, `GET ${suffix}?${qs}`);
          },
        ),
        { numRuns: RUNS },
      );
      await stillServing();
    },
    TIMEOUT_MS,
  );

  it(
    'refuses random credentials with 401 or 403 when accounts are configured, never a 5xx',
    async () => {
      const secured = {
        ...env,
        FLAREMQ_ACCOUNTS: JSON.stringify([{ accessKey: 'fuzz', secretKey: 'fuzz-secret', admin: true }]),
      };
      await fc.assert(
        fc.asyncProperty(route, headers, anyBody, async ({ method, path }, h, body) => {
          const withBody = method !== 'GET' && body !== undefined;
          const res = await app.fetch(
            new Request(`http://flaremq.test/api/v1${path}`, {
              method,
              headers: buildHeaders(h),
              body: withBody ? body : undefined,
            }),
            secured,
          );
          await expectSaneJson(res, `${method} ${path} signed at random`);
          if (!path.startsWith('/openapi')) expect([401, 403, 404, 413, 414, 431]).toContain(res.status);
        }),
        { numRuns: RUNS },
      );
      await stillServing();
    },
    TIMEOUT_MS,
  );
});

describe('fuzzing the RocketMQ HTTP protocol', () => {
  const element = fc.constantFrom(
    'Message',
    'MessageBody',
    'MessageTag',
    'Properties',
    'ReceiptHandles',
    'ReceiptHandle',
    'StartDeliverTime',
    'TransCheckImmunityTime',
    'x',
  );
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom('&amp;', '&bogus;', '&#0;', '&#x110000;', ']]>', '<![CDATA[x]]>', '&'),
  );
  const xmlish: fc.Arbitrary<string> = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      text,
      fc
        .tuple(element, fc.array(tie('node'), { maxLength: 3 }))
        .map(([name, children]) => `<${name}>${children.join('')}</${name}>`),
    ),
  })).node as fc.Arbitrary<string>;
  const document = fc.oneof(
    xmlish.map((x) => `<?xml version="1.0" encoding="UTF-8"?>${x}`),
    xmlish,
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><Message><MessageBody>&lol2;</MessageBody></Message>',
      '<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><Message><MessageBody>x</MessageBody></Message>',
      `<Message>${'<a>'.repeat(100)}x${'</a>'.repeat(100)}</Message>`,
      `<Message>${'<MessageTag>t</MessageTag>'.repeat(2000)}</Message>`,
      '<Message><MessageBody>x</MessageBody>',
      '<Message><MessageBody>x</MessageBody></Message><Message/>',
      '<ReceiptHandles><ReceiptHandle>nope</ReceiptHandle></ReceiptHandles>',
    ),
  );

  async function expectSaneXml(res: Response, what: string): Promise<void> {
    const body = await res.text();
    if (res.status >= 500) throw new Error(`${what} answered ${res.status}: ${body.slice(0, 300)}`);
    // An XML error (or an ack's per-handle errors), or flaremq's JSON one when the path is not the protocol's (an empty topic).
    if (res.status >= 400)
      expect(body, what).toMatch(
        /<Code>[A-Za-z]+<\/Code>|<ErrorCode>[A-Za-z]+<\/ErrorCode>|^\{"error":\{"code":"[A-Z_]+"/,
      );
  }

  it(
    'publishes a well-formed message or nothing, whatever the document',
    async () => {
      await fc.assert(
        fc.asyncProperty(document, query, async (doc, qs) => {
          const before = await total(SENTINEL);
          const res = await app.fetch(
            new Request(`http://flaremq.test/topics/${SENTINEL}/messages?${qs.replace(/(^|&)ns=[^&]*/g, '')}`, {
              method: 'POST',
              body: doc,
            }),
            env,
          );
          await expectSaneXml(res, `publish ${doc.slice(0, 200)}`);
          const after = await total(SENTINEL);
          if (res.status !== 201) expect(after, 'a refused publish stored something').toBe(before);
        }),
        { numRuns: RUNS * 2 },
      );
      await stillServing();
    },
    TIMEOUT_MS,
  );

  it(
    'answers random consumes and acks, query strings and headers, never with a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'DELETE', 'PUT', 'HEAD'),
          segment,
          query,
          document,
          headers,
          async (method, topic, qs, doc, h) => {
            const res = await app.fetch(
              new Request(`http://flaremq.test/topics/${topic}/messages?${qs}`, {
                method,
                headers: buildHeaders(h),
                body: method === 'DELETE' || method === 'PUT' ? doc : undefined,
              }),
              env,
            );
            if (method === 'HEAD') expect(res.status).toBeLessThan(500);
            else await expectSaneXml(res, `${method} /topics/${topic}/messages?${qs}`);
          },
        ),
        { numRuns: RUNS * 2 },
      );
      await stillServing();
    },
    TIMEOUT_MS,
  );
});

describe('fuzzing the signatures (issue 12: Content-MD5, host binding, replay)', () => {
  // Reserved properties on send (RETRY_TOPIC and the others): sec-acl's property, in its branch.
  const SIGNER = { accessKey: 'fuzz-signer', secretKey: 'fuzz-signer-secret', admin: true };
  const signedEnv = { ...env, FLAREMQ_ACCOUNTS: JSON.stringify([SIGNER]) };
  const XML = 'text/xml;charset=utf-8';
  const md5Base64Hex = async (bytes: Uint8Array) =>
    btoa(
      [...new Uint8Array(await crypto.subtle.digest('MD5', bytes))]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(''),
    );
  const codeOf = async (res: Response) => parseXml(await res.text()).children.find((c) => c.name === 'Code')?.text;
  const bodies = fc.uint8Array({ minLength: 1, maxLength: 300 });

  it(
    'refuses any HTTP-protocol publish whose body differs from the signed Content-MD5, or that has none',
    async () => {
      const topic = uniqueName('FuzzMd5');
      await createTopic(topic, { queueNums: 1 });
      const before = await total(topic);
      await fc.assert(
        fc.asyncProperty(bodies, bodies, fc.boolean(), async (signedBody, sentBody, omit) => {
          fc.pre(omit || signedBody.length !== sentBody.length || signedBody.some((b, i) => b !== sentBody[i]));
          const headers: Record<string, string> = {
            date: new Date().toUTCString(),
            'x-mq-version': '2015-06-06',
            'content-type': XML,
          };
          if (!omit) headers['content-md5'] = await md5Base64Hex(signedBody);
          const resource = `/topics/${topic}/messages`;
          const text = protocolStringToSign({
            method: 'POST',
            contentMd5: headers['content-md5'] ?? '',
            contentType: XML,
            date: headers.date,
            headers: Object.entries(headers),
            resource,
          });
          headers.authorization = `MQ ${SIGNER.accessKey}:${await sign(SIGNER.secretKey, text)}`;
          const res = await app.fetch(
            new Request(`http://flaremq.test${resource}`, { method: 'POST', headers, body: sentBody }),
            signedEnv,
          );
          expect({ status: res.status, code: await codeOf(res) }).toEqual({ status: 400, code: 'InvalidDigest' });
        }),
        { numRuns: RUNS },
      );
      expect(await total(topic)).toBe(before);
    },
    TIMEOUT_MS,
  );

  it(
    'refuses a REST signature on any host but the one signed',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.domain(),
          fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
          async (host, port) => {
            const signedFor = 'http://flaremq.test/api/v1/topics';
            const target = `http://${host}${port === undefined ? '' : `:${port}`}/api/v1/topics`;
            fc.pre(new URL(target).host !== new URL(signedFor).host);
            const headers = await signingHeaders(SIGNER, { method: 'GET', url: signedFor });
            const res = await app.fetch(new Request(target, { headers }), signedEnv);
            expect(res.status).toBe(401);
            expect((await res.json<{ error: { code: string } }>()).error.code).toBe('INVALID_SIGNATURE');
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'stores a signed send once: the same signed request again is refused with REQUEST_REPLAYED',
    async () => {
      const topic = uniqueName('FuzzReplay');
      await createTopic(topic, { queueNums: 1 });
      await fc.assert(
        fc.asyncProperty(
          fc.string({ minLength: 1, maxLength: 200 }),
          fc.integer({ min: 1, max: 3 }),
          async (text, replays) => {
            const url = `http://flaremq.test/api/v1/topics/${topic}/messages`;
            const body = JSON.stringify({ body: text });
            const headers = {
              'content-type': 'application/json',
              ...(await signingHeaders(SIGNER, { method: 'POST', url, body })),
            };
            const before = await total(topic);
            expect((await app.fetch(new Request(url, { method: 'POST', headers, body }), signedEnv)).status).toBe(200);
            for (let i = 0; i < replays; i++) {
              const again = await app.fetch(new Request(url, { method: 'POST', headers, body }), signedEnv);
              expect({
                status: again.status,
                code: (await again.json<{ error?: { code: string } }>()).error?.code,
              }).toEqual({ status: 401, code: 'REQUEST_REPLAYED' });
            }
            expect(await total(topic)).toBe(before + 1);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});

describe('fuzzing reserved properties (issue 12, item 3)', () => {
  const reserved = fc.constantFrom(...RESERVED_PROPERTIES);
  const userProperty = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
  /** A batch of 1 to 4 messages, one of which sets a reserved property among user properties. */
  const batch = fc.record({
    size: fc.integer({ min: 1, max: 4 }),
    at: fc.nat(),
    name: reserved,
    others: fc.dictionary(userProperty, fc.string({ minLength: 1, maxLength: 8 }), { maxKeys: 3 }),
  });

  it(
    'refuses any REST send (one message or a batch) that sets a reserved property, storing none of it',
    async () => {
      await fc.assert(
        fc.asyncProperty(batch, async ({ size, at, name, others }) => {
          const messages = Array.from({ length: size }, (_, i) => ({
            body: `m${i}`,
            properties: i === at % size ? { ...others, [name]: 'x' } : others,
          }));
          const before = await total(SENTINEL);
          const res = await call('POST', `/topics/${SENTINEL}/messages`, size === 1 ? messages[0] : { messages });
          expect(res.status, JSON.stringify(res.body)).toBe(400);
          expect(res.body.error.code).toBe('RESERVED_PROPERTY');
          expect(res.body.error.message).toContain(name);
          expect(await total(SENTINEL), 'a refused send stored something').toBe(before);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'refuses any HTTP-protocol publish that sets a reserved property its SDKs do not set themselves',
    async () => {
      const refused = fc.constantFrom(...[...RESERVED_PROPERTIES].filter((p) => !SDK_PROPERTIES.has(p)));
      await fc.assert(
        fc.asyncProperty(
          refused,
          fc.dictionary(userProperty, fc.stringMatching(/^[a-z0-9]{1,8}$/), { maxKeys: 3 }),
          async (name, others) => {
            const props = Object.entries({ ...others, [name]: 'x' })
              .map(([k, v]) => `${k}:${v}|`)
              .join('');
            const doc = `<?xml version="1.0" encoding="UTF-8"?><Message><MessageBody>b</MessageBody><Properties>${props}</Properties></Message>`;
            const before = await total(SENTINEL);
            const res = await app.fetch(
              new Request(`http://flaremq.test/topics/${SENTINEL}/messages`, { method: 'POST', body: doc }),
              env,
            );
            const text = await res.text();
            expect(res.status, text).toBe(400);
            expect(text).toContain('RESERVED_PROPERTY');
            expect(await total(SENTINEL), 'a refused publish stored something').toBe(before);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});

describe('fuzzing WebSocket stream frames', () => {
  /** A frame: JSON of any shape, frames of the protocol with hostile fields, text that is not JSON. */
  const consumerFrame = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc
      .record(
        {
          type: fc.constantFrom('credit', 'commit', 'lock', 'nope', 7),
          id: hostileNumber,
          messages: hostileNumber,
          bytes: hostileNumber,
          offset: hostileNumber,
          generation: hostileNumber,
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 60 }),
    fc.constantFrom(
      '{',
      'null',
      '[]',
      '{"type":"credit","messages":1e400}',
      '{"__proto__":{"type":"credit"}}',
      `{"a":${'['.repeat(3000)}`,
    ),
  );

  /** Answers every frame with an error of a REST code (never INTERNAL_ERROR), or with its protocol answer; the stream stays open. */
  async function expectAnswered(s: TestSocket, frames: string[]): Promise<void> {
    for (const f of frames) s.send(f);
    await s.settle();
    expect(s.closeCode, JSON.stringify(s.frames).slice(0, 500)).toBeUndefined();
    for (const e of s.ofType('error')) {
      expect(e.code).toMatch(/^[A-Z_]+$/);
      expect(['INTERNAL_ERROR', 'BROKER_UNAVAILABLE']).not.toContain(e.code);
    }
  }

  it(
    'a member push stream answers random frames with REST error codes, stays open, and never sends beyond its credits',
    async () => {
      const topic = uniqueName('FuzzStream');
      const group = uniqueName('GID_fuzzstream');
      await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
      await send(topic, { messages: Array.from({ length: 20 }, (_, i) => ({ body: `m${i}` })) });
      const a = await join(group, 'c1', topic, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      const q = a.queues.find((x: { topic: string }) => x.topic === topic);
      await fc.assert(
        fc.asyncProperty(fc.array(consumerFrame, { maxLength: 6 }), async (frames) => {
          const opened = await openStream(memberStreamPath(group, 'c1', q, '?offset=0'));
          const s = opened.socket!;
          await s.until(() => s.ofType('ready').length > 0, 'ready');
          await expectAnswered(s, frames);
          // Credits granted by the frames that were valid: never more messages than that.
          const granted = frames
            .map((f) => {
              try {
                return JSON.parse(f);
              } catch {
                return null;
              }
            })
            .filter(
              (f) =>
                f?.type === 'credit' &&
                Number.isSafeInteger(f.messages ?? 0) &&
                (f.messages ?? 0) >= 0 &&
                Number.isSafeInteger(f.bytes ?? 0) &&
                (f.bytes ?? 0) >= 0,
            )
            .reduce((n, f) => n + Math.min(f.messages ?? 0, 10_000), 0);
          expect(s.messages.length).toBeLessThanOrEqual(granted);
          s.close();
        }),
        { numRuns: RUNS },
      );
      await stillServing();
    },
    TIMEOUT_MS,
  );

  it(
    'a producer stream answers every random frame, storing all of a send or none of it',
    async () => {
      const producerFrame = fc.oneof(
        fc.record({ id: fc.nat(), send: sendBody }).map((v) => JSON.stringify(v)),
        fc
          .record({ id: hostileNumber, send: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] })
          .map((v) => JSON.stringify(v)),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 60 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(producerFrame, { minLength: 1, maxLength: 5 }), async (frames) => {
          const before = await total(SENTINEL);
          const opened = await openStream(`/topics/${SENTINEL}/stream`);
          const s = opened.socket!;
          for (const f of frames) s.send(f);
          await s.until(
            () => s.ofType('sent').length + s.ofType('error').length >= frames.length,
            'an answer per frame',
          );
          expect(s.closeCode).toBeUndefined();
          for (const e of s.ofType('error')) expect(['INTERNAL_ERROR']).not.toContain(e.code);
          const stored = s
            .ofType('sent')
            .reduce((n, f) => n + f.results.filter((r: { delayed?: boolean }) => !r.delayed).length, 0);
          expect(await total(SENTINEL), 'a refused send stored something').toBe(before + stored);
          s.close();
        }),
        { numRuns: RUNS },
      );
      await stillServing();
    },
    TIMEOUT_MS,
  );
});
