/**
 * Orderly consumption: 20 sharding keys × 50 messages consumed by 3 orderly
 * members, with handlers that fail now and then and a member leaving midway.
 * Per key, a message is only ever processed after its predecessor was (a
 * failed message is retried in place, never skipped or reordered); every
 * message is processed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../src/sdk/index';
import { client, testConsumerOptions, uniqueName, waitFor, workerFetch, TRANSPORTS, useTransport } from './helpers';

const running: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

const KEYS = 20;
const PER_KEY = 50;

describe.each(TRANSPORTS)('orderly consumption over %s', { timeout: 120_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('keeps per-key order across 3 members with injected failures', async () => {
    const c = client();
    const topic = uniqueName('Orderly');
    const group = uniqueName('GID_orderly');
    await c.admin().topics.create(topic, { queueNums: 4 });

    const done = new Map<string, number>(); // key -> highest seq processed so far
    const violations: string[] = [];
    let failures = 0;
    let successes = 0;
    const members: PushConsumer[] = [];
    for (let i = 0; i < 3; i++) {
      const consumer = c.pushConsumer({ ...testConsumerOptions(group), orderly: true, concurrency: 8 });
      running.push(consumer);
      await consumer.subscribe(topic).run({
        eachMessage: async (m) => {
          const { key, seq } = m.json<{ key: string; seq: number }>();
          const last = done.get(key) ?? -1;
          if (seq > last + 1) violations.push(`${key}: ${seq} processed before ${last + 1}`);
          if (Math.random() < 0.1) {
            failures++;
            throw new Error(`injected failure of ${key}#${seq}`);
          }
          done.set(key, Math.max(last, seq));
          successes++;
        },
      });
      members.push(consumer);
    }
    expect(members.every((m) => m.assignment().length > 0)).toBe(true);

    // Interleave keys, as independent producers would.
    const producer = c.producer();
    for (let seq = 0; seq < PER_KEY; seq += 10) {
      await Promise.all(
        Array.from({ length: KEYS }, (_, k) =>
          producer.sendBatch(
            topic,
            Array.from({ length: 10 }, (_, j) => JSON.stringify({ key: `key-${k}`, seq: seq + j })),
            { shardingKey: `key-${k}` },
          ),
        ),
      );
    }

    await waitFor(() => successes >= (KEYS * PER_KEY) / 3, 'a third of the messages');
    await members[0].stop(); // its queues move to the others, locks handed over
    await waitFor(
      () => [...Array(KEYS).keys()].every((k) => done.get(`key-${k}`) === PER_KEY - 1),
      'every key to its last message',
      90_000,
    );

    expect(violations).toEqual([]);
    expect(failures).toBeGreaterThan(0);
    const dlq = await c.admin().dlq.list(group);
    expect(dlq.total).toBe(0);
  });

  it('orderly handover: the old owner keeps the queue locked while its handler still runs past the settle timeout, so the new owner never consumes at the same time', async () => {
    const topic = uniqueName('Handover');
    const group = uniqueName('GID_handover');
    await client()
      .admin()
      .topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await client().producer().send(topic, 'm1');

    // The old owner's handler hangs on m1 (a stuck downstream call) past its settle timeout (1 ms here, 30 s by default).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let oldRunning = false;
    const oldGot: string[] = [];
    const oldOwner = client().pushConsumer({
      ...testConsumerOptions(group),
      clientId: 'zz-old-owner',
      orderly: true,
      shutdownTimeoutMs: 1,
    });
    running.push(oldOwner);
    await oldOwner.subscribe(topic).run({
      eachMessage: async (m) => {
        oldGot.push(m.text());
        oldRunning = true;
        await gate;
        oldRunning = false;
      },
    });
    await waitFor(() => oldRunning, "the old owner's handler running");

    // The new member sorts first: AVG gives it the only queue. Its pulls refused with QUEUE_LOCKED are counted.
    let refusedAfterLoss = 0;
    let oldLost = false;
    const countingFetch = async (input: string, init?: RequestInit) => {
      const res = await workerFetch(input, init);
      if (
        res.status === 409 &&
        oldLost &&
        ((await res.clone().json()) as { error?: { code?: string } }).error?.code === 'QUEUE_LOCKED'
      )
        refusedAfterLoss++;
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
    await waitFor(() => !oldOwner.assignment().some((q) => q.topic === topic), 'the old owner losing the queue');
    oldLost = true;
    // Either the new owner consumes while the old handler runs (the defect), or it keeps being refused the lock.
    await waitFor(
      () => newGot.length > 0 || refusedAfterLoss >= 5,
      'the new owner consuming, or being refused the lock 5 times',
    );
    expect(overlaps).toEqual([]);
    expect(newGot).toEqual([]);

    // The old handler ends: the old owner releases the lock, and the new owner consumes m1 (not committed by the old one: delivered again).
    release();
    await waitFor(() => newGot.includes('m1'), 'the new owner consuming m1 after the old handler ended');
    expect(overlaps).toEqual([]);
    expect(oldGot).toEqual(['m1']);
  });
});
