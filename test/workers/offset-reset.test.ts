/**
 * Offset reset and skip (docs/consuming.md, "Offset reset guarantees"): the reset generation is
 * per (group, topic); every queue object refuses commits of older generations before any
 * member can learn the reset's generation; a reset that failed half-way converges when retried.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { call, createTopic, expectError, send, uniqueName, served } from './helpers';

type QueueRef = { topic: string; brokerName: string; queueId: number };

async function heartbeat(
  group: string,
  clientId: string,
  topics: string[],
): Promise<{ generation: number; queues: QueueRef[] }> {
  const res = await call('POST', `/groups/${group}/members/${clientId}/heartbeat`, {
    subscriptions: topics.map((topic) => ({ topic, expression: '*' })),
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  if (res.status !== 200) throw new Error(`heartbeat ${clientId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const memberPull = (group: string, clientId: string, q: QueueRef, query = '') =>
  call(
    'GET',
    `/groups/${group}/members/${clientId}/queues/${q.topic}/${q.brokerName}/${q.queueId}/messages?maxMessages=32&${query}`,
  );

const commit = (group: string, clientId: string, q: QueueRef, offset: number, generation: number) =>
  call('PUT', `/groups/${group}/members/${clientId}/offsets`, {
    topic: q.topic,
    brokerName: q.brokerName,
    queueId: q.queueId,
    offset,
    generation,
  });

async function committed(group: string, q: QueueRef): Promise<number> {
  return (await served(env.MESSAGE_QUEUE.getByName(`${q.topic}/${q.brokerName}/${q.queueId}/0`)).getOffset(group))
    .offset;
}

/** A topic of one queue on broker-a holding `count` messages. */
async function topicWith(prefix: string, count: number): Promise<QueueRef> {
  const topic = uniqueName(prefix);
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  if (count > 0) await send(topic, { messages: Array.from({ length: count }, (_, i) => ({ body: `m${i}` })) });
  return { topic, brokerName: 'broker-a', queueId: 0 };
}

afterEach(() => {
  vi.restoreAllMocks();
});

