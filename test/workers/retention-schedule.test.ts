/**
 * Retention is scheduled on the default layout (the `workers` project: no
 * slaves, deleteWhen "04", fileReservedTime 72 h, a 1 GiB cap): every queue
 * that holds messages has its alarm armed for its next retention run, and the
 * runtime fires it. Messages are aged by rewriting their store time; the
 * clock is moved to the deleteWhen hour by faking Date (the queue objects run
 * in the test's isolate); no test waits for time to pass.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { createTopic, send, uniqueName, served, type Served } from './helpers';
import { rewriteStoreTimes } from './log-helpers';

const HOUR = 3_600_000;

const master = (topic: string): Served<MessageQueue> => served(env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`));
const alarmOf = (stub: DurableObjectStub<MessageQueue>) =>
  runInDurableObject(stub, (_i, state) => state.storage.getAlarm());

/** The start of the next 04:00 UTC hour after `t`. */
function next4am(t: number): number {
  const d = new Date(t);
  d.setUTCHours(4, 0, 0, 0);
  return d.getTime() <= t ? d.getTime() + 24 * HOUR : d.getTime();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('retention on a queue without slaves', () => {
  it('a queue without slaves deletes messages older than fileReservedTime at the deleteWhen hour, from the alarm the runtime fires', async () => {
    const topic = uniqueName('RetainDefault');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    for (let i = 0; i < 3; i++) await send(topic, { body: `d${i}` });
    const stub = master(topic);

    // Armed by the appends, for a 04:00 UTC run.
    const armed = await alarmOf(stub);
    expect(armed).not.toBeNull();
    expect(new Date(armed!).getUTCHours()).toBe(4);

    // At the next 04:00 UTC the first two messages are 73 h old, the third is not yet 72 h old.
    const at = next4am(Date.now()) + 60_000;
    await runInDurableObject(stub, (_i, state) => {
      rewriteStoreTimes(state.storage.sql, 2, () => at - 73 * HOUR);
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    vi.useRealTimers();

    expect(await stub.status()).toMatchObject({ minOffset: 2, maxOffset: 3 });
    const left = await stub.pull({ offset: 2, maxMessages: 10, tags: null, waitMs: 0 });
    expect(left.messages.map((m) => m.queueOffset)).toEqual([2]);
    // The alarm stays armed for the next run (the third message is still kept).
    expect(await alarmOf(stub)).not.toBeNull();
  });
});
