/**
 * The batch log's storage (docs/storage.md): rows written per append as the runtime counts them, index rows only
 * where a lookup needs them, lookups and reads that find their row.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { newUniqueKey } from '../../src/core/msg-id';
import { call, createTopic, pull, send, uniqueName, served, type Served } from './helpers';

const queue = (topic: string): Served<MessageQueue> => served(env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`));

/**
 * Rows the queue object's SQL writes while `fn` runs, summed from the runtime's cursors (a spy on its
 * storage.sql.exec, which every write of the object goes through).
 */
async function rowsWrittenBy(stub: DurableObjectStub<MessageQueue>, fn: () => Promise<unknown>): Promise<number> {
  await runInDurableObject(stub, (_i, state) => {
    const exec = state.storage.sql.exec.bind(state.storage.sql);
    (globalThis as any).__rows = 0;
    vi.spyOn(state.storage.sql, 'exec').mockImplementation((query: string, ...bindings: any[]) => {
      const cursor = exec(query, ...bindings);
      (globalThis as any).__rows += cursor.rowsWritten;
      return cursor;
    });
  });
  try {
    await fn();
  } finally {
    await runInDurableObject(stub, (_i, state) => vi.mocked(state.storage.sql.exec).mockRestore());
  }
  return runInDurableObject(stub, () => (globalThis as any).__rows as number);
}

const indexRows = (stub: DurableObjectStub<MessageQueue>) =>
  runInDurableObject(stub, (_i, state) =>
    state.storage.sql
      .exec<{ kind: number; key: string }>('SELECT kind, key FROM mq_index ORDER BY kind, key')
      .toArray(),
  );

/**
 * Rows whose blob the queue object's SQL read while `fn` runs: the runtime's `rowsRead` of every cursor whose query
 * selects the blob (`data`, or `*`), summed once `fn` is done (a cursor steps a row ahead of the one it hands out,
 * and that row's blob is read too).
 */
async function blobRowsReadBy(stub: DurableObjectStub<MessageQueue>, fn: () => Promise<unknown>): Promise<number> {
  await runInDurableObject(stub, (_i, state) => {
    const exec = state.storage.sql.exec.bind(state.storage.sql);
    const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
    (globalThis as any).__cursors = cursors;
    vi.spyOn(state.storage.sql, 'exec').mockImplementation((query: string, ...bindings: any[]) => {
      const cursor = exec(query, ...bindings);
      if (/^SELECT (\*|.*\bdata\b)/.test(query.trim())) cursors.push(cursor);
      return cursor;
    });
  });
  try {
    await fn();
  } finally {
    await runInDurableObject(stub, (_i, state) => vi.mocked(state.storage.sql.exec).mockRestore());
  }
  return runInDurableObject(stub, () =>
    ((globalThis as any).__cursors as SqlStorageCursor<Record<string, SqlStorageValue>>[]).reduce(
      (n, c) => n + c.rowsRead,
      0,
    ),
  );
}

afterEach(() => vi.restoreAllMocks());

