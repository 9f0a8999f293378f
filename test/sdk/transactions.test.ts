import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { FlaremqError, HalfMessage, TransactionState, isTransactionNotFound } from '../../src/sdk/index';
import { client, uniqueName, waitFor, workerFetch } from './helpers';

const queueObject = (topic: string) => env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);

/** Makes every half message of the queue due for a check now, as if the transaction timeout had passed, and runs the alarm. */
async function checkNow(topic: string): Promise<void> {
  await runInDurableObject(queueObject(topic), (_, state) => {
    state.storage.sql.exec('UPDATE mqt_half SET next_check_at = ?', Date.now() - 1);
  });
  await runDurableObjectAlarm(queueObject(topic));
}

async function setup(prefix: string) {
  const c = client();
  const topic = uniqueName(prefix);
  const producerGroup = uniqueName('PG');
  const admin = c.admin();
  await admin.topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  return { c, topic, producerGroup, admin, producer: c.producer() };
}

/** What a pull of the topic's only queue holds, as text. */
async function stored(admin: ReturnType<ReturnType<typeof client>['admin']>, topic: string): Promise<string[]> {
  const pulled = await admin.topics.pull(topic, { brokerName: 'broker-a', queueId: 0 }, { offset: 0 });
  return pulled.messages.map((m) => m.text());
}

