import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  FlaremqError,
  createClient,
  isFlaremqError,
  isInvalidRequest,
  isMessageNotFound,
  isNetworkError,
  isRetriable,
  isTooLarge,
  isTopicNotExist,
  isAborted,
} from '../../src/sdk/index';
import { client, uniqueName } from './helpers';

const noRetry = { retry: { retries: 0 } };

describe('typed errors', () => {
  it('carries the server code, status, retriable flag and message', async () => {
    const topic = uniqueName('Missing');
    const err = await client()
      .admin()
      .topics.route(topic)
      .catch((e) => e);
    expect(err).toBeInstanceOf(FlaremqError);
    expect(err).toMatchObject({ code: 'TOPIC_NOT_EXIST', status: 404, retriable: false, name: 'FlaremqError' });
    expect(err.detail).toContain(topic);
    expect(err.message).toBe(`[TOPIC_NOT_EXIST] ${err.detail}`);
    expect(isTopicNotExist(err)).toBe(true);
    expect(isFlaremqError(err)).toBe(true);
    expect(isRetriable(err)).toBe(false);
  });

  it('has predicates for the common codes', async () => {
    const c = client(noRetry);
    const topic = uniqueName('Pred');
    const tooLarge = await c
      .producer()
      .send(topic, new Uint8Array(1024 * 1024 + 1).fill(65))
      .catch((e) => e);
    expect(tooLarge).toMatchObject({ code: 'MESSAGE_TOO_LARGE', status: 413 });
    expect(isTooLarge(tooLarge)).toBe(true);
    const invalid = await c
      .producer()
      .send(topic, '')
      .catch((e) => e);
    expect(invalid).toMatchObject({ code: 'INVALID_MESSAGE', status: 400 });
    expect(isInvalidRequest(invalid)).toBe(true);
    await c.producer().send(topic, 'exists');
    const sent = await c.producer().send(topic, 'x');
    await c.admin().topics.delete(topic);
    await c.admin().topics.create(topic);
    const gone = await c
      .admin()
      .messages.get(sent.msgId)
      .catch((e) => e);
    expect(isMessageNotFound(gone) || isTopicNotExist(gone)).toBe(true);
  });

  it('uses the shared table for codes it raises itself', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      const err = new FlaremqError(code, 'x');
      expect({ status: err.status, retriable: err.retriable }).toEqual({
        status: entry.status,
        retriable: entry.retriable,
      });
    }
    expect(new FlaremqError('SOMETHING_NEW', 'from a newer server')).toMatchObject({ status: 0, retriable: false });
  });

  it('reports a failed connection as a retriable NETWORK_ERROR', async () => {
    const c = createClient({
      endpoint: 'http://flaremq.test',
      fetch: async () => Promise.reject(new TypeError('connection refused')),
      ...noRetry,
    });
    const err = await c
      .admin()
      .topics.list()
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', status: 0, retriable: true });
    expect(isNetworkError(err)).toBe(true);
  });

  it('reports an answer that is not flaremq JSON as BAD_RESPONSE, retriable for 5xx', async () => {
    const html = (status: number) => async () =>
      new Response('<html>bad gateway</html>', { status, headers: { 'content-type': 'text/html' } });
    const bad = await createClient({ endpoint: 'http://flaremq.test', fetch: html(502), ...noRetry })
      .admin()
      .topics.list()
      .catch((e) => e);
    expect(bad).toMatchObject({ code: 'BAD_RESPONSE', status: 502, retriable: true });
    const notFound = await createClient({ endpoint: 'http://flaremq.test', fetch: html(404), ...noRetry })
      .admin()
      .topics.list()
      .catch((e) => e);
    expect(notFound).toMatchObject({ code: 'BAD_RESPONSE', status: 404, retriable: false });
  });

  it('times out a request that gets no answer, and aborts on a signal', async () => {
    const hang = () => new Promise<Response>(() => {});
    const c = createClient({ endpoint: 'http://flaremq.test', fetch: hang, requestTimeoutMs: 20, ...noRetry });
    await expect(c.admin().topics.list()).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT', retriable: true });
    const controller = new AbortController();
    const slow = createClient({ endpoint: 'http://flaremq.test', fetch: hang, ...noRetry })
      .producer()
      .send('T', 'x', { signal: controller.signal });
    controller.abort();
    const err = await slow.catch((e) => e);
    expect(isAborted(err)).toBe(true);
  });

  it('refuses an endpoint that is not a URL', () => {
    expect(() => createClient({ endpoint: 'localhost:8787' }).admin()).toThrow(FlaremqError);
  });
});

describe('credentials', () => {
  it('signs every request when the client is given an account', async () => {
    const { createClient } = await import('../../src/sdk/index');
    const seen: Headers[] = [];
    const client = createClient({
      endpoint: 'http://flaremq.test',
      credentials: { accessKey: 'ak-test', secretKey: 'secret' },
      fetch: async (_input, init) => {
        seen.push(new Headers(init?.headers));
        return new Response(JSON.stringify({ topics: [] }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    await client.admin().topics.list();
    expect(seen).toHaveLength(1);
    expect(seen[0].get('authorization')).toMatch(/^FLAREMQ-HMAC-SHA256 ak-test:[0-9a-f]{64}$/);
    expect(Number(seen[0].get('x-flaremq-timestamp'))).toBeGreaterThan(0);
  });
});
