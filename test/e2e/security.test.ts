/**
 * Security end to end: `wrangler dev` run as a fresh deployment (no accounts
 * and no FLAREMQ_MODE: the harness's `mode: null`) refuses every unsigned read
 * and consume and changes nothing, which the same state, restarted in
 * development mode, shows; then with an account, the signature of
 * docs/security.md made by Node's own crypto (not flaremq's code) is accepted.
 */
import { createHash, createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, startServer, type DevServer } from './server';

const servers: DevServer[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(vars: Record<string, string>, persistTo?: string, mode?: string | null): Promise<DevServer> {
  let state = persistTo;
  if (!state) {
    const dir = makeTempDir('flaremq-e2e-security-');
    dirs.push(dir);
    state = join(dir, 'state');
  }
  const server = await startServer({ persistTo: state, vars, mode });
  servers.push(server);
  return server;
}

/** The docs/security.md signature, by hand. */
function sign(accessKey: string, secretKey: string, method: string, url: string, body = ''): Record<string, string> {
  const { host, pathname, search } = new URL(url);
  const timestamp = String(Date.now());
  const text = [
    'FLAREMQ-HMAC-SHA256',
    method,
    host,
    pathname,
    search.replace(/^\?/, ''),
    timestamp,
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  return {
    'x-flaremq-timestamp': timestamp,
    authorization: `FLAREMQ-HMAC-SHA256 ${accessKey}:${createHmac('sha256', secretKey).update(text).digest('hex')}`,
  };
}

describe('security end to end', () => {
  it('a fresh deployment refuses an unsigned pull, query, DLQ read and HTTP-protocol consume, and they change nothing', async () => {
    const dir = makeTempDir('flaremq-e2e-security-');
    dirs.push(dir);
    const state = join(dir, 'state');
    const json = (res: Response) => res.json() as Promise<any>;
    const put = (url: string, body: unknown, method = 'PUT') =>
      fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const consume = (base: string, group: string) =>
      fetch(`${base}/topics/E2eSecret/messages?consumer=${group}&numOfMessages=16`);

    // Development mode: a topic with one message, a consumer group that consumes it, one dead letter.
    const dev = await start({}, state);
    expect((await put(`${dev.url}/api/v1/topics/E2eSecret`, { queueNums: 1, brokerNames: ['broker-a'] })).status).toBe(
      200,
    );
    expect((await consume(dev.url, 'GID_victim')).status).toBe(404);
    const sent = await json(
      await put(`${dev.url}/api/v1/topics/E2eSecret/messages`, { body: 'the secret', keys: 'k1' }, 'POST'),
    );
    const dead = await json(await put(`${dev.url}/api/v1/topics/E2eDead/messages`, { body: 'a dead letter' }, 'POST'));
    expect(
      (await put(`${dev.url}/api/v1/groups/GID_victim/retry`, { msgId: dead.msgId, delayLevel: -1 }, 'POST')).status,
    ).toBe(200);
    const dlqBefore = (await json(await fetch(`${dev.url}/api/v1/groups/GID_victim/dlq`))).messages.map(
      (m: { body: string }) => m.body,
    );
    expect(dlqBefore).toEqual(['a dead letter']);
    await dev.stop();

    // The same state as a fresh deployment: nothing unsigned is served but the probes' routes.
    const closed = await start({}, state, null);
    expect(closed.output()).toContain('NO ACCOUNTS CONFIGURED');
    for (const path of [
      `/api/v1/topics/E2eSecret/queues/broker-a/0/messages?offset=0`,
      '/api/v1/topics/E2eSecret/messages?key=k1',
      `/api/v1/messages/${sent.msgId}`,
      '/api/v1/groups/GID_victim/dlq',
    ]) {
      const res = await fetch(`${closed.url}${path}`);
      const text = await res.text();
      expect({ path, status: res.status, code: JSON.parse(text).error?.code }).toEqual({
        path,
        status: 403,
        code: 'ACCOUNTS_NOT_CONFIGURED',
      });
      expect(text).toContain('FLAREMQ_ACCOUNTS');
    }
    for (const group of ['GID_victim', 'GID_attacker']) {
      const res = await consume(closed.url, group);
      const text = await res.text();
      expect(res.status).toBe(403);
      expect(text).toContain('<Code>AccessDenied</Code>');
      expect(text).not.toContain('the secret');
    }
    expect((await fetch(`${closed.url}/api/v1/openapi.json`)).status).toBe(200);
    await closed.stop();

    // Development mode again: the message was never delivered, the dead letter is still there, no group was created.
    const after = await start({}, state);
    const got = await consume(after.url, 'GID_victim');
    expect(got.status).toBe(200);
    const xml = await got.text();
    expect(xml).toContain('the secret');
    expect(xml).toContain('<ConsumedTimes>1</ConsumedTimes>');
    expect(
      (await json(await fetch(`${after.url}/api/v1/groups/GID_victim/dlq`))).messages.map(
        (m: { body: string }) => m.body,
      ),
    ).toEqual(dlqBefore);
    expect((await fetch(`${after.url}/api/v1/groups/GID_attacker`)).status).toBe(404);
    await after.stop();
  });

  it('with accounts, a request signed by hand as docs/security.md says is accepted; unsigned is 401', async () => {
    const server = await start({
      FLAREMQ_ACCOUNTS: JSON.stringify([{ accessKey: 'ak-e2e', secretKey: 'sk-e2e', admin: true }]),
    });
    const url = `${server.url}/api/v1/topics/E2eSigned/messages`;
    const body = '{"body":"Hello flaremq","keys":"e2e"}';
    const sent = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sign('ak-e2e', 'sk-e2e', 'POST', url, body) },
      body,
    });
    expect(sent.status).toBe(200);
    const query = `${server.url}/api/v1/topics/E2eSigned/messages?key=e2e`;
    const found = await fetch(query, { headers: sign('ak-e2e', 'sk-e2e', 'GET', query) });
    expect(((await found.json()) as { messages: { body: string }[] }).messages[0].body).toBe('Hello flaremq');
    expect((await fetch(query)).status).toBe(401);
  });
});
