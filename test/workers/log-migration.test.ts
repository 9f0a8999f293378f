/**
 * Item 7 of issue 13: an object whose log was written by the per-message schema (mq_message, mq_key) moves it to
 * the batch log when it opens, in chunks, resumable from its alarm, and every message reads back the same
 * (offsets, ids, keys, properties, bodies) before, during and after the move. docs/storage.md#migration.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { encodeMessageId, newUniqueKey } from '../../src/core/msg-id';
import { LEGACY_CHUNK } from '../../src/durable-objects/queue/log';
import { call, createTopic, pull, send, uniqueName, answering, served } from './helpers';

/** The per-message tables as migration 1 made them, with the index retention's first migration added to mq_key. */
const LEGACY_TABLES = `CREATE TABLE mq_message (
     queue_offset INTEGER PRIMARY KEY, body BLOB NOT NULL, tags TEXT NOT NULL, keys TEXT NOT NULL, properties TEXT NOT NULL,
     born_ts INTEGER NOT NULL, store_ts INTEGER NOT NULL, unique_key TEXT NOT NULL, reconsume_times INTEGER NOT NULL);
   CREATE INDEX mq_message_store_ts ON mq_message (store_ts);
   CREATE INDEX mq_message_unique_key ON mq_message (unique_key);
   CREATE INDEX mq_message_tags ON mq_message (tags, queue_offset);
   CREATE TABLE mq_key (key TEXT NOT NULL, store_ts INTEGER NOT NULL, queue_offset INTEGER NOT NULL, PRIMARY KEY (key, store_ts, queue_offset)) WITHOUT ROWID;
   CREATE INDEX mqret_key_offset ON mq_key (queue_offset);`;

interface OldMessage {
  offset: number;
  body: string;
  tags: string;
  keys: string[];
  properties: Record<string, string>;
  bornTs: number;
  storeTs: number;
  uniqueKey: string;
  reconsumeTimes: number;
}

const N = 4_500;
const BASE = Date.now() - 3_600_000;

function oldMessage(i: number): OldMessage {
  const storeTs = BASE + i * 10;
  return {
    offset: i,
    body: `legacy ${i} ü ${'z'.repeat(i % 50)}`,
    tags: ['', 'TagA', 'TagB'][i % 3],
    keys: i % 7 === 0 ? [`order-${i}`, 'seven'] : [],
    properties: i % 5 === 0 ? { n: String(i), 'with space': 'v ✓' } : {},
    bornTs: storeTs - 3,
    storeTs,
    uniqueKey: i % 11 === 0 ? `custom-${i}` : newUniqueKey(storeTs - 2),
    reconsumeTimes: i % 4,
  };
}

/** Writes messages as the per-message log did (its QueueLog.insert): a row each in mq_message, a row per key in mq_key. */
function writeOld(sql: SqlStorage, messages: OldMessage[]): void {
  for (const m of messages) {
    sql.exec(
      `INSERT INTO mq_message (queue_offset, body, tags, keys, properties, born_ts, store_ts, unique_key, reconsume_times) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      m.offset,
      new TextEncoder().encode(m.body).buffer,
      m.tags,
      m.keys.join(' '),
      JSON.stringify(m.properties),
      m.bornTs,
      m.storeTs,
      m.uniqueKey,
      m.reconsumeTimes,
    );
    for (const key of m.keys)
      sql.exec('INSERT OR IGNORE INTO mq_key (key, store_ts, queue_offset) VALUES (?, ?, ?)', key, m.storeTs, m.offset);
  }
}

const legacyRows = (stub: DurableObjectStub<MessageQueue>) =>
  runInDurableObject(stub, (_i, state) => {
    const sql = state.storage.sql;
    const exists = sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'mq_message'`).toArray().length > 0;
    return exists ? sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mq_message').one().n : null;
  });

