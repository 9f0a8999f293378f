/**
 * Issue 12, item 6: a web page a developer visits must not write to their
 * local `npm start` server (FLAREMQ_MODE=development, nothing signed). A
 * browser sends a cross-origin POST without a preflight when its Content-Type
 * is text/plain, application/x-www-form-urlencoded or multipart/form-data, so
 * JSON writes require application/json, unsafe requests from other origins are
 * refused, and only listed origins get CORS allow headers (docs/security.md).
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, createTopic, expectError, maxOffsets, uniqueName } from './helpers';

const EVIL = 'https://evil.example';
/** Listed in CORS_ALLOWED_ORIGINS by vitest.config.ts. */
const LISTED = 'https://console.example.com';

async function answer(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('a web page posting to a development server', { timeout: 30_000 }, () => {
  it('a cross-origin text/plain POST (no preflight) of a JSON send is refused and stores nothing', async () => {
    const topic = uniqueName('CrossSite');
    await createTopic(topic, { queueNums: 1 });
    const before = await maxOffsets(topic);
    // What `fetch(url, { method: 'POST', mode: 'no-cors', body: JSON.stringify(...) })` sends from another site.
    const res = await api(`/topics/${topic}/messages`, {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': 'text/plain;charset=UTF-8', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify({ body: 'written by another site' }),
    });
    expect(res.status).toBe(403);
    expectError(await answer(res), 403, 'ORIGIN_NOT_ALLOWED');
    expect(await maxOffsets(topic)).toEqual(before);
  });

  it('a JSON write typed text/plain or form-urlencoded is refused with 415 UNSUPPORTED_MEDIA_TYPE saying what to send', async () => {
    const topic = uniqueName('Typed');
    await createTopic(topic, { queueNums: 1 });
    const before = await maxOffsets(topic);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      undefined,
    ]) {
      const res = await answer(
        await api(`/topics/${topic}/messages`, {
          method: 'POST',
          headers: type ? { 'content-type': type } : {},
          body: new TextEncoder().encode(JSON.stringify({ body: 'x' })),
        }),
      );
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(res.body.error.message).toContain('application/json');
    }
    expect(await maxOffsets(topic)).toEqual(before);
  });

  it('application/json (with a charset) from the same origin or a listed origin is served', async () => {
    const topic = uniqueName('SameOrigin');
    await createTopic(topic, { queueNums: 1 });
    for (const origin of ['http://flaremq.test', LISTED]) {
      const res = await api(`/topics/${topic}/messages`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ body: 'x' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    }
  });

  it('a cross-origin POST with an empty body is refused too (no Content-Type to check)', async () => {
    const res = await answer(
      await api(`/groups/${uniqueName('G')}/members/c1/heartbeat`, { method: 'POST', headers: { origin: EVIL } }),
    );
    expectError(res, 403, 'ORIGIN_NOT_ALLOWED');
  });

  it('a preflight from an origin not in the list gets no CORS allow headers; a listed origin does', async () => {
    const preflight = (origin: string) =>
      api('/topics/x/messages', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const evil = await preflight(EVIL);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(evil.headers.get('access-control-allow-methods')).toBeNull();
    expect(evil.headers.get('access-control-allow-headers')).toBeNull();
    const listed = await preflight(LISTED);
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(listed.headers.get('access-control-allow-headers')).toContain('content-type');
    // A GET from another origin is answered, but without the header that lets its page read the answer.
    const read = await api('/topics', { headers: { origin: EVIL } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the RocketMQ HTTP protocol: a cross-origin text/plain POST of XML publishes nothing, and a cross-site GET pops nothing', async () => {
    const topic = uniqueName('CrossSiteXml');
    await createTopic(topic, { queueNums: 1 });
    const before = await maxOffsets(topic);
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody>evil</MessageBody></Message>';
    const post = await exports.default.fetch(
      new Request(`http://flaremq.test/topics/${topic}/messages`, {
        method: 'POST',
        headers: { origin: EVIL, 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
        body: xml,
      }),
    );
    expect(post.status).toBe(403);
    expect(await maxOffsets(topic)).toEqual(before);
    // An <img src> pop: no Origin on a no-cors GET, but Fetch Metadata says where it comes from.
    const group = uniqueName('GID');
    expect(
      (
        await answer(
          await api(`/topics/${topic}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"body":"kept"}',
          }),
        )
      ).status,
    ).toBe(200);
    const pop = await exports.default.fetch(
      new Request(`http://flaremq.test/topics/${topic}/messages?consumer=${group}&numOfMessages=1`, {
        headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      }),
    );
    expect(pop.status).toBe(403);
    // The same GET from a client that is not a browser page of another site is served (an answer in XML, not a refusal).
    const own = await exports.default.fetch(
      new Request(`http://flaremq.test/topics/${topic}/messages?consumer=${group}&numOfMessages=1`),
    );
    expect(own.status).not.toBe(403);
    expect(own.headers.get('content-type')).toContain('xml');
  });
});
