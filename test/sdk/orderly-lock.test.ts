/**
 * Orderly consumption and the queue lock (issue 11): a member starts a batch
 * only while it may trust its lock (RocketMQ's ConsumeRequest.run checks
 * `processQueue.isLocked() && !processQueue.isLockExpired()`), renews the
 * locks of the queues it still consumes (RebalanceImpl.lockAll), and an old
 * owner whose handler still runs, after a rebalance (orderly or concurrent)
 * or stop(), keeps its lock until the handler ends. No
 * test waits for the lock's 60 s: lock rows are aged with runInDurableObject,
 * and the consumer's lock intervals are shortened through its options.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../src/sdk/index';
import { client, testConsumerOptions, uniqueName, waitFor, workerFetch, TRANSPORTS, useTransport } from './helpers';
import { served } from '../workers/helpers';

const running: PushConsumer[] = [];
/** Run before the consumers stop (a test that failed midway leaves its member cut off or its handler hanging). */
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

/** The master's copy of queue 0 of `topic` on broker-a, where the group's lock lives. */
const masterQueue = (topic: string) => served(env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`));

/** Sets when the group's lock on the queue expires, as if its holder had last renewed it that long ago. */
async function ageLock(topic: string, group: string, expiresAt: number): Promise<void> {
  await runInDurableObject(masterQueue(topic), (_i, state) => {
    state.storage.sql.exec('UPDATE mql_lock SET expires_at = ? WHERE grp = ?', expiresAt, group);
  });
}

const isLockRequest = (input: string, init?: RequestInit) =>
  (init?.method ?? 'GET') === 'PUT' && new URL(input).pathname.endsWith('/lock');

async function errorCode(res: Response): Promise<string | undefined> {
  if (res.ok) return undefined;
  return ((await res.clone().json()) as { error?: { code?: string } }).error?.code;
}

describe.each(TRANSPORTS)('orderly consumption and the queue lock over %s', { timeout: 60_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('a member whose lock expired while its pulls fail does not run its handler on messages it already pulled of that queue', async () => {
    const topic = uniqueName('LockExpired');
    const group = uniqueName('GID_lockexpired');
    await client()
      .admin()
      .topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await client().producer().sendBatch(topic, ['m1', 'm2', 'm3']);

    // Member A is cut off from the server at `cutAt` (every request fails, an answer arriving after it too): it can
    // neither pull, nor heartbeat, nor renew its lock. Its attempts to renew the lock after `releasedAt` are counted.
    let cutAt: number | undefined;
    let releasedAt: number | undefined;
    let lockAttempts = 0;
    let inFlight = 0;
    const cutOffFetch = async (input: string, init?: RequestInit) => {
      if (cutAt !== undefined && releasedAt !== undefined && isLockRequest(input, init)) lockAttempts++;
      if (cutAt !== undefined) throw new TypeError('network connection lost');
      inFlight++;
      try {
        const res = await workerFetch(input, init);
        if (cutAt !== undefined) throw new TypeError('network connection lost');
        return res;
      } finally {
        inFlight--;
      }
    };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const aGot: string[] = [];
    let aRunning = false;
    // It trusts a lock 1 s after the request that took or renewed it (30 s by default, of the lock's 60 s).
    const a = client({ fetch: cutOffFetch }).pushConsumer({
      ...testConsumerOptions(group),
      clientId: 'zz-cut-off',
      orderly: true,
      lockMaxLiveMs: 1_000,
    });
    running.push(a);
    await a.subscribe(topic).run({
      eachMessage: async (m) => {
        aGot.push(m.text());
        aRunning = true;
        if (m.text() === 'm1') await gate; // a slow downstream call on m1; m2 and m3 wait in A's process queue
        aRunning = false;
      },
    });
    cleanups.push(() => {
      cutAt = undefined; // let A stop cleanly
      release();
    });
    await waitFor(() => aRunning && aGot.includes('m1'), "A's handler running on m1");
    expect(a.stats().queues.find((q) => q.queue.topic === topic)?.pending).toBe(3); // m2 and m3 already pulled

    cutAt = Date.now();
    await waitFor(() => inFlight === 0, "A's last requests reaching the server");
    // Its lock expires on the server (60 s without a renewal), and B, which sorts first, is given the queue and takes the lock.
    await ageLock(topic, group, Date.now() - 1);
    const bGot: string[] = [];
    const b = client().pushConsumer({ ...testConsumerOptions(group), clientId: 'aa-new-owner', orderly: true });
    running.push(b);
    await b.subscribe(topic).run({ eachMessage: (m) => void bGot.push(m.text()) });
    await waitFor(() => bGot.length >= 3, 'B consuming the queue');
    expect(bGot).toEqual(['m1', 'm2', 'm3']);

    // A's handler on m1 ends once A's lock may have expired (more than 1 s after its last request that reached the server).
    await waitFor(() => Date.now() > cutAt! + 1_100, "A's lock lifetime passing");
    releasedAt = Date.now();
    release();
    await waitFor(
      () => aGot.includes('m2') || lockAttempts >= 3,
      'A consuming m2, or trying 3 times to renew its lock',
    );
    expect(aGot).toEqual(['m1']);
    expect(a.stats().queues.find((q) => q.queue.topic === topic)?.pending).toBe(2); // m2 and m3 kept, not consumed, while the lock is not A's
  });

  it.each([
    { mode: 'orderly', orderly: true },
    { mode: 'concurrent', orderly: false },
  ])(
    'an old owner whose handler runs longer than the lock lasts keeps the lock renewed, and the new owner gets no message of the queue until the handler ends ($mode)',
    async ({ orderly }) => {
      const topic = uniqueName('LockRenewed');
      const group = uniqueName('GID_lockrenewed');
      await client()
        .admin()
        .topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
      await client().producer().send(topic, 'm1');

      // The old owner's handler hangs on m1 past its settle timeout (1 ms here) and past the lock's 60 s.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let oldRunning = false;
      const oldOwner = client().pushConsumer({
        ...testConsumerOptions(group),
        clientId: 'zz-old-owner',
        orderly,
        shutdownTimeoutMs: 1,
        lockRenewIntervalMs: 100, // RocketMQ's lockAll runs every 20 s; shortened so that this test does not wait
      });
      running.push(oldOwner);
      await oldOwner.subscribe(topic).run({
        eachMessage: async () => {
          oldRunning = true;
          await gate;
          oldRunning = false;
        },
      });
      await waitFor(() => oldRunning, "the old owner's handler running");

      // The new owner sorts first: AVG gives it the queue. Its pulls refused with QUEUE_LOCKED after `agedUntil` are counted.
      let agedUntil: number | undefined;
      let refusedAfterAged = 0;
      const countingFetch = async (input: string, init?: RequestInit) => {
        const res = await workerFetch(input, init);
        if (agedUntil !== undefined && Date.now() > agedUntil && (await errorCode(res)) === 'QUEUE_LOCKED')
          refusedAfterAged++;
        return res;
      };
      const overlaps: string[] = [];
      const newGot: string[] = [];
      const newOwner = client({ fetch: countingFetch }).pushConsumer({
        ...testConsumerOptions(group),
        clientId: 'aa-new-owner',
        orderly,
      });
      running.push(newOwner);
      await newOwner.subscribe(topic).run({
        eachMessage: (m) => {
          if (oldRunning) overlaps.push(m.text());
          newGot.push(m.text());
        },
      });
      await waitFor(() => !oldOwner.assignment().some((q) => q.topic === topic), 'the old owner losing the queue');

      // 59 s pass since the old owner's last pull: 1 s of its lock is left.
      agedUntil = Date.now() + 1_000;
      await ageLock(topic, group, agedUntil);
      await waitFor(
        () => newGot.length > 0 || refusedAfterAged >= 5,
        'the new owner consuming, or being refused the lock 5 times after the aged lock would have expired',
      );
      expect(overlaps).toEqual([]);
      expect(newGot).toEqual([]);
      const holder = await masterQueue(topic).lockHolder(group);
      expect(holder?.clientId).toBe('zz-old-owner');
      expect(holder!.expiresAt).toBeGreaterThan(agedUntil); // renewed

      // The handler ends: the old owner releases the lock, and the new owner consumes m1 (never committed by the old one).
      release();
      await waitFor(() => newGot.includes('m1'), 'the new owner consuming m1 after the old handler ended');
      expect(overlaps).toEqual([]);
    },
  );

  it('an orderly consumer stopped while its handler still runs keeps the queue locked, renewed, until the handler ends: the next owner gets nothing meanwhile', async () => {
    const topic = uniqueName('LockOnStop');
    const group = uniqueName('GID_lockonstop');
    await client()
      .admin()
      .topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await client().producer().send(topic, 'm1');

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    cleanups.push(() => release());
    let oldRunning = false;
    const oldOwner = client().pushConsumer({
      ...testConsumerOptions(group),
      clientId: 'zz-old-owner',
      orderly: true,
      shutdownTimeoutMs: 1,
      lockRenewIntervalMs: 100,
    });
    running.push(oldOwner);
    await oldOwner.subscribe(topic).run({
      eachMessage: async () => {
        oldRunning = true;
        await gate;
        oldRunning = false;
      },
    });
    await waitFor(() => oldRunning, "the old owner's handler running");
    await oldOwner.stop(); // returns once it left the group; its handler still runs

    let agedUntil: number | undefined;
    let refusedAfterAged = 0;
    const countingFetch = async (input: string, init?: RequestInit) => {
      const res = await workerFetch(input, init);
      if (agedUntil !== undefined && Date.now() > agedUntil && (await errorCode(res)) === 'QUEUE_LOCKED')
        refusedAfterAged++;
      return res;
    };
    const overlaps: string[] = [];
    const newGot: string[] = [];
    const newOwner = client({ fetch: countingFetch }).pushConsumer({
      ...testConsumerOptions(group),
      clientId: 'aa-new-owner',
      orderly: true,
    });
    running.push(newOwner);
    await newOwner.subscribe(topic).run({
      eachMessage: (m) => {
        if (oldRunning) overlaps.push(m.text());
        newGot.push(m.text());
      },
    });
    agedUntil = Date.now() + 1_000; // 59 s pass since the old owner's last pull
    await ageLock(topic, group, agedUntil);
    await waitFor(
      () => newGot.length > 0 || refusedAfterAged >= 5,
      'the new owner consuming, or being refused the lock 5 times after the aged lock would have expired',
    );
    expect(overlaps).toEqual([]);
    expect(newGot).toEqual([]);

    release();
    await waitFor(() => newGot.includes('m1'), 'the new owner consuming m1 after the old handler ended');
    expect(overlaps).toEqual([]);
  });
});
