import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { call, createTopic, expectError, pull, send, uniqueName } from './helpers';

const queueObject = (topic: string, brokerName = 'broker-a', queueId = 0) =>
  env.MESSAGE_QUEUE.getByName(`${topic}/${brokerName}/${queueId}/0`);

async function oneQueueTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  return topic;
}

async function sendHalf(
  topic: string,
  message: Record<string, unknown>,
  producerGroup: string,
  extra: Record<string, unknown> = {},
): Promise<any> {
  const res = await call('POST', `/topics/${topic}/messages`, { ...message, transaction: { producerGroup, ...extra } });
  if (res.status !== 200) throw new Error(`half send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const pendingHalves = (topic: string) =>
  runInDurableObject(
    queueObject(topic),
    (_, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mqt_half').one().n,
  );

const checkTimes = (topic: string) =>
  runInDurableObject(queueObject(topic), (_, state) =>
    state.storage.sql
      .exec<{ check_times: number }>('SELECT check_times FROM mqt_half ORDER BY half_id')
      .toArray()
      .map((r) => r.check_times),
  );

/** Makes every half message of the queue due for its next check now, as if that much time had passed, and runs the alarm. */
async function checkNow(topic: string): Promise<void> {
  await runInDurableObject(queueObject(topic), (_, state) => {
    state.storage.sql.exec('UPDATE mqt_half SET next_check_at = ?', Date.now() - 1);
  });
  expect(await runDurableObjectAlarm(queueObject(topic))).toBe(true);
}

async function popHalf(producerGroup: string, body: Record<string, unknown>): Promise<any[]> {
  const res = await call('POST', `/producer-groups/${producerGroup}/half-messages/pop`, body);
  if (res.status !== 200) throw new Error(`half pop: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.messages;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('transactional messages', () => {
  it('keeps a half message invisible to consumers until it is committed, then appends it', async () => {
    const topic = await oneQueueTopic('Tx');
    const pg = uniqueName('PG');
    const before = Date.now();
    const half = await sendHalf(
      topic,
      { body: 'order paid', tags: 'Paid', keys: 'order-1', properties: { k: 'v' } },
      pg,
    );
    expect(half).toEqual({
      status: 'SEND_OK',
      transactional: true,
      transactionHandle: expect.stringMatching(/^04[0-9A-F]+$/),
      uniqueKey: expect.any(String),
      topic,
      brokerName: 'broker-a',
      queueId: 0,
      checkAt: expect.any(Number),
    });
    expect(half.checkAt).toBeGreaterThanOrEqual(before + 6_000); // TRANSACTION_TIMEOUT_MS

    // Invisible: nothing in the log, nothing for a pop group.
    expect(await pull(topic, 'broker-a', 0, { offset: 0 })).toMatchObject({ status: 'NO_NEW_MSG', maxOffset: 0 });
    const group = uniqueName('GID');
    await call('PUT', `/groups/${group}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    expect((await call('POST', `/groups/${group}/pop`, { topic })).body.messages).toEqual([]);
    const shown = await call('GET', `/transactions/${half.transactionHandle}`);
    expect(shown.body).toMatchObject({
      transactionHandle: half.transactionHandle,
      producerGroup: pg,
      topic,
      body: 'order paid',
      tags: 'Paid',
      keys: 'order-1',
      checkTimes: 0,
      nextCheckAt: half.checkAt,
    });

    const committed = await call('POST', `/transactions/${half.transactionHandle.toLowerCase()}/commit`);
    expect(committed).toEqual({
      status: 200,
      body: {
        status: 'COMMITTED',
        transactionHandle: half.transactionHandle,
        msgId: expect.stringMatching(/^01/),
        uniqueKey: half.uniqueKey,
        topic,
        brokerName: 'broker-a',
        queueId: 0,
        queueOffset: 0,
      },
    });
    const got = await pull(topic, 'broker-a', 0, { offset: 0 });
    expect(got.messages).toHaveLength(1);
    expect(got.messages[0]).toMatchObject({
      msgId: committed.body.msgId,
      body: 'order paid',
      tags: 'Paid',
      keys: 'order-1',
      properties: { k: 'v' },
      uniqueKey: half.uniqueKey,
    });
    expect((await call('POST', `/groups/${group}/pop`, { topic })).body.messages.map((m: any) => m.body)).toEqual([
      'order paid',
    ]);

    expectError(await call('POST', `/transactions/${half.transactionHandle}/commit`), 404, 'TRANSACTION_NOT_FOUND');
    expectError(await call('POST', `/transactions/${half.transactionHandle}/rollback`), 404, 'TRANSACTION_NOT_FOUND');
    expectError(await call('GET', `/transactions/${half.transactionHandle}`), 404, 'TRANSACTION_NOT_FOUND');
    expect(await pendingHalves(topic)).toBe(0);
  });

  it('discards a rolled-back half message', async () => {
    const topic = await oneQueueTopic('TxRollback');
    const half = await sendHalf(topic, { body: 'never' }, uniqueName('PG'));
    const rolled = await call('POST', `/transactions/${half.transactionHandle}/rollback`);
    expect(rolled).toEqual({
      status: 200,
      body: {
        status: 'ROLLED_BACK',
        transactionHandle: half.transactionHandle,
        uniqueKey: half.uniqueKey,
        topic,
        brokerName: 'broker-a',
        queueId: 0,
      },
    });
    expectError(await call('POST', `/transactions/${half.transactionHandle}/rollback`), 404, 'TRANSACTION_NOT_FOUND');
    expectError(await call('POST', `/transactions/${half.transactionHandle}/commit`), 404, 'TRANSACTION_NOT_FOUND');
    expect(await pull(topic, 'broker-a', 0, { offset: 0 })).toMatchObject({ status: 'NO_NEW_MSG', maxOffset: 0 });
    expect(await pendingHalves(topic)).toBe(0);
  });

  it('picks the queue as a normal send does, and keeps the sharding key', async () => {
    const topic = uniqueName('TxQueue');
    await createTopic(topic, { queueNums: 4 });
    const normal = await send(topic, { body: 'n', shardingKey: 'order-42' });
    const half = await sendHalf(topic, { body: 'h', shardingKey: 'order-42' }, uniqueName('PG'), {
      checkImmunityMs: 60_000,
    });
    expect([half.brokerName, half.queueId]).toEqual([normal.brokerName, normal.queueId]);
    const explicit = await sendHalf(
      topic,
      { body: 'e', queue: { brokerName: 'broker-b', queueId: 3 } },
      uniqueName('PG'),
    );
    expect([explicit.brokerName, explicit.queueId]).toEqual(['broker-b', 3]);
    const committed = await call('POST', `/transactions/${half.transactionHandle}/commit`);
    expect((await call('GET', `/messages/${committed.body.msgId}`)).body.properties).toEqual({
      __SHARDINGKEY: 'order-42',
    });
  });

  it('checks back through the half-message pop: a half message unresolved after the timeout is offered to its producer group', async () => {
    const topic = await oneQueueTopic('TxHalfPop');
    const pg = uniqueName('PG');
    const before = Date.now();
    const half = await sendHalf(topic, { body: 'did it happen?', keys: 'k1' }, pg, { checkImmunityMs: 2_000 });
    expect(half.checkAt).toBeGreaterThanOrEqual(before + 2_000);
    expect(half.checkAt).toBeLessThan(before + 6_000);
    const alarm = await runInDurableObject(queueObject(topic), (_, state) => state.storage.getAlarm());
    expect(alarm).toBe(half.checkAt);

    // Not due yet: neither checked nor offered.
    expect(await popHalf(pg, { topic })).toEqual([]);
    await runDurableObjectAlarm(queueObject(topic));
    if (Date.now() < half.checkAt) expect(await checkTimes(topic)).toEqual([0]);

    await checkNow(topic);
    expect(await checkTimes(topic)).toEqual([1]);
    const popped = await popHalf(pg, { topic, invisibleMs: 10_000 });
    expect(popped).toEqual([
      expect.objectContaining({
        transactionHandle: half.transactionHandle,
        receiptHandle: half.transactionHandle,
        producerGroup: pg,
        topic,
        brokerName: 'broker-a',
        queueId: 0,
        body: 'did it happen?',
        keys: 'k1',
        uniqueKey: half.uniqueKey,
        checkTimes: 1,
      }),
    ]);
    // Popped: not offered again within its invisible time; another producer group never sees it.
    expect(await popHalf(pg, { topic })).toEqual([]);
    expect(await popHalf(uniqueName('PG_other'), { topic })).toEqual([]);

    const committed = await call('POST', `/transactions/${popped[0].receiptHandle}/commit`);
    expect(committed.body).toMatchObject({ status: 'COMMITTED', queueOffset: 0 });
    expect((await pull(topic, 'broker-a', 0, { offset: 0 })).messages.map((m: any) => m.body)).toEqual([
      'did it happen?',
    ]);
  });

  it('half-message pop long polling is answered when the alarm checks a half message', async () => {
    const topic = await oneQueueTopic('TxHalfWait');
    const pg = uniqueName('PG');
    await sendHalf(topic, { body: 'wait for me' }, pg, { checkImmunityMs: 3_600_000 });
    const waiting = popHalf(pg, { topic, waitMs: 15_000 });
    await new Promise((r) => setTimeout(r, 50));
    await checkNow(topic);
    expect((await waiting).map((m) => m.body)).toEqual(['wait for me']);
  });

  it("asks the producer group's check URL, and commits or rolls back on its answer", async () => {
    const topic = await oneQueueTopic('TxCheckUrl');
    const pg = uniqueName('PG');
    const set = await call('PUT', `/producer-groups/${pg}`, { checkUrl: 'https://checker.example/tx-check' });
    expect(set.body).toMatchObject({ group: pg, checkUrl: 'https://checker.example/tx-check' });
    expect((await call('GET', `/producer-groups/${pg}`)).body).toMatchObject({
      checkUrl: 'https://checker.example/tx-check',
      discardedTotal: 0,
    });

    const commit = await sendHalf(topic, { body: 'commit me' }, pg);
    const rollback = await sendHalf(topic, { body: 'roll me back' }, pg);
    const unknown = await sendHalf(topic, { body: 'not sure' }, pg);
    const broken = await sendHalf(topic, { body: 'checker fails' }, pg);
    const answers: Record<string, () => Response> = {
      [commit.transactionHandle]: () => Response.json({ status: 'COMMIT' }),
      [rollback.transactionHandle]: () => Response.json({ status: 'rollback_message' }),
      [unknown.transactionHandle]: () => Response.json({ status: 'UNKNOWN' }),
      [broken.transactionHandle]: () => new Response('oops', { status: 500 }),
    };
    const asked: any[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input as RequestInfo, init);
      expect(request.url).toBe('https://checker.example/tx-check');
      expect(request.method).toBe('POST');
      const half = await request.json<any>();
      asked.push(half);
      return answers[half.transactionHandle]();
    });

    await checkNow(topic);
    expect(asked.map((h) => [h.body, h.checkTimes, h.producerGroup, h.topic])).toEqual([
      ['commit me', 1, pg, topic],
      ['roll me back', 1, pg, topic],
      ['not sure', 1, pg, topic],
      ['checker fails', 1, pg, topic],
    ]);
    expect((await pull(topic, 'broker-a', 0, { offset: 0 })).messages.map((m: any) => m.body)).toEqual(['commit me']);
    expect(await checkTimes(topic)).toEqual([1, 1]);
    expectError(await call('POST', `/transactions/${rollback.transactionHandle}/commit`), 404, 'TRANSACTION_NOT_FOUND');
    // Still unresolved: offered to the half-message pop too.
    expect((await popHalf(pg, { topic, maxMessages: 32 })).map((m) => m.body)).toEqual(['not sure', 'checker fails']);

    // A check URL that hangs is given up on; the message is checked again later.
    vi.restoreAllMocks();
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => {
      throw new Error('connect timeout');
    });
    await checkNow(topic);
    expect(await checkTimes(topic)).toEqual([2, 2]);

    // Without a check URL the alarm asks no one.
    expect((await call('PUT', `/producer-groups/${pg}`, { checkUrl: null })).body.checkUrl).toBeNull();
    vi.restoreAllMocks();
    const spy = vi.spyOn(globalThis, 'fetch');
    await checkNow(topic);
    expect(spy).not.toHaveBeenCalled();
    expect(await checkTimes(topic)).toEqual([3, 3]);
  });

  it('discards a half message after 15 checks and lists it; running the alarm again changes nothing', async () => {
    const topic = await oneQueueTopic('TxDiscard');
    const pg = uniqueName('PG');
    const half = await sendHalf(topic, { body: 'forgotten', tags: 'T', properties: { a: 'b' } }, pg);
    const kept = await sendHalf(topic, { body: 'resolved later' }, pg, { checkImmunityMs: 3_600_000 });
    for (let i = 1; i <= 15; i++) {
      await runInDurableObject(queueObject(topic), (_, state) => {
        state.storage.sql.exec('UPDATE mqt_half SET next_check_at = ? WHERE half_id = 1', Date.now() - 1);
      });
      await runDurableObjectAlarm(queueObject(topic));
      expect(await checkTimes(topic)).toEqual([i, 0]);
    }
    // A retried alarm (the platform retries one that throws) does not count a check twice.
    await runInDurableObject<MessageQueue, void>(queueObject(topic), (instance) => instance.alarm());
    expect(await checkTimes(topic)).toEqual([15, 0]);
    expect((await call('GET', `/transactions/${half.transactionHandle}`)).body.checkTimes).toBe(15);

    await checkNowOnly(topic, 1);
    expect(await checkTimes(topic)).toEqual([0]);
    expectError(await call('POST', `/transactions/${half.transactionHandle}/commit`), 404, 'TRANSACTION_NOT_FOUND');
    const discarded = await call('GET', `/producer-groups/${pg}/discarded`);
    expect(discarded.status).toBe(200);
    expect(discarded.body).toMatchObject({ group: pg, total: 1, kept: 1 });
    expect(discarded.body.transactions).toEqual([
      expect.objectContaining({
        transactionHandle: half.transactionHandle,
        producerGroup: pg,
        topic,
        body: 'forgotten',
        bodyEncoding: 'utf8',
        tags: 'T',
        properties: { a: 'b' },
        checkTimes: 15,
        discardedAt: expect.any(Number),
      }),
    ]);
    expect((await call('GET', `/producer-groups/${pg}/discarded?bodyEncoding=base64`)).body.transactions[0].body).toBe(
      btoa('forgotten'),
    );
    expect((await call('GET', `/producer-groups/${pg}`)).body.discardedTotal).toBe(1);
    expect(await pull(topic, 'broker-a', 0, { offset: 0 })).toMatchObject({ status: 'NO_NEW_MSG' });
    expect((await call('POST', `/transactions/${kept.transactionHandle}/commit`)).status).toBe(200);
  });

  it('refuses bad transactional input with a stable code, and stores nothing', async () => {
    const topic = await oneQueueTopic('TxBad');
    const sendBad = (body: unknown, query = '') => call('POST', `/topics/${topic}/messages${query}`, body);
    const tx = { producerGroup: 'PG_bad' };
    expectError(await sendBad({ messages: [{ body: 'a' }], transaction: tx }), 400, 'INVALID_REQUEST');
    expectError(await sendBad({ body: 'a', delayLevel: 1, transaction: tx }), 400, 'INVALID_REQUEST');
    expectError(await sendBad({ body: 'a', deliverAt: Date.now() - 1000, transaction: tx }), 400, 'INVALID_REQUEST');
    expectError(await sendBad({ body: 'a', transaction: tx }, '?oneway=true'), 400, 'INVALID_REQUEST');
    expectError(await sendBad({ body: 'a', transaction: 'PG' }), 400, 'INVALID_REQUEST');
    expectError(await sendBad({ body: 'a', transaction: {} }), 400, 'INVALID_GROUP_NAME');
    expectError(await sendBad({ body: 'a', transaction: { producerGroup: 'bad group' } }), 400, 'INVALID_GROUP_NAME');
    expectError(await sendBad({ body: 'a', transaction: { ...tx, checkImmunityMs: 0 } }), 400, 'INVALID_REQUEST');
    expectError(
      await sendBad({ body: 'a', transaction: { ...tx, checkImmunityMs: 12 * 3_600_000 + 1 } }),
      400,
      'INVALID_REQUEST',
    );
    expectError(await sendBad({ body: '', transaction: tx }), 400, 'INVALID_MESSAGE');
    expect(await pendingHalves(topic)).toBe(0);
    expect(await pull(topic, 'broker-a', 0, { offset: 0 })).toMatchObject({ maxOffset: 0 });

    const sent = await send(topic, { body: 'plain' });
    for (const handle of ['nothex', sent.msgId, '04', '04' + 'ZZ'.repeat(20)]) {
      expectError(await call('POST', `/transactions/${handle}/commit`), 400, 'INVALID_TRANSACTION_HANDLE');
      expectError(await call('POST', `/transactions/${handle}/rollback`), 400, 'INVALID_TRANSACTION_HANDLE');
    }
    const gone = await sendHalf(uniqueName('TxGone'), { body: 'x' }, 'PG_bad');
    expect((await call('DELETE', `/topics/${gone.topic}`)).status).toBe(200);
    expectError(await call('POST', `/transactions/${gone.transactionHandle}/commit`), 404, 'TOPIC_NOT_EXIST');

    for (const checkUrl of ['ftp://x/y', 'not a url', 42, 'https://x/' + 'a'.repeat(2048)]) {
      expectError(await call('PUT', '/producer-groups/PG_bad', { checkUrl }), 400, 'INVALID_REQUEST');
    }
    expectError(await call('PUT', '/producer-groups/PG_bad', {}), 400, 'INVALID_REQUEST');
    expectError(await call('PUT', '/producer-groups/bad group', { checkUrl: null }), 400, 'INVALID_GROUP_NAME');
    expect((await call('GET', '/producer-groups/PG_bad')).body).toEqual({
      group: 'PG_bad',
      checkUrl: null,
      updatedAt: 0,
      discardedTotal: 0,
    });

    for (const [body, code] of [
      [{}, 'INVALID_TOPIC_NAME'],
      [{ topic: uniqueName('Nope') }, 'TOPIC_NOT_EXIST'],
      [{ topic, maxMessages: 33 }, 'INVALID_REQUEST'],
      [{ topic, invisibleMs: 1 }, 'INVALID_REQUEST'],
      [{ topic, waitMs: 20_001 }, 'INVALID_REQUEST'],
    ] as const) {
      const res = await call('POST', '/producer-groups/PG_bad/half-messages/pop', body);
      expect(res.body.error.code).toBe(code);
    }
    expectError(await call('GET', '/producer-groups/PG_bad/discarded?maxMessages=0'), 400, 'INVALID_REQUEST');
  });
});

/** Makes only the half message `halfId` due now, and runs the alarm. */
async function checkNowOnly(topic: string, halfId: number): Promise<void> {
  await runInDurableObject(queueObject(topic), (_, state) => {
    state.storage.sql.exec('UPDATE mqt_half SET next_check_at = ? WHERE half_id = ?', Date.now() - 1, halfId);
  });
  await runDurableObjectAlarm(queueObject(topic));
}
