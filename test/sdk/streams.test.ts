import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumedMessage, PushConsumer } from '../../src/sdk/index';
import { client, testConsumerOptions, uniqueName, waitFor, workerFetch } from './helpers';

const consumers: PushConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
});

/** The Worker's fetch, counting member pulls and stream upgrades; `refuseUpgrades` answers upgrades as a proxy that does not pass them would. */
function countingFetch(refuseUpgrades = false) {
  const seen = { pulls: 0, streams: 0, posts: 0 };
  const fetch = async (input: string, init?: RequestInit) => {
    const url = new URL(input);
    if (new Headers(init?.headers).get('upgrade') === 'websocket') {
      seen.streams++;
      if (refuseUpgrades) return new Response('no upgrades here', { status: 502 });
    } else if (/\/members\/[^/]+\/queues\/.*\/messages$/.test(url.pathname)) {
      seen.pulls++;
    } else if (init?.method === 'POST' && /\/topics\/[^/]+\/messages$/.test(url.pathname)) {
      seen.posts++;
    }
    return workerFetch(input, init);
  };
  return { seen, fetch };
}

describe('the SDK over streams', { timeout: 60_000 }, () => {
  it('a push consumer receives by push, with no pull, and commits on the stream', async () => {
    const { seen, fetch } = countingFetch();
    const c = client({ fetch });
    const topic = uniqueName('Streamed');
    const group = uniqueName('GID_streamed');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const got: ConsumedMessage[] = [];
    // No commit timer within the test: the offsets move by the stream's commits.
    const consumer = c.pushConsumer({ ...testConsumerOptions(group), autoCommitIntervalMs: 600_000 });
    consumers.push(consumer);
    await consumer.subscribe(topic).run({ eachMessage: (m) => void got.push(m) });
    const sent = await c.producer().sendBatch(
      topic,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    await waitFor(() => got.length >= 10, '10 messages');
    expect(new Set(got.map((m) => m.msgId))).toEqual(new Set(sent.map((s) => s.msgId)));
    await waitFor(async () => (await c.admin().groups.offsets(group, topic)).totalLag === 0, 'the commits');
    expect(seen.streams).toBeGreaterThanOrEqual(4);
    expect(seen.pulls).toBe(0);
  });

  it('falls back to HTTP pulls when streams cannot be opened', async () => {
    const { seen, fetch } = countingFetch(true);
    const c = client({ fetch });
    const topic = uniqueName('Fallback');
    const group = uniqueName('GID_fallback');
    await c.admin().topics.create(topic, { queueNums: 1 });
    const got: ConsumedMessage[] = [];
    const consumer = c.pushConsumer(testConsumerOptions(group));
    consumers.push(consumer);
    await consumer.subscribe(topic).run({ eachMessage: (m) => void got.push(m) });
    await c.producer().sendBatch(topic, ['a', 'b', 'c']);
    await waitFor(() => got.length >= 3, '3 messages');
    expect(seen.streams).toBeGreaterThan(0);
    expect(seen.pulls).toBeGreaterThan(0);
  });

  it("transport 'http' never opens a stream", async () => {
    const { seen, fetch } = countingFetch();
    const c = client({ fetch, transport: 'http' });
    const topic = uniqueName('HttpOnly');
    const group = uniqueName('GID_http');
    await c.admin().topics.create(topic, { queueNums: 1 });
    const got: ConsumedMessage[] = [];
    const consumer = c.pushConsumer(testConsumerOptions(group));
    consumers.push(consumer);
    await consumer.subscribe(topic).run({ eachMessage: (m) => void got.push(m) });
    await c.producer().send(topic, 'x');
    await waitFor(() => got.length >= 1, 'the message');
    expect(seen.streams).toBe(0);
    expect(seen.pulls).toBeGreaterThan(0);
  });

  it('a producer sends over one stream per topic, answered as REST sends, and falls back to HTTP', async () => {
    const { seen, fetch } = countingFetch();
    const c = client({ fetch });
    const topic = uniqueName('ProducedOnStream');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const producer = c.producer();
    const one = await producer.send(topic, { body: 'one', keys: ['k'] });
    const batch = await producer.sendBatch(topic, ['a', 'b', 'c'], { shardingKey: 'key' });
    const delayed = await producer.send(topic, 'later', { delayMs: 60_000 });
    expect(one).toMatchObject({ status: 'SEND_OK', topic });
    expect(batch.map((r) => r.queueOffset)).toEqual([
      batch[0].queueOffset,
      batch[0].queueOffset + 1,
      batch[0].queueOffset + 2,
    ]);
    expect(delayed).toMatchObject({ delayed: true });
    await expect(producer.send(topic, { body: 'x', properties: { UNIQ_KEY: 'mine' } })).rejects.toMatchObject({
      code: 'RESERVED_PROPERTY',
    });
    expect(seen.streams).toBe(1);
    expect(seen.posts).toBe(0);
    await producer.close();

    const refused = countingFetch(true);
    const fallback = client({ fetch: refused.fetch }).producer();
    expect(await fallback.send(topic, 'over http')).toMatchObject({ status: 'SEND_OK' });
    expect(refused.seen.streams).toBe(1);
    expect(refused.seen.posts).toBe(1);
  });

  it("retries a producer stream's retriable refusal, as a send over HTTP is retried", async () => {
    let refusals = 2;
    let upgrades = 0;
    const flaky = async (input: string, init?: RequestInit) => {
      if (new Headers(init?.headers).get('upgrade') === 'websocket') {
        upgrades++;
        if (refusals-- > 0)
          return new Response(
            JSON.stringify({ error: { code: 'BROKER_UNAVAILABLE', message: 'no master alive', retriable: true } }),
            { status: 503 },
          );
      }
      return workerFetch(input, init);
    };
    const c = client({ fetch: flaky, retry: { initialDelayMs: 1 } });
    const producer = c.producer();
    expect(await producer.send(uniqueName('FlakyStream'), 'eventually')).toMatchObject({ status: 'SEND_OK' });
    expect(upgrades).toBe(3);
    await producer.close();
  });
});