describe('batch log storage', () => {
  it('an append of 100 messages without keys writes fewer than 5 rows, as the runtime counts them, and the queue status counts them too', async () => {
    const topic = uniqueName('Rows');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const stub = queue(topic);
    await send(topic, { body: 'warm' }); // the object's first write (its minute of statistics, its alarm) is not the one measured
    const before = await stub.status();
    const messages = Array.from({ length: 100 }, (_, i) => ({
      body: `m${i}:${'x'.repeat(1000)}`,
      tags: i % 2 ? 'A' : 'B',
    }));
    const rows = await rowsWrittenBy(stub, async () =>
      expect((await send(topic, { messages })).results).toHaveLength(100),
    );
    expect(rows).toBeLessThan(5);
    const after = await stub.status();
    expect(after.storage.messagesAppended - before.storage.messagesAppended).toBe(100);
    expect(after.storage.rowsWritten - before.storage.rowsWritten).toBe(rows);
    expect((after.storage.rowsWritten - before.storage.rowsWritten) / 100).toBeLessThan(0.05);
    expect(after.storage.bytesWritten - before.storage.bytesWritten).toBeGreaterThan(100 * 1000);
    // Everything reads back, with the tag filter.
    const got = await pull(topic, 'broker-a', 0, { offset: 1, maxMessages: 100, tags: 'A' });
    expect(got.messages.map((m: any) => m.queueOffset)).toEqual(Array.from({ length: 50 }, (_, i) => 2 + 2 * i));
  });

  it('indexes the keys of keyed messages only, and no unique key made at the time of the send', async () => {
    const topic = uniqueName('Keys');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const stub = queue(topic);
    const messages = Array.from({ length: 50 }, (_, i) => ({
      body: `m${i}`,
      ...(i % 10 === 0 ? { keys: `order-${i} shared` } : {}),
    }));
    await send(topic, { messages });
    const rows = await indexRows(stub);
    expect(
      rows
        .filter((r) => r.kind === 0)
        .map((r) => r.key)
        .sort(),
    ).toEqual(['order-0', 'order-10', 'order-20', 'order-30', 'order-40', ...Array(5).fill('shared')].sort());
    expect(rows.filter((r) => r.kind === 1)).toEqual([]);
    const shared = await call('GET', `/topics/${topic}/messages?key=shared`);
    expect(shared.body.messages.map((m: any) => m.body).sort()).toEqual(['m0', 'm10', 'm20', 'm30', 'm40']);
  });

  it('finds by unique key: by the time it carries, or by an index row when stored far from it or when it carries none', async () => {
    const topic = uniqueName('Uniq');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const stub = queue(topic);
    const fresh = newUniqueKey();
    const old = newUniqueKey(Date.now() - 3_600_000); // made an hour ago (a retried send, a slow producer)
    await send(topic, {
      messages: [
        { body: 'filler' },
        { body: 'fresh', uniqueKey: fresh },
        { body: 'old', uniqueKey: old },
        { body: 'own', uniqueKey: 'my-own-id' },
      ],
    });
    await send(topic, { body: 'fresh again', uniqueKey: fresh }); // a producer's resend
    expect(
      (await indexRows(stub))
        .filter((r) => r.kind === 1)
        .map((r) => r.key)
        .sort(),
    ).toEqual([old, 'my-own-id'].sort());
    const byKey = async (k: string) =>
      (await call('GET', `/topics/${topic}/messages?uniqueKey=${k}`)).body.messages.map((m: any) => m.body);
    expect(await byKey(fresh)).toEqual(['fresh again', 'fresh']);
    expect(await byKey(old)).toEqual(['old']);
    expect(await byKey('my-own-id')).toEqual(['own']);
    expect(await byKey(newUniqueKey())).toEqual([]);
  });

  it('finds an offset by store time across rows, and reads a row from any offset in it', async () => {
    const topic = uniqueName('Time');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const cuts: number[] = [];
    for (let b = 0; b < 6; b++) {
      await new Promise((r) => setTimeout(r, 15));
      cuts.push(Date.now());
      await new Promise((r) => setTimeout(r, 5));
      await send(topic, { messages: Array.from({ length: 3 }, (_, i) => ({ body: `${b}.${i}` })) });
    }
    for (let b = 0; b < 6; b++) {
      const found = await call('GET', `/topics/${topic}/queues/broker-a/0/offset?timestamp=${cuts[b]}`);
      expect(found.body.offset).toBe(3 * b);
    }
    expect(
      (await call('GET', `/topics/${topic}/queues/broker-a/0/offset?timestamp=${Date.now() + 1000}`)).body.offset,
    ).toBe(18);
    const mid = await pull(topic, 'broker-a', 0, { offset: 4, maxMessages: 4 });
    expect(mid.messages.map((m: any) => m.body)).toEqual(['1.1', '1.2', '2.0', '2.1']);
    expect(mid.nextBeginOffset).toBe(8);
  });

  it('stores an append larger than a row can hold as several rows, and reads it back whole', async () => {
    const topic = uniqueName('Split');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const big = 'y'.repeat(700 * 1024);
    const res = await send(topic, { messages: Array.from({ length: 4 }, (_, i) => ({ body: `${i}${big}` })) });
    expect(res.results.map((r: any) => r.queueOffset)).toEqual([0, 1, 2, 3]);
    const rows = await runInDurableObject(queue(topic), (_i, state) =>
      state.storage.sql
        .exec<{ first_offset: number; count: number }>('SELECT first_offset, count FROM mq_batch ORDER BY first_offset')
        .toArray(),
    );
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(4);
    for (let i = 0; i < 4; i++) {
      const got = await pull(topic, 'broker-a', 0, { offset: i, maxMessages: 1 });
      expect(got.messages[0].body).toBe(`${i}${big}`);
    }
  });

  it('a pull reads the blobs of the rows it returns and no other', async () => {
    const topic = uniqueName('BlobReads');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const stub = queue(topic);
    for (let row = 0; row < 3; row++)
      await send(topic, { messages: Array.from({ length: 500 }, (_, i) => ({ body: `${row}.${i}` })) });
    const pulled = (offset: number, maxMessages: number) =>
      blobRowsReadBy(stub, async () => {
        const got = await pull(topic, 'broker-a', 0, { offset, maxMessages });
        expect(got.messages).toHaveLength(maxMessages);
        expect(got.messages[0].queueOffset).toBe(offset);
      });
    expect(await pulled(0, 100)).toBe(1); // the head of the first row
    expect(await pulled(1400, 100)).toBe(1); // the tail of the last
    expect(await pulled(450, 100)).toBe(2); // across two rows
  });
});
