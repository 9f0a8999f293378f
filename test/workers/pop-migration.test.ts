import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { ACK_REPEAT_WINDOW_MS } from '../../src/durable-objects/queue/pop';
import { createTopic, send, uniqueName, answering } from './helpers';

const queueObject = (topic: string) => env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);

/** The pop tables as the schema before checkpoints (mqp version 2) had them: a row per message in flight. */
const OLD_TABLES = `
  DROP TABLE mqp_inflight;
  DROP TABLE mqp_acked;
  ALTER TABLE mqp_cursor DROP COLUMN held;
  ALTER TABLE mqp_cursor DROP COLUMN rev;
  CREATE TABLE mqp_inflight (grp TEXT NOT NULL, queue_offset INTEGER NOT NULL, sharding_key TEXT NOT NULL, invisible_until INTEGER NOT NULL,
    deliveries INTEGER NOT NULL, first_pop_ts INTEGER NOT NULL, pop_ts INTEGER NOT NULL, handle_seq INTEGER NOT NULL,
    changed_from_seq INTEGER, changed_ms INTEGER, PRIMARY KEY (grp, queue_offset)) WITHOUT ROWID;
  CREATE INDEX mqp_inflight_visible ON mqp_inflight (grp, invisible_until);
  CREATE INDEX mqp_inflight_key ON mqp_inflight (grp, sharding_key, queue_offset);
  CREATE TABLE mqp_acked (grp TEXT NOT NULL, queue_offset INTEGER NOT NULL, handle_seq INTEGER NOT NULL, forget_at INTEGER NOT NULL,
    PRIMARY KEY (grp, queue_offset)) WITHOUT ROWID;
  CREATE INDEX mqp_acked_forget ON mqp_acked (forget_at);
  UPDATE mqp_schema SET version = 2;`;

describe('pop state from before checkpoints', () => {
  it('moves over when the object opens: handles given out ack, repeat and change as before; held-back messages stay held', async () => {
    const topic = uniqueName('PopMigrate');
    const group = uniqueName('GID_migrate');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'm0' });
    await send(topic, { body: 'm1', shardingKey: 'K' });
    await send(topic, { body: 'm2' });
    await send(topic, { body: 'm3', shardingKey: 'K' });
    const now = Date.now();
    await runInDurableObject(queueObject(topic), (_, state) => {
      const sql = state.storage.sql;
      sql.exec(OLD_TABLES);
      sql.exec("INSERT INTO mqp_meta (key, value) VALUES ('handle_seq', 8) ON CONFLICT (key) DO UPDATE SET value = 8");
      sql.exec('INSERT INTO mqp_cursor (grp, next_offset) VALUES (?, 4)', group);
      const entry = 'INSERT INTO mqp_inflight VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
      sql.exec(entry, group, 0, '', now + 60_000, 1, now - 1000, now - 1000, 7, null, null);
      // m1 was delivered twice, then its invisibility changed from handle 5 to handle 8 (60 s).
      sql.exec(entry, group, 1, 'K', now + 60_000, 2, now - 5000, now - 1000, 8, 5, 60_000);
      // m3 is held back behind m1 (same key).
      sql.exec(entry, group, 3, 'K', 0, 0, 0, 0, 0, null, null);
      // m2 was acked under handle 6.
      sql.exec('INSERT INTO mqp_acked VALUES (?, 2, 6, ?)', group, now + ACK_REPEAT_WINDOW_MS);
    });
    await evictDurableObject(queueObject(topic));

    await runInDurableObject<MessageQueue, void>(queueObject(topic), (instance) => {
      const q = answering(instance);
      expect(q.popState(group)).toEqual({ cursor: 4, inFlight: 2, heldBack: 1 });
      // The change repeated gets the handle it gave; the handle it replaced and an old one are refused.
      expect(q.changeInvisible(group, 1, 5, 60_000)).toMatchObject({
        handleSeq: 8,
        deliveries: 2,
        firstPopTimestamp: now - 5000,
        popTimestamp: now - 1000,
      });
      expect(
        q.ackPopped(group, [
          { queueOffset: 2, handleSeq: 6 },
          { queueOffset: 0, handleSeq: 7 },
          { queueOffset: 0, handleSeq: 7 },
          { queueOffset: 1, handleSeq: 4 },
        ]),
      ).toEqual([{ acked: true }, { acked: true }, { acked: true }, { acked: false, problem: 'NOT_IN_FLIGHT' }]);
      // m3 waits behind m1 until m1 is acked.
      const startFrom = {
        consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' as const,
        consumeTimestamp: 0,
        subscribedAt: 0,
      };
      const pop = () =>
        q.pop({
          group,
          maxMessages: 32,
          invisibleMs: 60_000,
          tags: null,
          orderly: true,
          startFrom,
          maxReconsumeTimes: 16,
        });
      expect(pop().messages).toEqual([]);
      expect(q.ackPopped(group, [{ queueOffset: 1, handleSeq: 8 }])).toEqual([{ acked: true }]);
      expect(pop().messages.map((m) => [new TextDecoder().decode(m.message.body), m.deliveries, m.handleSeq])).toEqual([
        ['m3', 1, 9],
      ]);
      expect(q.popState(group)).toEqual({ cursor: 4, inFlight: 1, heldBack: 0 });
    });
  });
});
