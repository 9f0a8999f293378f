/**
 * Signatures of the RocketMQ HTTP protocol. The vectors were computed
 * independently, with Node's crypto and with the official SDK itself:
 *
 *   const { MQClient } = require('@aliyunmq/mq-http-sdk');
 *   new MQClient('http://x', 'ak-1', 'secret-key-1').sign('POST', headers, resource)
 *   // = require('crypto').createHmac('sha1', 'secret-key-1').update(stringToSign).digest('base64')
 */
import { describe, expect, it } from 'vitest';
import { parseAccounts } from '../../src/core/accounts';
import { ProtocolError } from '../../src/workers/http-protocol/errors';
import {
  MAX_DATE_SKEW_MS,
  authenticate,
  canonicalizedMqHeaders,
  checkContentMd5,
  checkDate,
  md5Hex,
  sign,
  stringToSign,
  verify,
} from '../../src/workers/http-protocol/signature';

/** The SDK's publish body for "hello flaremq" with tag TagA (189 bytes). */
const BODY =
  '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody><![CDATA[hello flaremq]]></MessageBody><MessageTag><![CDATA[TagA]]></MessageTag></Message>';
/** md5 hex 595cdd6b1d58c6872f27ef7bea4f7296: the SDK sends base64 of the hex text; RFC 1864 base64 of the bytes. */
const SDK_MD5 = 'NTk1Y2RkNmIxZDU4YzY4NzJmMjdlZjdiZWE0ZjcyOTY=';
const RFC_MD5 = 'WVzdax1YxocvJ+976k9ylg==';
const DATE = 'Tue, 18 Nov 2025 08:00:00 GMT';
const NOW = Date.parse(DATE);
const SECRET = 'secret-key-1';
const POST_SIGNATURE = 'V7AOW8lWny1zkz5oD+SPwg678cQ=';
const GET_RESOURCE = '/topics/TopicTest/messages?consumer=GID_1&tag=TagA%7C%7CTagB&numOfMessages=3&waitseconds=5';
const GET_SIGNATURE = 'pguZq0TpVDeyHmWmZ0kswf8Uq3o=';

const book = parseAccounts([{ accessKey: 'ak-1', secretKey: SECRET }]);
const bytes = new TextEncoder().encode(BODY);

async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return err instanceof ProtocolError ? `${err.status} ${err.code}` : `other: ${String(err)}`;
  }
  return 'ok';
}

function post(headers: Record<string, string>, path = '/topics/TopicTest/messages?ns=MQ_INST_1'): Request {
  return new Request(`http://flaremq.test${path}`, { method: 'POST', headers, body: BODY });
}

const signedPost = (signature = POST_SIGNATURE) =>
  post({
    date: DATE,
    'x-mq-version': '2015-06-06',
    'content-type': 'text/xml;charset=utf-8',
    'content-md5': SDK_MD5,
    authorization: `MQ ak-1:${signature}`,
  });

describe('string to sign and HMAC-SHA1', () => {
  it('matches the official SDK for a publish', async () => {
    const text = stringToSign({
      method: 'POST',
      contentMd5: SDK_MD5,
      contentType: 'text/xml;charset=utf-8',
      date: DATE,
      headers: [
        ['x-mq-version', '2015-06-06'],
        ['user-agent', 'mq-nodejs-sdk/1.0.4'],
      ],
      resource: '/topics/TopicTest/messages?ns=MQ_INST_1',
    });
    expect(text).toBe(
      `POST\n${SDK_MD5}\ntext/xml;charset=utf-8\n${DATE}\nx-mq-version:2015-06-06\n/topics/TopicTest/messages?ns=MQ_INST_1`,
    );
    expect(await sign(SECRET, text)).toBe(POST_SIGNATURE);
    expect(await verify(SECRET, text, POST_SIGNATURE)).toBe(true);
    expect(await verify('other', text, POST_SIGNATURE)).toBe(false);
    expect(await verify(SECRET, text, 'not base64!')).toBe(false);
  });

  it('matches the official SDK for a consume (no Content-MD5, the query as sent)', async () => {
    const text = stringToSign({
      method: 'GET',
      contentMd5: '',
      contentType: 'text/xml;charset=utf-8',
      date: DATE,
      headers: [['x-mq-version', '2015-06-06']],
      resource: GET_RESOURCE,
    });
    expect(await sign(SECRET, text)).toBe(GET_SIGNATURE);
  });

  it('canonicalizes x-mq- headers: lower case, sorted, one per line', () => {
    expect(
      canonicalizedMqHeaders([
        ['X-MQ-Version', '2015-06-06'],
        ['date', 'x'],
        ['x-mq-a', '1'],
      ]),
    ).toBe('x-mq-a:1\nx-mq-version:2015-06-06\n');
  });

  it('computes MessageBodyMD5 as upper-case hex', async () => {
    expect(await md5Hex(new TextEncoder().encode('hello flaremq'))).toBe('830F5938083B57BB7A568079889F2070');
    expect(await md5Hex(new TextEncoder().encode('héllo ✓'))).toBe('21B1AE5BC147BB564254200A4731E337');
  });
});