describe('transactional sends', { timeout: 60_000 }, () => {
  it('commits when the local transaction answers COMMIT: the message is appended', async () => {
    const { topic, producerGroup, admin, producer } = await setup('TxCommit');
    let seen: { transactionHandle: string; body: unknown } | undefined;
    const result = await producer.sendTransactional(
      topic,
      { body: 'order 42 paid', keys: ['order-42'], tags: 'Paid' },
      async (tx) => {
        // The half message exists and is invisible while the local transaction runs.
        expect(await stored(admin, topic)).toEqual([]);
        seen = { transactionHandle: tx.transactionHandle, body: tx.message.body };
        return 'COMMIT';
      },
      { producerGroup },
    );
    expect(seen).toEqual({ transactionHandle: result.half.transactionHandle, body: 'order 42 paid' });
    expect(result.localTransactionState).toBe('COMMIT');
    expect(result.half).toMatchObject({
      status: 'SEND_OK',
      transactional: true,
      topic,
      transactionHandle: expect.stringMatching(/^04[0-9A-F]+$/),
    });
    expect(result.committed).toMatchObject({
      status: 'COMMITTED',
      topic,
      queueOffset: 0,
      uniqueKey: result.half.uniqueKey,
    });
    expect(result.endTransactionError).toBeUndefined();

    const m = await admin.messages.get(result.committed!.msgId);
    expect(m).toMatchObject({ topic, tags: 'Paid', keys: ['order-42'], uniqueKey: result.half.uniqueKey });
    expect(m.text()).toBe('order 42 paid');
    await expect(admin.transactions.get(result.half.transactionHandle)).rejects.toSatisfy(isTransactionNotFound);
  });

  it('rolls back on ROLLBACK: nothing is appended', async () => {
    const { topic, producerGroup, admin, producer } = await setup('TxRollback');
    const result = await producer.sendTransactional(topic, 'never happened', () => 'ROLLBACK', { producerGroup });
    expect(result.localTransactionState).toBe('ROLLBACK');
    expect(result.rolledBack).toMatchObject({
      status: 'ROLLED_BACK',
      transactionHandle: result.half.transactionHandle,
    });
    expect(result.committed).toBeUndefined();
    expect(await stored(admin, topic)).toEqual([]);
    await expect(admin.transactions.commit(result.half.transactionHandle)).rejects.toMatchObject({
      code: 'TRANSACTION_NOT_FOUND',
      status: 404,
    });
  });

  it('leaves UNKNOWN (and a throw) to the check-back; the transaction checker resolves them', async () => {
    const { c, topic, producerGroup, admin, producer } = await setup('TxUnknown');
    const unknown = await producer.sendTransactional(
      topic,
      { body: 'decide later: commit', keys: ['commit-me'] },
      () => 'UNKNOWN',
      { producerGroup },
    );
    expect(unknown).toMatchObject({ localTransactionState: 'UNKNOWN' });
    expect(unknown.committed).toBeUndefined();
    const boom = new Error('database unreachable');
    const threw = await producer.sendTransactional(
      topic,
      'decide later: roll back',
      () => {
        throw boom;
      },
      { producerGroup, checkImmunityMs: 60_000 },
    );
    expect(threw).toMatchObject({ localTransactionState: 'UNKNOWN', localTransactionError: boom });
    expect(threw.half.checkAt).toBeGreaterThanOrEqual(Date.now() + 50_000);
    const still = await producer.sendTransactional(topic, 'still unknown', () => 'UNKNOWN', { producerGroup });

    const pending = await admin.transactions.get(unknown.half.transactionHandle);
    expect(pending).toBeInstanceOf(HalfMessage);
    expect(pending).toMatchObject({ producerGroup, topic, checkTimes: 0, keys: ['commit-me'] });
    expect(pending.text()).toBe('decide later: commit');
    expect(await stored(admin, topic)).toEqual([]);

    const checked: HalfMessage[] = [];
    const errors: unknown[] = [];
    const checker = c.transactionChecker({
      producerGroup,
      topic,
      waitMs: 0,
      onError: (err) => errors.push(err),
      check: (half): TransactionState => {
        checked.push(half);
        if (half.text() === 'decide later: commit') return 'COMMIT';
        if (half.text() === 'decide later: roll back') return 'ROLLBACK';
        return 'UNKNOWN';
      },
    });
    // Before the first check, the half pop offers nothing.
    expect(await checker.checkOnce()).toEqual({
      checked: 0,
      committed: 0,
      rolledBack: 0,
      unknown: 0,
      alreadyResolved: 0,
    });

    await checkNow(topic);
    const round = await checker.checkOnce();
    expect(round).toEqual({ checked: 3, committed: 1, rolledBack: 1, unknown: 1, alreadyResolved: 0 });
    expect(checked.map((h) => h.checkTimes)).toEqual([1, 1, 1]);
    expect(errors).toEqual([]);
    expect(await stored(admin, topic)).toEqual(['decide later: commit']);
    await expect(admin.transactions.get(threw.half.transactionHandle)).rejects.toMatchObject({
      code: 'TRANSACTION_NOT_FOUND',
    });
    expect((await admin.transactions.get(still.half.transactionHandle)).checkTimes).toBe(1);
  });

  it('a started checker resolves half messages as their checks come, and stops', async () => {
    const { c, topic, producerGroup, admin, producer } = await setup('TxChecker');
    const errors: unknown[] = [];
    let throwOnce = true;
    const checker = c.transactionChecker({
      producerGroup,
      topic,
      waitMs: 1_000,
      invisibleMs: 10_000,
      onError: (err, info) => errors.push({ err, kind: info.kind }),
      check: () => {
        if (throwOnce) {
          throwOnce = false;
          throw new Error('not sure yet');
        }
        return 'COMMIT';
      },
    });
    checker.start();
    checker.start(); // idempotent
    expect(checker.running).toBe(true);

    const r = await producer.sendTransactional(topic, 'checked in the background', () => 'UNKNOWN', { producerGroup });
    await checkNow(topic);
    // The first check throws (UNKNOWN, reported); the half pop hides it for invisibleMs, so make it due again.
    await waitFor(() => errors.length > 0, 'the failed check');
    expect(errors[0]).toMatchObject({ kind: 'check' });
    await runInDurableObject(queueObject(topic), (_, state) => {
      state.storage.sql.exec('UPDATE mqt_half SET next_check_at = ?, invisible_until = 0', Date.now() - 1);
    });
    await runDurableObjectAlarm(queueObject(topic));
    await waitFor(async () => (await stored(admin, topic)).length === 1, 'the commit by the checker', 30_000);
    expect(await stored(admin, topic)).toEqual(['checked in the background']);
    await checker.stop();
    expect(checker.running).toBe(false);
    await checker.stop(); // idempotent
    await expect(admin.transactions.get(r.half.transactionHandle)).rejects.toMatchObject({
      code: 'TRANSACTION_NOT_FOUND',
    });
  });

  it('admin: producer group check URL, and discarded transactions', async () => {
    const { topic, producerGroup, admin, producer } = await setup('TxAdmin');
    expect(await admin.producerGroups.get(producerGroup)).toEqual({
      group: producerGroup,
      checkUrl: null,
      updatedAt: 0,
      discardedTotal: 0,
    });
    const set = await admin.producerGroups.setCheckUrl(producerGroup, 'https://checker.example/tx-check');
    expect(set).toMatchObject({ group: producerGroup, checkUrl: 'https://checker.example/tx-check' });
    expect((await admin.producerGroups.configure(producerGroup, { checkUrl: null })).checkUrl).toBeNull();
    await expect(admin.producerGroups.setCheckUrl(producerGroup, 'ftp://nope')).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      status: 400,
    });

    const r = await producer.sendTransactional(topic, { body: 'forgotten', tags: 'T' }, () => 'UNKNOWN', {
      producerGroup,
    });
    for (let i = 0; i <= 15; i++) await checkNow(topic); // TRANSACTION_CHECK_MAX (15) checks, then the discard
    const list = await admin.producerGroups.discarded(producerGroup);
    expect(list).toMatchObject({ group: producerGroup, total: 1, kept: 1 });
    expect(list.transactions).toHaveLength(1);
    expect(list.transactions[0]).toMatchObject({
      transactionHandle: r.half.transactionHandle,
      producerGroup,
      tags: 'T',
      checkTimes: 15,
      discardedAt: expect.any(Number),
    });
    expect(list.transactions[0].text()).toBe('forgotten');
    expect((await admin.producerGroups.get(producerGroup)).discardedTotal).toBe(1);
  });

  it('reports a commit that failed after its retries; the half message stays for the check-back', async () => {
    const { topic, producerGroup, admin } = await setup('TxEndFails');
    const noCommits = (input: string, init?: RequestInit): Promise<Response> =>
      input.endsWith('/commit')
        ? Promise.resolve(
            Response.json({ error: { code: 'BROKER_UNAVAILABLE', message: 'down', retriable: true } }, { status: 503 }),
          )
        : workerFetch(input, init);
    const producer = client({ fetch: noCommits, retry: { retries: 1, initialDelayMs: 1 } }).producer();
    const r = await producer.sendTransactional(topic, 'pending', () => TransactionState.COMMIT, { producerGroup });
    expect(r.localTransactionState).toBe('COMMIT');
    expect(r.committed).toBeUndefined();
    expect(r.endTransactionError).toMatchObject({ code: 'BROKER_UNAVAILABLE', retriable: true });
    expect((await admin.transactions.get(r.half.transactionHandle)).text()).toBe('pending');
    expect((await admin.transactions.commit(r.half.transactionHandle)).status).toBe('COMMITTED');
  });

  it('refuses misuse before sending anything', async () => {
    const c = client();
    const producer = c.producer();
    await expect(producer.sendTransactional('T', 'x', () => 'COMMIT', {} as never)).rejects.toBeInstanceOf(
      FlaremqError,
    );
    await expect(
      producer.sendTransactional('T', 'x', undefined as never, { producerGroup: 'PG' }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(() => c.transactionChecker({ producerGroup: 'PG', topic: 'T' } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
    const { topic, producerGroup } = await setup('TxBad');
    const bad = await c.producer().sendTransactional(topic, 'x', () => 'MAYBE' as never, { producerGroup });
    expect(bad.localTransactionState).toBe('UNKNOWN');
    expect(bad.localTransactionError).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
