/**
 * Orderly consumption: 20 sharding keys × 50 messages consumed by 3 orderly
 * members, with handlers that fail now and then and a member leaving midway.
 * Per key, a message is only ever processed after its predecessor was (a
 * failed message is retried in place, never skipped or reordered); every
 * message is processed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../src/sdk/index';
import { client, testConsumerOptions, uniqueName, waitFor } from './helpers';

const running: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

const KEYS = 20;
const PER_KEY = 50;

describe('orderly consumption', { timeout: 120_000 }, () => {
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
    await waitFor(() => [...Array(KEYS).keys()].every((k) => done.get(`key-${k}`) === PER_KEY - 1), 'every key to its last message', 90_000);

    expect(violations).toEqual([]);
    expect(failures).toBeGreaterThan(0);
    const dlq = await c.admin().dlq.list(group);
    expect(dlq.total).toBe(0);
  });
});