describe('Content-MD5 and Date', () => {
  it('accepts both forms of Content-MD5 and refuses a wrong one', async () => {
    expect(await codeOf(() => checkContentMd5(SDK_MD5, bytes))).toBe('ok');
    expect(await codeOf(() => checkContentMd5(RFC_MD5, bytes))).toBe('ok');
    expect(await codeOf(() => checkContentMd5(RFC_MD5, new TextEncoder().encode('other')))).toBe('400 InvalidDigest');
    expect(await codeOf(() => checkContentMd5('garbage', bytes))).toBe('400 InvalidDigest');
  });

  it('accepts a Date within 15 minutes either way', async () => {
    expect(await codeOf(async () => checkDate(DATE, NOW + MAX_DATE_SKEW_MS))).toBe('ok');
    expect(await codeOf(async () => checkDate(DATE, NOW - MAX_DATE_SKEW_MS))).toBe('ok');
    expect(await codeOf(async () => checkDate(DATE, NOW + MAX_DATE_SKEW_MS + 1000))).toBe('408 TimeExpired');
    expect(await codeOf(async () => checkDate(DATE, NOW - MAX_DATE_SKEW_MS - 1000))).toBe('408 TimeExpired');
    expect(await codeOf(async () => checkDate('yesterday', NOW))).toBe('400 InvalidDateHeader');
    expect(await codeOf(async () => checkDate(undefined, NOW))).toBe('400 MissingDateHeader');
  });
});

describe('authenticate', () => {
  it('accepts a request the SDK signed', async () => {
    expect(await authenticate(signedPost(), bytes, book, NOW)).toEqual({ accessKey: 'ak-1' });
  });

  it('accepts the signed consume', async () => {
    const req = new Request(`http://flaremq.test${GET_RESOURCE}`, {
      headers: {
        date: DATE,
        'x-mq-version': '2015-06-06',
        'content-type': 'text/xml;charset=utf-8',
        authorization: `MQ ak-1:${GET_SIGNATURE}`,
      },
    });
    expect(await authenticate(req, new Uint8Array(0), book, NOW)).toEqual({ accessKey: 'ak-1' });
  });

  const SIGNED: Record<string, string> = {
    date: DATE,
    'x-mq-version': '2015-06-06',
    'content-type': 'text/xml;charset=utf-8',
    'content-md5': SDK_MD5,
    authorization: `MQ ak-1:${POST_SIGNATURE}`,
  };

  it.each([
    ['a wrong signature', { authorization: 'MQ ak-1:AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, '403 SignatureDoesNotMatch'],
    ['a signed header added', { 'x-mq-extra': '1' }, '403 SignatureDoesNotMatch'],
    [
      'an unknown access key (answered as a wrong signature)',
      { authorization: `MQ ak-2:${POST_SIGNATURE}` },
      '403 SignatureDoesNotMatch',
    ],
    ['no Authorization', { authorization: undefined }, '400 MissingAuthorizationHeader'],
    ['a malformed Authorization', { authorization: 'Basic abc' }, '400 InvalidAuthorizationHeader'],
    ['no Date', { date: undefined }, '400 MissingDateHeader'],
    ['a Content-MD5 of another body', { 'content-md5': 'XVzdax1YxocvJ+976k9ylg==' }, '400 InvalidDigest'],
    [
      'a body without Content-MD5 (the signature would not cover it)',
      { 'content-md5': undefined },
      '400 InvalidDigest',
    ],
    ['another protocol version', { 'x-mq-version': '2020-01-01' }, '400 InvalidArgument'],
  ])('refuses %s', async (_what, change: Record<string, string | undefined>, code) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...SIGNED, ...change }))
      if (value !== undefined) headers[name] = value;
    expect(await codeOf(() => authenticate(post(headers), bytes, book, NOW))).toBe(code);
  });

  it('refuses a stale Date even when the signature is right', async () => {
    expect(await codeOf(() => authenticate(signedPost(), bytes, book, NOW + 16 * 60_000))).toBe('408 TimeExpired');
  });

  it('accepts anything in local development mode (no accounts), but still checks Content-MD5', async () => {
    const none = parseAccounts(undefined);
    expect(await authenticate(signedPost('wrong'), bytes, none, NOW + 86400_000)).toEqual({ accessKey: null });
    expect(await authenticate(post({}), bytes, none, NOW)).toEqual({ accessKey: null });
    expect(
      await codeOf(() => authenticate(post({ 'content-md5': RFC_MD5 }), new TextEncoder().encode('x'), none, NOW)),
    ).toBe('400 InvalidDigest');
  });
});
