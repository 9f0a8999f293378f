/**
 * Transaction check-back against the real local server: a producer group's
 * check URL is a real HTTP server on this machine, called by the queue
 * object's alarm in `wrangler dev` (no mocks), and its answers commit or roll
 * back the half messages.
 */
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startServer, type DevServer } from './server';

type Json = any;

let server: DevServer | null = null;
let checker: Server | null = null;
let checkUrl = '';
let tmp = '';
/** What the check URL answers, by the body of the half message. */
const answers = new Map<string, string>();
const asked: Json[] = [];

async function call(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${server!.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.json() };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** Polls `probe` every 250 ms until it returns true, for at most `ms`. */
async function eventually(probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline)
      throw new Error(`not within ${ms} ms\n--- server output ---\n${server!.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('transaction check-back through a real check URL', () => {
  beforeAll(async () => {
    checker = createServer(async (req, res) => {
      const half = JSON.parse(await readBody(req));
      asked.push({ method: req.method, handleHeader: req.headers['x-flaremq-transaction-handle'], ...half });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: answers.get(half.body) ?? 'UNKNOWN' }));
    });
    await new Promise<void>((resolve) => checker!.listen(0, '127.0.0.1', resolve));
    checkUrl = `http://127.0.0.1:${(checker.address() as AddressInfo).port}/tx-check`;
    tmp = makeTempDir('flaremq-e2e-tx-');
    server = await startServer({ persistTo: join(tmp, 'state') });
  });

  afterAll(async () => {
    try {
      await server?.stop();
    } finally {
      server = null;
      await new Promise<void>((resolve) => (checker ? checker.close(() => resolve()) : resolve()));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('commits and rolls back half messages as the check URL answers', async () => {
    const topic = 'e2e-tx';
    expect((await call('PUT', `/topics/${topic}`, { queueNums: 1, brokerNames: ['broker-a'] })).status).toBe(200);
    expect((await call('PUT', '/producer-groups/e2e-pg', { checkUrl })).body).toMatchObject({ checkUrl });
    answers.set('commit me', 'COMMIT');
    answers.set('roll me back', 'ROLLBACK');
    const send = async (body: string) => {
      const res = await call('POST', `/topics/${topic}/messages`, {
        body,
        transaction: { producerGroup: 'e2e-pg', checkImmunityMs: 1000 },
      });
      expect(res.status).toBe(200);
      return res.body;
    };
    const commit = await send('commit me');
    const rollback = await send('roll me back');

    await eventually(async () => (await call('GET', `/transactions/${rollback.transactionHandle}`)).status === 404);
    await eventually(
      async () => (await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`)).body.messages.length > 0,
    );
    const pulled = await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`);
    expect(pulled.body.messages.map((m: Json) => [m.body, m.uniqueKey])).toEqual([['commit me', commit.uniqueKey]]);
    expect((await call('POST', `/transactions/${commit.transactionHandle}/commit`)).body.error.code).toBe(
      'TRANSACTION_NOT_FOUND',
    );

    const first = asked.find((a) => a.body === 'commit me');
    expect(first).toMatchObject({
      method: 'POST',
      handleHeader: commit.transactionHandle,
      transactionHandle: commit.transactionHandle,
      producerGroup: 'e2e-pg',
      topic,
      checkTimes: 1,
    });
  });
});
