import { beforeEach, describe, expect, it } from 'vitest';
import { createClient, type DelayedSendResult } from '../../src/sdk/index';
import { client, uniqueName, workerFetch, TRANSPORTS, useTransport } from './helpers';

describe.each(TRANSPORTS)('producer over %s', { timeout: 60_000 }, (transport) => {
  beforeEach(() => useTransport(transport));

  it('sends text, bytes and full messages, and reads them back as sent', async () => {
    const c = client();
    const topic = uniqueName('Send');
    const p = c.producer();
    const text = await p.send(topic, 'hello flaremq');
    expect(text).toMatchObject({ status: 'SEND_OK', topic, queueOffset: expect.any(Number) });
    expect(text.msgId).toMatch(/^[0-9A-F]+$/);
    expect(text.uniqueKey).toMatch(/^[0-9A-F]{32}$/);

    const bytes = new Uint8Array([0, 1, 2, 0xff, 0xfe, 0x80]);
    const binary = await p.send(topic, bytes);
    const full = await p.send(topic, {
      body: '{"n":42}',
      tags: 'TagA',
      keys: ['order-1', 'user-7'],
      properties: { source: 'sdk' },
      uniqueKey: 'my-key-1',
    });
    expect(full.uniqueKey).toBe('my-key-1');

    const admin = c.admin();
    expect((await admin.messages.get(text.msgId)).text()).toBe('hello flaremq');
    const gotBytes = await admin.messages.get(binary.msgId);
    expect([...gotBytes.body]).toEqual([...bytes]);
    const gotFull = await admin.messages.get(full.msgId);
    expect(gotFull).toMatchObject({
      topic,
      tags: 'TagA',
      keys: ['order-1', 'user-7'],
      properties: { source: 'sdk' },
      uniqueKey: 'my-key-1',
      reconsumeTimes: 0,
    });
    expect(gotFull.json()).toEqual({ n: 42 });
  });

  it('sends a batch to one queue at consecutive offsets, in order', async () => {
    const c = client();
    const topic = uniqueName('Batch');
    const results = await c.producer().sendBatch(topic, ['a', new Uint8Array([1, 2, 3]), { body: 'c', tags: 'TagC' }]);
    expect(results).toHaveLength(3);
    const { brokerName, queueId, queueOffset } = results[0];
    results.forEach((r, i) => expect(r).toMatchObject({ brokerName, queueId, queueOffset: queueOffset + i }));
    const pulled = await c
      .admin()
      .topics.pull(topic, { brokerName, queueId }, { offset: queueOffset, maxMessages: 10 });
    expect(pulled.messages.map((m) => m.msgId)).toEqual(results.map((r) => r.msgId));
    expect(pulled.messages[1].body).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('keeps every message of a sharding key in one queue, in order', async () => {
    const c = client();
    const topic = uniqueName('Sharded');
    await c.admin().topics.create(topic, { queueNums: 4 });
    const p = c.producer();
    const byKey = new Map<string, string[]>();
    for (let i = 0; i < 30; i++) {
      const key = `order-${i % 5}`;
      const r = await p.send(topic, `${key}:${i}`, { shardingKey: key });
      const where = `${r.brokerName}/${r.queueId}`;
      byKey.set(key, [...(byKey.get(key) ?? []), where]);
    }
    for (const [, queues] of byKey) expect(new Set(queues).size).toBe(1);
    const batch = await p.sendBatch(topic, ['x', 'y'], { shardingKey: 'order-0' });
    expect(`${batch[0].brokerName}/${batch[0].queueId}`).toBe(byKey.get('order-0')![0]);
  });

  it('sends to an explicit queue', async () => {
    const c = client();
    const topic = uniqueName('Explicit');
    await c.admin().topics.create(topic, { queueNums: 2 });
    const r = await c.producer().send(topic, 'here', { queue: { brokerName: 'broker-b', queueId: 1 } });
    expect(r).toMatchObject({ brokerName: 'broker-b', queueId: 1 });
  });

  it('sends oneway: only validation errors come back', async () => {
    const c = client();
    const topic = uniqueName('Oneway');
    await c.admin().topics.create(topic);
    expect(await c.producer().sendOneway(topic, 'fire and forget')).toEqual({ status: 'ACCEPTED', count: 1 });
    expect(await c.producer().sendOneway(topic, ['a', 'b'])).toEqual({ status: 'ACCEPTED', count: 2 });
    await expect(c.producer().sendOneway(topic, '')).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
  });

  it('sends delayed messages that answer a timer handle, readable and cancellable', async () => {
    const c = client();
    const topic = uniqueName('Delayed');
    const p = c.producer();
    const delayed: DelayedSendResult = await p.send(topic, 'later', { delayMs: 60_000 });
    expect(delayed).toMatchObject({ status: 'SEND_OK', delayed: true, topic, timerHandle: expect.any(String) });
    expect(delayed.deliverAt).toBeGreaterThan(Date.now());
    expect((delayed as unknown as Record<string, unknown>).msgId).toBeUndefined();

    const pending = await c.admin().timers.get(delayed.timerHandle);
    expect(pending.text()).toBe('later');
    expect(pending.deliverAt).toBe(delayed.deliverAt);
    const cancelled = await c.admin().timers.cancel(delayed.timerHandle);
    expect(cancelled).toMatchObject({ cancelled: true, timerHandle: delayed.timerHandle });
    await expect(c.admin().timers.cancel(delayed.timerHandle)).rejects.toMatchObject({ code: 'TIMER_NOT_FOUND' });

    const at = new Date(Date.now() + 60_000);
    const batch = await p.sendBatch(topic, ['x', 'y'], { deliverAt: at });
    expect(batch.map((r) => r.delayed)).toEqual([true, true]);
    expect(batch.every((r) => r.deliverAt === at.getTime())).toBe(true);
    const level = await p.send(topic, 'level', { delayLevel: 1 });
    expect(level.delayed).toBe(true);
    await expect(p.send(topic, 'bad', { delayLevel: 99 })).rejects.toMatchObject({ code: 'INVALID_DELAY' });
  });

  it('delivers a delayed message when it is due', async () => {
    const c = client();
    const topic = uniqueName('Due');
    await c.admin().topics.create(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const sentAt = Date.now();
    const r = await c.producer().send(topic, 'due soon', { delayLevel: 1 }); // 200 ms in the tests' configuration
    let found;
    for (let i = 0; i < 100 && !found; i++) {
      const pulled = await c
        .admin()
        .topics.pull(topic, { brokerName: r.brokerName, queueId: r.queueId }, { offset: 0, waitMs: 1000 });
      found = pulled.messages[0];
    }
    expect(found?.text()).toBe('due soon');
    expect(found!.storeTimestamp).toBeGreaterThanOrEqual(r.deliverAt);
    expect(r.deliverAt).toBeGreaterThanOrEqual(sentAt);
  });

  it('retries a retriable failure, with the same unique key, until it succeeds', async () => {
    const bodies: any[] = [];
    let failures = 2;
    const flaky = async (input: string, init?: RequestInit) => {
      if (init?.body) bodies.push(JSON.parse(String(init.body)));
      if (failures-- > 0) {
        return new Response(
          JSON.stringify({ error: { code: 'BROKER_UNAVAILABLE', message: 'no master alive', retriable: true } }),
          { status: 503 },
        );
      }
      return workerFetch(input, init);
    };
    // The fetch double answers HTTP sends: the HTTP transport (a producer stream's retries: test/sdk/streams.test.ts).
    const c = createClient({
      endpoint: 'http://flaremq.test',
      fetch: flaky,
      retry: { initialDelayMs: 1 },
      transport: 'http',
    });
    const topic = uniqueName('Flaky');
    const r = await c.producer().send(topic, 'eventually');
    expect(r.status).toBe('SEND_OK');
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies.map((b) => b.uniqueKey)).size).toBe(1);
    expect(r.uniqueKey).toBe(bodies[0].uniqueKey);
  });

  it('retries a dropped connection too, but gives up after the configured retries', async () => {
    let calls = 0;
    const down = async () => {
      calls++;
      throw new TypeError('fetch failed');
    };
    const c = createClient({
      endpoint: 'http://flaremq.test',
      fetch: down,
      retry: { retries: 2, initialDelayMs: 1 },
      transport: 'http',
    });
    await expect(c.producer().send('T', 'x')).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(calls).toBe(3);
  });

  it('does not retry what the server refused for good', async () => {
    let calls = 0;
    const counting = async (input: string, init?: RequestInit) => {
      calls++;
      return workerFetch(input, init);
    };
    const c = createClient({ endpoint: 'http://flaremq.test', fetch: counting, retry: { initialDelayMs: 1 } });
    await expect(c.producer().send(uniqueName('Refused'), { body: 'x', tags: 'bad tag' })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      retriable: false,
    });
    expect(calls).toBe(1);
  });
});