describe('migration of the per-message log', () => {
  it('moves every message to the batch log in chunks, reading each back the same before, during and after', async () => {
    const topic = uniqueName('Migrate');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const stub: DurableObjectStub<MessageQueue> = env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);
    const old = Array.from({ length: N }, (_, i) => oldMessage(i));
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(LEGACY_TABLES);
      writeOld(state.storage.sql, old);
    });
    // The object restarts (a deploy of the batch log): it moves a first chunk as it opens, and its alarm the rest.
    await evictDurableObject(stub);
    // During the move: read in the same turn as the object opened (no alarm can run in between), on both sides of
    // where the move has got to.
    const during = await runInDurableObject(stub, async (object: MessageQueue, state) => {
      const instance = answering(object);
      const left = state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mq_message').one().n;
      const boundary = N - LEGACY_CHUNK;
      const got = old.map((m) => instance.get(m.offset));
      const samples = [0, 7, 11, boundary - 1, boundary, N - 1];
      const byUnique = samples.map((i) => instance.queryByUniqueKey(old[i].uniqueKey, 10).map((m) => m.queueOffset));
      const byTime = samples.map((i) => instance.searchOffset(old[i].storeTs));
      const byKey = instance.queryByKey('seven', 0, Date.now(), 1000).map((m) => m.queueOffset);
      const pulls = [0, 1000, 2000, 3000, 4000].map((offset) =>
        instance.pull({ offset, maxMessages: 1000, tags: null, waitMs: 0 }),
      );
      const tagged = instance.pull({ offset: boundary - 4, maxMessages: 4, tags: ['TagA'], waitMs: 0 });
      return {
        left,
        got,
        samples,
        byUnique,
        byTime,
        byKey,
        pulled: (await Promise.all(pulls)).flatMap((p) => p.messages),
        tagged: (await tagged).messages,
      };
    });
    expect(during.left).toBe(N - LEGACY_CHUNK);
    const stored = (m: OldMessage) => ({
      queueOffset: m.offset,
      body: new TextEncoder().encode(m.body),
      tags: m.tags,
      keys: m.keys,
      properties: m.properties,
      bornTimestamp: m.bornTs,
      storeTimestamp: m.storeTs,
      uniqueKey: m.uniqueKey,
      reconsumeTimes: m.reconsumeTimes,
    });
    const bytesAsArrays = (ms: any[]) => ms.map((m) => m && { ...m, body: [...m.body] });
    expect(bytesAsArrays(during.got)).toEqual(bytesAsArrays(old.map(stored)));
    expect(bytesAsArrays(during.pulled)).toEqual(bytesAsArrays(old.map(stored)));
    expect(during.byUnique).toEqual(during.samples.map((i) => [i]));
    expect(during.byTime).toEqual(during.samples);
    expect(during.byKey).toEqual(
      old
        .filter((m) => m.keys.length > 0)
        .map((m) => m.offset)
        .reverse(),
    );
    expect(during.tagged.map((m) => m.queueOffset)).toEqual(
      old
        .slice(N - LEGACY_CHUNK - 4)
        .filter((m) => m.tags === 'TagA')
        .slice(0, 4)
        .map((m) => m.offset),
    );

    const loc = { topic, brokerName: 'broker-a', brokerId: 0, queueId: 0 };
    const view = (m: OldMessage) => ({
      msgId: encodeMessageId({ ...loc, queueOffset: m.offset }),
      queueOffset: m.offset,
      body: m.body,
      tags: m.tags,
      keys: m.keys.join(' '),
      properties: m.properties,
      bornTimestamp: m.bornTs,
      storeTimestamp: m.storeTs,
      uniqueKey: m.uniqueKey,
      reconsumeTimes: m.reconsumeTimes,
    });
    const checkAll = async () => {
      const seen: any[] = [];
      for (let offset = 0; offset < N; ) {
        const got = await pull(topic, 'broker-a', 0, { offset, maxMessages: 1000 });
        expect(got.status).toBe('FOUND');
        seen.push(...got.messages.filter((m: any) => m.queueOffset < N));
        offset = got.nextBeginOffset;
      }
      expect(seen.length).toBe(N);
      seen.forEach((m, i) => expect(m).toMatchObject(view(old[i])));
      // By id, by key, by unique key and by time, on both sides of where the move has got to.
      for (const i of [0, 1, 7, 11, 1234, N - LEGACY_CHUNK - 1, N - LEGACY_CHUNK, N - 1]) {
        const byId = await call('GET', `/messages/${encodeMessageId({ ...loc, queueOffset: i })}`);
        expect(byId.body).toMatchObject(view(old[i]));
        const byUnique = await call('GET', `/topics/${topic}/messages?uniqueKey=${old[i].uniqueKey}`);
        expect(byUnique.body.messages.map((m: any) => m.queueOffset)).toEqual([i]);
        const byTime = await call('GET', `/topics/${topic}/queues/broker-a/0/offset?timestamp=${old[i].storeTs}`);
        expect(byTime.body.offset).toBe(i);
      }
      const byKey = await call('GET', `/topics/${topic}/messages?key=order-2499`);
      expect(byKey.body.messages.map((m: any) => m.queueOffset)).toEqual([2499]);
      const seven = await call('GET', `/topics/${topic}/messages?key=seven&maxMessages=64`);
      expect(seven.body.messages.map((m: any) => m.queueOffset)).toEqual(
        old
          .filter((m) => m.keys.length > 0)
          .map((m) => m.offset)
          .reverse()
          .slice(0, 64),
      );
      const tagged = await pull(topic, 'broker-a', 0, { offset: N - LEGACY_CHUNK - 4, maxMessages: 4, tags: 'TagA' });
      expect(tagged.messages.map((m: any) => m.queueOffset)).toEqual(
        old
          .slice(N - LEGACY_CHUNK - 4)
          .filter((m) => m.tags === 'TagA')
          .slice(0, 4)
          .map((m) => m.offset),
      );
    };

    // A send now takes the next offset: nothing is renumbered.
    expect(await send(topic, { body: 'after the upgrade' })).toMatchObject({ queueOffset: N });
    // The alarm moves the rest, a chunk per run.
    for (let run = 0; run < 10 && (await legacyRows(stub)) !== null; run++) await runDurableObjectAlarm(stub);
    expect(await legacyRows(stub)).toBeNull(); // moved, and the old tables dropped
    await checkAll(); // after the move
    await runDurableObjectAlarm(stub); // writes the read counts held in memory: their timer would keep the object from being evicted
    await evictDurableObject(stub);
    await checkAll(); // and after a restart
    expect(await served(stub).status()).toMatchObject({ minOffset: 0, maxOffset: N + 1 });
    expect((await pull(topic, 'broker-a', 0, { offset: N })).messages.map((m: any) => m.body)).toEqual([
      'after the upgrade',
    ]);
  }, 120_000);
});
