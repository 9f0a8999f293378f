/**
 * The SDK end to end in Node against the real local server (`wrangler dev`),
 * over real HTTP: produce (single, batch, ordered, delayed), consume with two
 * push members, an async iterator and a pull consumer, retry to the DLQ and
 * resend, admin; and a stop() while long polls wait.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ReconsumeLater,
  createClient,
  type Client,
  type ConsumedMessage,
  type PushConsumer,
} from '../../src/sdk/index';
import { makeTempDir, startServer, type DevServer, stopAndRemove } from './server';

let tmp: string;
let server: DevServer | null = null;
let client: Client;

const consumerOptions = (group: string) => ({
  group,
  consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' as const,
  pullWaitMs: 1_000,
  autoCommitIntervalMs: 500,
  onError: () => {},
});

async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 60_000,
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | undefined | null>;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n--- server output (tail) ---\n${server?.output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('SDK against wrangler dev', () => {
  beforeAll(async () => {
    tmp = makeTempDir('flaremq-e2e-sdk-');
    server = await startServer({ persistTo: join(tmp, 'state') });
    client = createClient({ endpoint: server.url });
  });

  afterAll(async () => {
    await stopAndRemove(server, tmp);
    server = null;
  });

  it('produces and consumes with two push members, losing nothing', async () => {
    const admin = client.admin();
    await admin.topics.create('SdkE2E', { queueNums: 2 });
    const producer = client.producer();
    const sent = [
      ...(await producer.sendBatch(
        'SdkE2E',
        Array.from({ length: 20 }, (_, i) => `batch-${i}`),
      )),
      await producer.send('SdkE2E', new Uint8Array([0, 255, 1, 254])),
      ...(await Promise.all(
        Array.from({ length: 10 }, (_, i) => producer.send('SdkE2E', `ordered-${i}`, { shardingKey: 'k' })),
      )),
    ];
    const seen = new Map<string, ConsumedMessage>();
    const members: PushConsumer[] = [];
    for (let i = 0; i < 2; i++) {
      const consumer = client.pushConsumer(consumerOptions('GID_e2e_push'));
      await consumer.subscribe('SdkE2E').run({ eachMessage: (m) => void seen.set(m.msgId, m) });
      members.push(consumer);
    }
    await waitFor(() => sent.every((r) => seen.has(r.msgId)), 'every message');
    expect([...seen.get(sent[20].msgId)!.body]).toEqual([0, 255, 1, 254]);
    await waitFor(
      () => members.every((m) => m.assignment().filter((q) => q.topic === 'SdkE2E').length === 2),
      'two queues each',
    );
    await Promise.all(members.map((m) => m.stop()));
    expect((await admin.groups.offsets('GID_e2e_push', 'SdkE2E')).totalLag).toBe(0);
    expect((await admin.groups.get('GID_e2e_push')).members).toEqual([]);
  });

  it('consumes with an async iterator and with a pull consumer', async () => {
    await client.producer().sendBatch('SdkE2EIter', ['a', 'b', 'c']);
    const got: string[] = [];
    for await (const m of client.pushConsumer(consumerOptions('GID_e2e_iter')).subscribe('SdkE2EIter')) {
      got.push(m.text());
      m.ack();
      if (got.length === 3) break;
    }
    expect(got).toEqual(['a', 'b', 'c']);

    const puller = client
      .pullConsumer({ ...consumerOptions('GID_e2e_pull'), autoCommit: false })
      .subscribe('SdkE2EIter');
    await puller.start();
    const polled: string[] = [];
    await waitFor(async () => {
      polled.push(...(await puller.poll({ waitMs: 1_000 })).map((m) => m.text()));
      return polled.length >= 3;
    }, 'three polled messages');
    await puller.commit();
    await puller.stop();
    expect(polled.sort()).toEqual(['a', 'b', 'c']);
    expect((await client.admin().groups.offsets('GID_e2e_pull', 'SdkE2EIter')).totalLag).toBe(0);
  });

  it('delivers a delayed message when due, and cancels another', async () => {
    const producer = client.producer();
    const keep = await producer.send('SdkE2EDelay', 'one second later', { delayLevel: 1 });
    const drop = await producer.send('SdkE2EDelay', 'never', { delayMs: 60_000 });
    expect(keep.delayed && drop.delayed).toBe(true);
    await client.admin().timers.cancel(drop.timerHandle);
    const got: ConsumedMessage[] = [];
    const consumer = client.pushConsumer(consumerOptions('GID_e2e_delay'));
    await consumer.subscribe('SdkE2EDelay').run({ eachMessage: (m) => void got.push(m) });
    await waitFor(() => got.length >= 1, 'the delayed message');
    await consumer.stop();
    expect(got.map((m) => m.text())).toEqual(['one second later']);
    expect(got[0].storeTimestamp).toBeGreaterThanOrEqual(keep.deliverAt);
  });

  it('retries a failing message to the DLQ and resends it', async () => {
    await client.producer().send('SdkE2ERetry', 'poison');
    let healed = false;
    const attempts: number[] = [];
    let consumed = false;
    const consumer = client.pushConsumer({ ...consumerOptions('GID_e2e_retry'), maxReconsumeTimes: 1 });
    await consumer.subscribe('SdkE2ERetry').run({
      eachMessage: (m) => {
        if (!healed) {
          attempts.push(m.reconsumeTimes);
          throw new ReconsumeLater({ delayLevel: 1 });
        }
        consumed = true;
      },
    });
    const dlq = await waitFor(async () => {
      const list = await client.admin().dlq.list('GID_e2e_retry');
      return list.total === 1 && list;
    }, 'the DLQ');
    expect(attempts).toEqual([0, 1]);
    healed = true;
    await client.admin().dlq.resend('GID_e2e_retry', dlq.messages[0].msgId);
    await waitFor(() => consumed, 'the resent message');
    await consumer.stop();
  });

  it('stops while its long polls wait, and leaves the group', async () => {
    const consumer = client.pushConsumer({ ...consumerOptions('GID_e2e_stop'), pullWaitMs: 15_000 });
    await consumer.subscribe('SdkE2EIter').run({ eachMessage: () => {} });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the pulls are now waiting on the server
    await consumer.stop(); // aborts them rather than waiting them out
    expect((await client.admin().groups.get('GID_e2e_stop')).members).toEqual([]);
  });
});
