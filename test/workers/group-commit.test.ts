/**
 * Group commit (src/durable-objects/queue/group-commit.ts): sends that reach a
 * queue object while a write is made durable are appended together next.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import type { NewMessage } from '../../src/core/message';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import type { GroupCommit } from '../../src/durable-objects/queue/group-commit';
import { queueCopy } from './ha-helpers';
import { createTopic, uniqueName, type Served } from './helpers';

const message = (body: string): NewMessage => ({
  body: new TextEncoder().encode(body),
  tags: '',
  keys: [],
  properties: {},
  bornTimestamp: Date.now(),
  uniqueKey: crypto.randomUUID().replaceAll('-', ''),
  reconsumeTimes: 0,
});

/** The object's parts a test looks into: the log's insert (one per append, its one write path) and the committer's counts. */
type Inside = { log: { insert: (...args: unknown[]) => void }; groupCommit: GroupCommit };
const inside = (instance: MessageQueue) => instance as unknown as Inside;

async function openQueue(prefix: string): Promise<Served<MessageQueue>> {
  const topic = uniqueName(prefix);
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  return queueCopy(topic, 'broker-a', 0, 0);
}

/**
 * Holds the next write's durability (storage.sync()) open until `release()`,
 * so that the sends made meanwhile surely arrive while a write is in flight.
 */
async function holdNextSync(queue: DurableObjectStub<MessageQueue>): Promise<() => Promise<void>> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  await runInDurableObject(queue, (_instance, state) => {
    const sync = state.storage.sync.bind(state.storage);
    vi.spyOn(state.storage, 'sync').mockImplementationOnce(() => gate.then(sync));
  });
  return async () => {
    open();
    await runInDurableObject(queue, (_instance, state) => vi.mocked(state.storage.sync).mockRestore());
  };
}

/** Waits (bounded) until `n` sends wait for the next write. */
async function untilWaiting(queue: DurableObjectStub<MessageQueue>, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      (await runInDurableObject(queue, (instance: MessageQueue) => inside(instance).groupCommit.stats().waiting)) === n
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${n} sends never waited together`);
}

const bodies = (stub: Served<MessageQueue>) =>
  stub
    .pull({ offset: 0, maxMessages: 1000, tags: null, waitMs: 0 })
    .then((r) => r.messages.map((m) => [m.queueOffset, new TextDecoder().decode(m.body)]));

describe('group commit', () => {
  it('concurrent sends to one queue are stored in fewer appends than sends, each with consecutive offsets of its own, all readable', async () => {
    const queue = await openQueue('GroupCommit');
    await runInDurableObject(queue, (instance: MessageQueue) => {
      vi.spyOn(inside(instance).log, 'insert');
    });
    // 24 sends at once: singles, and every fourth one of 3 messages; the first write stays in flight until the others wait.
    const release = await holdNextSync(queue);
    const sends = Array.from({ length: 24 }, (_, s) =>
      Array.from({ length: s % 4 === 3 ? 3 : 1 }, (_, i) => message(`s${s}m${i}`)),
    );
    const answering = Promise.all(sends.map((messages) => queue.putMessages(messages)));
    await untilWaiting(queue, sends.length - 1);
    await release();
    const answers = await answering;

    const offsets = answers.map((a) => a.results.map((r) => r.queueOffset));
    for (const [s, list] of offsets.entries()) {
      expect(answers[s].status).toBe('SEND_OK');
      expect(list).toHaveLength(sends[s].length);
      expect(list).toEqual(list.map((_, i) => list[0] + i)); // consecutive within a send
    }
    const total = sends.reduce((n, m) => n + m.length, 0);
    expect(offsets.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i)); // distinct, no gap
    // Every message is readable at the offset its send was given.
    const expected = sends
      .flatMap((messages, s) => messages.map((_, i) => [offsets[s][i], `s${s}m${i}`]))
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(await bodies(queue)).toEqual(expected);

    const appends = await runInDurableObject(queue, (instance: MessageQueue) => {
      const append = vi.mocked(inside(instance).log.insert);
      const calls = append.mock.calls.length;
      append.mockRestore();
      return calls;
    });
    expect(appends).toBe(2); // the first send alone, then the 23 that arrived while it was in flight
    // The committer counts the same writes.
    expect(await runInDurableObject(queue, (instance: MessageQueue) => inside(instance).groupCommit.stats())).toEqual({
      writes: 2,
      sends: sends.length,
      waiting: 0,
    });
  });

  it('a write that fails fails every send of its group with the same retriable error, and stores none of them', async () => {
    const queue = await openQueue('GroupCommitFails');
    // The log takes the first write, then refuses every write (a full disk): inside the append's transaction.
    await runInDurableObject(queue, (instance: MessageQueue) => {
      const log = inside(instance).log;
      const insert = log.insert.bind(log);
      let calls = 0;
      vi.spyOn(log, 'insert').mockImplementation((...args: unknown[]) => {
        if (++calls > 1) throw new Error('simulated disk failure');
        insert(...args);
      });
    });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let outcomes: (string | number)[];
    let writes: number;
    try {
      const release = await holdNextSync(queue);
      const answering = Promise.all(
        Array.from({ length: 12 }, (_, s) =>
          queue.putMessages([message(`f${s}`)]).then(
            (a) => a.results[0].queueOffset,
            (err: Error) => err.message,
          ),
        ),
      );
      await untilWaiting(queue, 11);
      await release();
      outcomes = await answering;
      writes = await runInDurableObject(queue, (instance: MessageQueue) => {
        const insert = vi.mocked(inside(instance).log.insert);
        const calls = insert.mock.calls.length;
        insert.mockRestore();
        return calls;
      });
    } finally {
      errors.mockRestore();
    }
    // The first send was written alone; the 11 that arrived while it was in flight were refused together, none reported as sent.
    expect(outcomes[0]).toBe(0);
    const refused = outcomes.slice(1);
    expect(
      refused.every(
        (o) => typeof o === 'string' && /BROKER_UNAVAILABLE/.test(o) && o.includes('simulated disk failure'),
      ),
    ).toBe(true);
    expect(new Set(refused).size).toBe(1); // the same error for each
    // The 11 were one group: one failed write refused them all.
    expect(writes).toBe(2);
    // None of them is stored, and no offset was taken by them.
    expect(await bodies(queue)).toEqual([[0, 'f0']]);
    expect((await queue.putMessages([message('after')])).results[0].queueOffset).toBe(1);
    expect(await bodies(queue)).toEqual([
      [0, 'f0'],
      [1, 'after'],
    ]);
  });
});
