/**
 * Issue 12, item 5: producer-group data needs admin (or PUB on the topic, for
 * its discarded transactions of that topic), and check-back callbacks carry an
 * HMAC signature that the SDK verifies.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CHECK_SIGNATURE_HEADER,
  CHECK_TIMESTAMP_HEADER,
  PRODUCER_GROUP_HEADER,
  checkStringToSign,
} from '../../src/core/check-signing';
import { hmacSha256Hex, sha256Hex } from '../../src/core/request-signing';
import { transactionCheckHandler, verifyTransactionCheck } from '../../src/sdk/transaction-checker';
import { signedCall, type TestAccount } from './security-helpers';
import { call, createTopic, uniqueName } from './helpers';

const queueObject = (topic: string) => env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);

async function oneQueueTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopic(topic, { readQueueNums: 1, writeQueueNums: 1, brokerNames: ['broker-a'] });
  return topic;
}

async function sendHalf(topic: string, body: string, producerGroup: string): Promise<{ transactionHandle: string }> {
  const res = await call('POST', `/topics/${topic}/messages`, { body, transaction: { producerGroup } });
  expect(res.status).toBe(200);
  return res.body;
}

async function checkNow(topic: string): Promise<void> {
  await runInDurableObject(queueObject(topic), (_, state) => {
    state.storage.sql.exec('UPDATE mqt_half SET next_check_at = ?', Date.now() - 1);
  });
  expect(await runDurableObjectAlarm(queueObject(topic))).toBe(true);
}

async function discard(topic: string): Promise<void> {
  await runInDurableObject(queueObject(topic), (_, state) => {
    state.storage.sql.exec('UPDATE mqt_half SET check_times = 15, next_check_at = ?', Date.now() - 1);
  });
  await runDurableObjectAlarm(queueObject(topic));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('producer-group data needs admin, or PUB on the topic', () => {
  it('an account with no permissions reads neither the check URL nor the bodies of discarded transactions', async () => {
    const topic = await oneQueueTopic('TxSecret');
    const other = await oneQueueTopic('TxOther');
    const pg = uniqueName('PG');
    const accounts: TestAccount[] = [
      { accessKey: 'admin', secretKey: 'admin-secret', admin: true },
      { accessKey: 'nobody', secretKey: 'nobody-secret' },
      { accessKey: 'producer', secretKey: 'producer-secret', topicPerms: [`${topic}=PUB`] },
    ];
    expect(
      (await call('PUT', `/producer-groups/${pg}`, { checkUrl: 'https://checker.example/tx?token=s3cret' })).status,
    ).toBe(200);
    await sendHalf(topic, 'card 4111', pg);
    await sendHalf(other, 'other topic', pg);
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => Response.json({ status: 'UNKNOWN' }));
    await discard(topic);
    await discard(other);

    const group = await signedCall(accounts, 'nobody', 'GET', `/producer-groups/${pg}`);
    expect({ status: group.status, code: group.body?.error?.code }).toEqual({ status: 403, code: 'ADMIN_REQUIRED' });
    const discarded = await signedCall(accounts, 'nobody', 'GET', `/producer-groups/${pg}/discarded`);
    expect({ status: discarded.status, code: discarded.body?.error?.code }).toEqual({
      status: 403,
      code: 'ADMIN_REQUIRED',
    });
    const byTopic = await signedCall(accounts, 'nobody', 'GET', `/producer-groups/${pg}/discarded?topic=${topic}`);
    expect({ status: byTopic.status, code: byTopic.body?.error?.code }).toEqual({ status: 403, code: 'ACCESS_DENIED' });

    // PUB on the topic: that topic's discarded transactions only; the group itself (its check URL) stays admin's.
    const own = await signedCall(accounts, 'producer', 'GET', `/producer-groups/${pg}/discarded?topic=${topic}`);
    expect(own.status).toBe(200);
    expect(own.body.transactions.map((t: { body: string }) => t.body)).toEqual(['card 4111']);
    expect(
      (await signedCall(accounts, 'producer', 'GET', `/producer-groups/${pg}/discarded?topic=${other}`)).status,
    ).toBe(403);
    expect((await signedCall(accounts, 'producer', 'GET', `/producer-groups/${pg}`)).status).toBe(403);

    const all = await signedCall(accounts, 'admin', 'GET', `/producer-groups/${pg}/discarded`);
    expect(all.body.transactions.map((t: { body: string }) => t.body).sort()).toEqual(['card 4111', 'other topic']);
    expect((await signedCall(accounts, 'admin', 'GET', `/producer-groups/${pg}`)).body.checkUrl).toBe(
      'https://checker.example/tx?token=s3cret',
    );
  });
});

describe('check-back callbacks are signed', () => {
  it('carry an HMAC-SHA256 of group, timestamp and body under the secret the PUT answered, which the SDK verifies', async () => {
    const topic = await oneQueueTopic('TxSigned');
    const pg = uniqueName('PG');
    const set = await call('PUT', `/producer-groups/${pg}`, { checkUrl: 'https://checker.example/check' });
    expect(set.status).toBe(200);
    const secret: string = set.body.checkSecret;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // The secret is shown by the PUT only: never by GET.
    expect((await call('GET', `/producer-groups/${pg}`)).body.checkSecret).toBeUndefined();

    await sendHalf(topic, 'signed please', pg);
    // What the alarm sent, kept as text: a Request made inside the queue object cannot be read outside it.
    const seen: { url: string; headers: [string, string][]; body: string }[] = [];
    const handler = transactionCheckHandler({
      secret,
      check: (half) => (half.text() === 'signed please' ? 'COMMIT' : 'ROLLBACK'),
    });
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input as RequestInfo, init);
      const text = await request.clone().text();
      seen.push({ url: request.url, headers: [...request.headers], body: text });
      return handler(request);
    });
    await checkNow(topic);
    expect(seen).toHaveLength(1);
    const body = seen[0].body;
    const copy = () => new Request(seen[0].url, { method: 'POST', headers: seen[0].headers, body });
    const request = copy();
    const timestamp = request.headers.get(CHECK_TIMESTAMP_HEADER)!;
    expect(request.headers.get(PRODUCER_GROUP_HEADER)).toBe(pg);
    expect(Math.abs(Number(timestamp) - Date.now())).toBeLessThan(60_000);
    // By hand, as docs/transactions.md describes it.
    const text = checkStringToSign({ producerGroup: pg, timestamp, bodySha256: await sha256Hex(body) });
    expect(text).toBe(`FLAREMQ-CHECK-HMAC-SHA256\n${pg}\n${timestamp}\n${await sha256Hex(body)}`);
    expect(request.headers.get(CHECK_SIGNATURE_HEADER)).toBe(await hmacSha256Hex(secret, text));
    // The handler's COMMIT was applied.
    expect(
      (await call('GET', `/topics/${topic}/queues/broker-a/0/messages?offset=0`)).body.messages.map(
        (m: { body: string }) => m.body,
      ),
    ).toEqual(['signed please']);

    // Tampering or another secret is refused by the SDK.
    const forged = new Request(request.url, {
      method: 'POST',
      headers: request.headers,
      body: body.replace('signed please', 'forged'),
    });
    await expect(verifyTransactionCheck(forged, secret)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    await expect(verifyTransactionCheck(copy(), 'another secret')).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    await expect(
      verifyTransactionCheck(copy(), secret, { now: Number(timestamp) + 10 * 60_000 }),
    ).rejects.toMatchObject({ code: 'REQUEST_EXPIRED' });
    const unsigned = new Request(request.url, { method: 'POST', body });
    expect((await handler(unsigned)).status).toBe(401);
    expect((await verifyTransactionCheck(copy(), secret)).text()).toBe('signed please');
  });

  it('an admin may choose the check secret; setting the URL again keeps it; a malformed one is refused', async () => {
    const pg = uniqueName('PG');
    const chosen = 'a-secret-the-admin-chose-0123456789';
    const set = await call('PUT', `/producer-groups/${pg}`, {
      checkUrl: 'https://checker.example/check',
      checkSecret: chosen,
    });
    expect(set.body.checkSecret).toBe(chosen);
    // Setting the URL again keeps the secret.
    expect(
      (await call('PUT', `/producer-groups/${pg}`, { checkUrl: 'https://checker.example/check2' })).body.checkSecret,
    ).toBe(chosen);
    for (const checkSecret of ['short', 42, 'x'.repeat(257)]) {
      expect(
        (await call('PUT', `/producer-groups/${pg}`, { checkUrl: 'https://checker.example/check', checkSecret }))
          .status,
      ).toBe(400);
    }
  });
});
