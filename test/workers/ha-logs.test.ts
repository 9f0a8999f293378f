/**
 * The log lines of high availability (the `workers-ha` project: broker-a SYNC_MASTER and broker-b ASYNC_MASTER,
 * each with a slave; MAX_QUEUE_BYTES 256 KiB): a retention run and a failed replica sync each write one JSON line
 * naming the queue (src/log.ts, docs/operations.md "Logs"). The alarms run through runInDurableObject, whose
 * console is the test's (a spy on it sees their lines); an alarm the runtime delivers writes past the spy.
 */
import { runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { queueCopy, setFault } from './ha-helpers';
import { linesOf } from './console-lines';
import { createTopic, send, uniqueName } from './helpers';
import { oldestOffset, rewriteStoreTimes } from './log-helpers';

const HOUR = 3_600_000;

afterEach(async () => {
  vi.restoreAllMocks();
  for (const group of ['broker-a', 'broker-b']) await setFault(group, false);
});

describe('log lines of high availability', () => {
  it('a retention run that deletes messages is logged at info with the queue, the counts and the new min offset', async () => {
    const topic = uniqueName('LogAge');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] }); // broker-b: retention every hour
    for (let i = 0; i < 5; i++) await send(topic, { body: `r${i}` });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await master.status(); // writes what the ASYNC_FLUSH master still holds
    const info = linesOf('info');
    await runInDurableObject(master, async (instance: MessageQueue, state) => {
      const sql = state.storage.sql;
      rewriteStoreTimes(sql, oldestOffset(sql)! + 3, (t) => t - 73 * HOUR); // past fileReservedTime (72 h)
      sql.exec('UPDATE mqret_stats SET last_run = 0');
      await instance.alarm();
    });
    expect(info().filter((l) => l.topic === topic)).toEqual([
      {
        level: 'info',
        msg: 'retention deleted messages',
        topic,
        brokerName: 'broker-b',
        queueId: 0,
        brokerId: 0,
        deletedByAge: 3,
        deletedByCap: 0,
        minOffset: 3,
      },
    ]);
  });

  it('a replica sync to a slave that is down is logged at warn with the queue, the slave and the error', async () => {
    const topic = uniqueName('LogShip');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    await setFault('broker-b', true, [1]);
    const warnings = linesOf('warn');
    expect(await send(topic, { body: 'kept on the master' })).toMatchObject({ status: 'SEND_OK' });
    const master = queueCopy(topic, 'broker-b', 0, 0);
    await master.status(); // writes what the ASYNC_FLUSH master still holds
    await runInDurableObject(master, async (instance: MessageQueue, state) => {
      state.storage.sql.exec('UPDATE mqr_replica SET failed_at = 0');
      await instance.alarm();
    });
    expect(warnings().find((l) => l.topic === topic)).toMatchObject({
      level: 'warn',
      msg: 'replicating a queue to a slave failed; retried later',
      topic,
      brokerName: 'broker-b',
      queueId: 0,
      brokerId: 0,
      slaveBrokerId: 1,
      error: {
        name: 'FlareError',
        code: 'BROKER_UNAVAILABLE',
        message: expect.stringContaining('is down'),
        stack: expect.any(String),
      },
    });
  });
});
