/**
 * Streams under accounts: the upgrade is signed as a GET and checked by the ACL (SUB for a member's
 * stream, PUB for a producer stream), its signature is good once, and pages of other origins may not
 * open one (an upgrade is a write).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signingHeaders } from '../../src/core/request-signing';
import { app } from '../../src/workers/app';
import { uniqueName } from './helpers';
import { securedEnv, signedCall, type TestAccount } from './security-helpers';

const TOPIC = uniqueName('StreamSec');
const GROUP = uniqueName('GID_streamsec');
const ACCOUNTS: TestAccount[] = [
  { accessKey: 'admin', secretKey: 'admin-secret', admin: true },
  { accessKey: 'consumer', secretKey: 'consumer-secret', topicPerms: [`${TOPIC}=SUB`], groupPerms: [`${GROUP}=SUB`] },
  { accessKey: 'nosub', secretKey: 'nosub-secret', topicPerms: [`${TOPIC}=PUB`], groupPerms: [`${GROUP}=SUB`] },
  { accessKey: 'producer', secretKey: 'producer-secret', topicPerms: [`${TOPIC}=PUB`] },
];

/** An upgrade to `path`, signed by `as` (unsigned when undefined); the status and error code, and the socket when opened. */
async function upgrade(
  path: string,
  as?: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; code?: string; ws?: WebSocket; headers: Record<string, string> }> {
  const url = `http://flaremq.test/api/v1${path}`;
  const account = ACCOUNTS.find((a) => a.accessKey === as);
  const headers = {
    upgrade: 'websocket',
    ...extra,
    ...(account
      ? await signingHeaders({ accessKey: account.accessKey, secretKey: account.secretKey }, { method: 'GET', url })
      : {}),
  };
  return send(url, headers);
}

async function send(url: string, headers: Record<string, string>) {
  const res = await app.fetch(new Request(url, { headers }), securedEnv(ACCOUNTS), {
    waitUntil: () => {},
    passThroughOnException: () => {},
  } as unknown as ExecutionContext);
  if (res.status === 101 && res.webSocket) {
    res.webSocket.accept();
    return { status: 101, ws: res.webSocket, headers };
  }
  const text = await res.text();
  return { status: res.status, code: text ? JSON.parse(text)?.error?.code : undefined, headers };
}

describe('stream upgrades with accounts', () => {
  it('a member stream: refused unsigned, refused without SUB on the topic, opened with it', async () => {
    expect(
      (await signedCall(ACCOUNTS, 'admin', 'PUT', `/topics/${TOPIC}`, { queueNums: 1, brokerNames: ['broker-a'] }))
        .status,
    ).toBe(200);
    const beat = await signedCall(ACCOUNTS, 'consumer', 'POST', `/groups/${GROUP}/members/c1/heartbeat`, {
      subscriptions: [{ topic: TOPIC, expression: '*' }],
    });
    expect(beat.status).toBe(200);
    const q = beat.body.queues.find((x: { topic: string }) => x.topic === TOPIC);
    const path = `/groups/${GROUP}/members/c1/queues/${TOPIC}/${q.brokerName}/${q.queueId}/stream`;
    expect(await upgrade(path)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await upgrade(path, 'nosub')).toMatchObject({ status: 403, code: 'ACCESS_DENIED' });
    const opened = await upgrade(path, 'consumer');
    expect(opened.status).toBe(101);
    opened.ws!.close();
    // The same signed upgrade again: a replay.
    expect(await send(`http://flaremq.test/api/v1${path}`, opened.headers)).toMatchObject({
      status: 401,
      code: 'REQUEST_REPLAYED',
    });
  });

  it('a producer stream needs PUB on its topic', async () => {
    const path = `/topics/${TOPIC}/stream`;
    expect(await upgrade(path)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await upgrade(path, 'consumer')).toMatchObject({ status: 403, code: 'ACCESS_DENIED' });
    const opened = await upgrade(path, 'producer');
    expect(opened.status).toBe(101);
    opened.ws!.close();
  });

  it('refuses an upgrade from a page of another origin, even in development mode', async () => {
    const res = await app.fetch(
      new Request(`http://flaremq.test/api/v1/topics/${uniqueName('t')}/stream`, {
        headers: { upgrade: 'websocket', origin: 'https://evil.example' },
      }),
      env,
    );
    expect(res.status).toBe(403);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe('ORIGIN_NOT_ALLOWED');
  });
});