// The first request of a file starts the cluster (seconds on a loaded machine): not what these tests are about.
describe('offset reset', { timeout: 30_000 }, () => {
  it('resetting one topic leaves commits on the group’s other topics and on its retry topic alone', async () => {
    const group = uniqueName('GID');
    const t1 = await topicWith('ResetT1', 4);
    const t2 = await topicWith('ResetT2', 4);
    await heartbeat(group, 'c1', [t1.topic, t2.topic]);
    // A failed message sent back creates the group's retry topic, which the group consumes too.
    const first = await memberPull(group, 'c1', t1);
    expect((await call('POST', `/groups/${group}/retry`, { msgId: first.body.messages[0].msgId })).status).toBe(200);
    const { generation, queues } = await heartbeat(group, 'c1', [t1.topic, t2.topic]);
    const retry = queues.find((q) => q.topic === `%RETRY%${group}`)!;
    expect(retry).toBeDefined();

    expect((await call('POST', `/groups/${group}/offsets/reset`, { topic: t1.topic, timestamp: 0 })).status).toBe(200);

    // The reset topic refuses commits of the generation before the reset...
    expectError(await commit(group, 'c1', t1, 4, generation), 409, 'GENERATION_STALE');
    // ...the others take them.
    const onT2 = await commit(group, 'c1', t2, 3, generation);
    expect(onT2.status, JSON.stringify(onT2.body)).toBe(200);
    const pulledT2 = await memberPull(group, 'c1', t2, `commitOffset=4&generation=${generation}`);
    expect(pulledT2.status, JSON.stringify(pulledT2.body)).toBe(200);
    const onRetry = await commit(group, 'c1', retry, 0, generation);
    expect(onRetry.status, JSON.stringify(onRetry.body)).toBe(200);
    expect(await committed(group, t2)).toBe(4);
    expect(await committed(group, t1)).toBe(0);
  });

  it('a commit racing a reset cannot undo it: no member learns the reset’s generation before the queues refuse older commits', async () => {
    const group = uniqueName('GID');
    const q = await topicWith('ResetRace', 12);
    const joined = await heartbeat(group, 'c1', [q.topic]);
    expect((await memberPull(group, 'c1', q, `commitOffset=10&generation=${joined.generation}`)).status).toBe(200);
    expect(await committed(group, q)).toBe(10);

    // Hold the reset at its first queue write, and play a member's steps meanwhile.
    let arrived!: () => void;
    let release!: () => void;
    const atQueue = new Promise<void>((resolve) => (arrived = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    const resetOffset = MessageQueue.prototype.resetOffset;
    const holding = async function (this: MessageQueue, ...args: Parameters<typeof resetOffset>) {
      arrived();
      await held;
      return resetOffset.apply(this, args);
    };
    vi.spyOn(MessageQueue.prototype, 'resetOffset').mockImplementation(holding as unknown as typeof resetOffset);
    const reset = call('POST', `/groups/${group}/offsets/reset`, { topic: q.topic, timestamp: 0 });
    await atQueue;
    // The member heartbeats and (as the SDK does for a queue it starts anew) pulls without offset: it reads 10.
    const learned = (await heartbeat(group, 'c1', [q.topic])).generation;
    const read = await memberPull(group, 'c1', q);
    expect(read.body.offset).toBe(10);
    release();
    const done = await reset;
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    // It processed 10 and 11 and commits 12 for the generation it learned: that would undo the reset.
    const racing = await commit(group, 'c1', q, 12, learned);
    expect({ status: racing.status, offset: await committed(group, q) }).toEqual({ status: 409, offset: 0 });
    expect(done.body.generation).toBeGreaterThan(learned);
    // Having heartbeated, the member commits for the reset's generation.
    const now = (await heartbeat(group, 'c1', [q.topic])).generation;
    expect(now).toBe(done.body.generation);
    expect((await commit(group, 'c1', q, 1, now)).status).toBe(200);
  });

  it('a rebalance during a reset makes it start again under a higher generation, so that what a member read meanwhile cannot be committed', async () => {
    const group = uniqueName('GID');
    const q = await topicWith('ResetRebalance', 12);
    const joined = await heartbeat(group, 'c1', [q.topic]);
    expect((await memberPull(group, 'c1', q, `commitOffset=10&generation=${joined.generation}`)).status).toBe(200);

    let arrived!: () => void;
    let release!: () => void;
    const atQueue = new Promise<void>((resolve) => (arrived = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    const resetOffset = MessageQueue.prototype.resetOffset;
    const holdFirst = async function (this: MessageQueue, ...args: Parameters<typeof resetOffset>) {
      arrived();
      await held;
      return resetOffset.apply(this, args);
    };
    vi.spyOn(MessageQueue.prototype, 'resetOffset').mockImplementation(holdFirst as unknown as typeof resetOffset);
    const reset = call('POST', `/groups/${group}/offsets/reset`, { topic: q.topic, timestamp: 0 });
    await atQueue;
    // A member joins: the rebalance hands out the generation the reset had taken; c1 reads the old offset under it.
    await heartbeat(group, 'c2', [q.topic]);
    const learned = (await heartbeat(group, 'c1', [q.topic])).generation;
    expect(learned).toBe(joined.generation + 1);
    expect((await memberPull(group, 'c1', q)).body.offset).toBe(10);
    release();
    const done = await reset;
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.generation).toBeGreaterThan(learned);
    expectError(await commit(group, 'c1', q, 12, learned), 409, 'GENERATION_STALE');
    expect(await committed(group, q)).toBe(0);
  });

  it('answers GROUP_REBALANCING (retriable) when the group rebalances during every attempt', async () => {
    const group = uniqueName('GID');
    const q = await topicWith('ResetChurn', 2);
    await heartbeat(group, 'c1', [q.topic]);
    const resetOffset = MessageQueue.prototype.resetOffset;
    let n = 0;
    const rebalancing = async function (this: MessageQueue, ...args: Parameters<typeof resetOffset>) {
      await served(env.CONSUMER_GROUP.getByName(group)).configure(group, { maxReconsumeTimes: ++n }); // any config change is a new generation
      return resetOffset.apply(this, args);
    };
    vi.spyOn(MessageQueue.prototype, 'resetOffset').mockImplementation(rebalancing as unknown as typeof resetOffset);
    const res = await call('POST', `/groups/${group}/offsets/skip`, { topic: q.topic });
    expectError(res, 409, 'GROUP_REBALANCING');
    expect(res.body.error.retriable).toBe(true);
    vi.restoreAllMocks();
    expect((await call('POST', `/groups/${group}/offsets/skip`, { topic: q.topic })).status).toBe(200);
  });

  it('a reset that failed half-way converges when retried, and commits of older generations stay refused', async () => {
    const group = uniqueName('GID');
    const topic = uniqueName('ResetHalf');
    await createTopic(topic, { queueNums: 2, brokerNames: ['broker-a'] });
    const queues = [0, 1].map((queueId) => ({ topic, brokerName: 'broker-a', queueId }));
    for (const q of queues)
      await send(topic, {
        messages: Array.from({ length: 6 }, (_, i) => ({ body: `m${i}` })),
        queue: { brokerName: q.brokerName, queueId: q.queueId },
      });
    const before = (await heartbeat(group, 'c1', [topic])).generation;
    for (const q of queues)
      expect((await memberPull(group, 'c1', q, `commitOffset=5&generation=${before}`)).status).toBe(200);

    // The first attempt writes queue 0 and fails on queue 1.
    const resetOffset = MessageQueue.prototype.resetOffset;
    const spy = vi.spyOn(MessageQueue.prototype, 'resetOffset').mockImplementation(function (
      this: MessageQueue,
      ...args: Parameters<typeof resetOffset>
    ) {
      if (spy.mock.calls.length === 2) throw new Error('the object was reset mid-request');
      return resetOffset.apply(this, args);
    });
    const failed = await call('POST', `/groups/${group}/offsets/reset`, { topic, timestamp: 0 });
    expect(failed.status).toBe(503);
    expect(failed.body.error.retriable).toBe(true);
    vi.restoreAllMocks();

    const retried = await call('POST', `/groups/${group}/offsets/reset`, { topic, timestamp: 0 });
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.offsets.map((o: any) => o.offset)).toEqual([0, 0]);
    for (const q of queues) {
      expect(await committed(group, q)).toBe(0);
      expectError(await commit(group, 'c1', q, 6, before), 409, 'GENERATION_STALE');
    }
    const after = (await heartbeat(group, 'c1', [topic])).generation;
    expect(after).toBe(retried.body.generation);
    for (const q of queues) expect((await commit(group, 'c1', q, 2, after)).status).toBe(200);
  });

  it('skip moves every queue of the topic to its max offset under the same guarantees', async () => {
    const group = uniqueName('GID');
    const q = await topicWith('Skip', 3);
    const before = (await heartbeat(group, 'c1', [q.topic])).generation;
    const skip = await call('POST', `/groups/${group}/offsets/skip`, { topic: q.topic });
    expect(skip.status).toBe(200);
    expect(skip.body.offsets).toEqual([{ brokerName: 'broker-a', queueId: 0, offset: 3 }]);
    expect(skip.body.generation).toBeGreaterThan(before);
    expectError(await commit(group, 'c1', q, 1, before), 409, 'GENERATION_STALE');
    expect(await committed(group, q)).toBe(3);
  });
});
