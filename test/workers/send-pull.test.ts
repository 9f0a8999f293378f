import { describe, expect, it } from 'vitest';
import { call, createTopic, maxOffsets, pull, send, uniqueName } from './helpers';

describe('send and pull', () => {
  it('round-trips a message with everything it carries', async () => {
    const topic = uniqueName('RoundTrip');
    await createTopic(topic);
    const sent = await send(topic, {
      body: 'hello',
      tags: 'TagA',
      keys: 'order-1 user-7',
      properties: { region: 'eu', 'x-trace': 'abc' },
      bornTimestamp: 1234,
    });
    expect(sent).toMatchObject({ status: 'SEND_OK', topic, queueOffset: 0 });
    expect(['broker-a', 'broker-b']).toContain(sent.brokerName);
    const got = await pull(topic, sent.brokerName, sent.queueId, { offset: 0 });
    expect(got).toMatchObject({ status: 'FOUND', nextBeginOffset: 1, minOffset: 0, maxOffset: 1 });
    expect(got.messages).toHaveLength(1);
    const m = got.messages[0];
    expect(m).toMatchObject({
      msgId: sent.msgId,
      topic,
      brokerName: sent.brokerName,
      queueId: sent.queueId,
      queueOffset: 0,
      tags: 'TagA',
      keys: 'order-1 user-7',
      properties: { region: 'eu', 'x-trace': 'abc' },
      body: 'hello',
      bodyEncoding: 'utf8',
      bornTimestamp: 1234,
      uniqueKey: sent.uniqueKey,
      reconsumeTimes: 0,
    });
    expect(m.storeTimestamp).toBeGreaterThan(0);
  });

  it('stores binary bodies byte for byte', async () => {
    const topic = uniqueName('Binary');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const bytes = new Uint8Array(300).map((_, i) => (i * 7) % 256);
    const base64 = btoa(String.fromCharCode(...bytes));
    await send(topic, { body: base64, bodyEncoding: 'base64' });
    const got = await pull(topic, 'broker-a', 0, { offset: 0 });
    expect(got.messages[0].bodyEncoding).toBe('base64');
    expect(got.messages[0].body).toBe(base64);
  });

  it('keeps a queue in FIFO order with consecutive offsets', async () => {
    const topic = uniqueName('Fifo');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    for (let i = 0; i < 20; i++) {
      const sent = await send(topic, { body: `m${i}` });
      expect(sent).toMatchObject({ brokerName: 'broker-b', queueId: 0, queueOffset: i });
    }
    const got = await pull(topic, 'broker-b', 0, { offset: 0, maxMessages: 100 });
    expect(got.messages.map((m: any) => m.body)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(got.messages.map((m: any) => m.queueOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('appends a batch to one queue atomically, in order', async () => {
    const topic = uniqueName('Batch');
    await createTopic(topic);
    const res = await send(topic, {
      messages: Array.from({ length: 10 }, (_, i) => ({ body: `b${i}`, keys: `k${i}` })),
    });
    expect(res.results).toHaveLength(10);
    const { brokerName, queueId } = res.results[0];
    res.results.forEach((r: any, i: number) =>
      expect(r).toMatchObject({ status: 'SEND_OK', brokerName, queueId, queueOffset: i }),
    );
    const got = await pull(topic, brokerName, queueId, { offset: 0, maxMessages: 32 });
    expect(got.messages.map((m: any) => m.body)).toEqual(res.results.map((_: unknown, i: number) => `b${i}`));
  });

  it('spreads round-robin sends over every writable queue', async () => {
    const topic = uniqueName('RoundRobin');
    await createTopic(topic, { queueNums: 2 });
    const used = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const sent = await send(topic, { body: `r${i}` });
      used.add(`${sent.brokerName}/${sent.queueId}`);
    }
    expect([...used].sort()).toEqual(['broker-a/0', 'broker-a/1', 'broker-b/0', 'broker-b/1']);
    const offsets = await maxOffsets(topic);
    expect(Object.values(offsets).reduce((a, b) => a + b, 0)).toBe(8);
  });

  it('keeps every message of a sharding key in one queue, in order', async () => {
    const topic = uniqueName('Ordered');
    await createTopic(topic);
    const placements = new Map<string, Set<string>>();
    for (let i = 0; i < 30; i++) {
      const key = `order-${i % 3}`;
      const sent = await send(topic, { body: `${key}:${i}`, shardingKey: key });
      placements.set(key, (placements.get(key) ?? new Set()).add(`${sent.brokerName}/${sent.queueId}`));
    }
    for (const [key, queues] of placements) {
      expect(queues.size).toBe(1);
      const [brokerName, queueId] = [...queues][0].split('/');
      const got = await pull(topic, brokerName, Number(queueId), { offset: 0, maxMessages: 100 });
      const bodies = got.messages.map((m: any) => m.body).filter((b: string) => b.startsWith(`${key}:`));
      expect(bodies).toEqual(Array.from({ length: 10 }, (_, j) => `${key}:${j * 3 + Number(key.slice(-1))}`));
    }
  });

  it('sends to an explicit queue', async () => {
    const topic = uniqueName('Explicit');
    await createTopic(topic, { queueNums: 3 });
    const sent = await send(topic, { body: 'here', queue: { brokerName: 'broker-b', queueId: 2 } });
    expect(sent).toMatchObject({ brokerName: 'broker-b', queueId: 2, queueOffset: 0 });
  });

  it('filters by tag expression and skips what does not match', async () => {
    const topic = uniqueName('Tags');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const tags = ['A', 'B', 'C', '', 'A', 'B'];
    for (const t of tags) await send(topic, { body: `t-${t}`, tags: t });
    const ab = await pull(topic, 'broker-a', 0, { offset: 0, tags: 'A || B' });
    expect(ab.status).toBe('FOUND');
    expect(ab.messages.map((m: any) => m.queueOffset)).toEqual([0, 1, 4, 5]);
    expect(ab.nextBeginOffset).toBe(6);
    const all = await pull(topic, 'broker-a', 0, { offset: 0, tags: '*' });
    expect(all.messages).toHaveLength(6);
    const none = await pull(topic, 'broker-a', 0, { offset: 0, tags: 'Z' });
    expect(none).toMatchObject({ status: 'NO_MATCHED_MSG', nextBeginOffset: 6, messages: [] });
  });

  it('pages with maxMessages and nextBeginOffset', async () => {
    const topic = uniqueName('Paging');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { messages: Array.from({ length: 7 }, (_, i) => ({ body: `p${i}` })) });
    const seen: string[] = [];
    let offset = 0;
    for (;;) {
      const got = await pull(topic, 'broker-a', 0, { offset, maxMessages: 3 });
      if (got.status !== 'FOUND') {
        expect(got.status).toBe('NO_NEW_MSG');
        break;
      }
      seen.push(...got.messages.map((m: any) => m.body));
      offset = got.nextBeginOffset;
    }
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(offset).toBe(7);
  });

  it('answers OFFSET_ILLEGAL with the corrected offset past the end, NO_NEW_MSG at the end', async () => {
    const topic = uniqueName('Illegal');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'x' });
    expect(await pull(topic, 'broker-a', 0, { offset: 1 })).toMatchObject({ status: 'NO_NEW_MSG', nextBeginOffset: 1 });
    expect(await pull(topic, 'broker-a', 0, { offset: 5 })).toMatchObject({
      status: 'OFFSET_ILLEGAL',
      nextBeginOffset: 1,
      maxOffset: 1,
    });
  });

  it('auto-creates a topic on its first send', async () => {
    const topic = uniqueName('AutoCreated');
    const sent = await send(topic, { body: 'first' });
    expect(sent.status).toBe('SEND_OK');
    const route = await call('GET', `/topics/${topic}/route`);
    expect(route.status).toBe(200);
    expect(route.body.queueDatas.map((q: any) => [q.brokerName, q.readQueueNums, q.writeQueueNums])).toEqual([
      ['broker-a', 4, 4],
      ['broker-b', 4, 4],
    ]);
  });

  it('answers 202 at once in oneway mode and stores the message', async () => {
    const topic = uniqueName('Oneway');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const res = await call('POST', `/topics/${topic}/messages?oneway=true`, { body: 'fire' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ACCEPTED', count: 1 });
    const got = await pull(topic, 'broker-a', 0, { offset: 0, waitMs: 5000 });
    expect(got.messages.map((m: any) => m.body)).toEqual(['fire']);
  });
});

describe('browsers', () => {
  it('answers CORS preflights and marks answers readable for a listed origin only (CORS_ALLOWED_ORIGINS)', async () => {
    const { api } = await import('./helpers');
    const listed = 'https://console.example.com'; // vitest.config.ts lists it
    const preflight = await api('/topics', {
      method: 'OPTIONS',
      headers: {
        origin: listed,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(listed);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const res = await api('/topics', { headers: { origin: listed } });
    expect(res.headers.get('access-control-allow-origin')).toBe(listed);
    const other = await api('/topics', { headers: { origin: 'https://app.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
