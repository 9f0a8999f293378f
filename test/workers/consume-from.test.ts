/**
 * Where a queue the group has never consumed starts (docs/consuming.md, "Queues a group has
 * never consumed"): with CONSUME_FROM_LAST_OFFSET, at the first message stored at or after the
 * time the group subscribed to the topic, so that queues added later and messages sent before
 * the first pull are not skipped.
 */
import { describe, expect, it } from 'vitest';
import { call, createTopic, send, uniqueName } from './helpers';

type QueueRef = { topic: string; brokerName: string; queueId: number };

async function heartbeat(
  group: string,
  clientId: string,
  topics: string[],
  extra: Record<string, unknown> = {},
): Promise<{ generation: number; queues: QueueRef[] }> {
  const res = await call('POST', `/groups/${group}/members/${clientId}/heartbeat`, {
    subscriptions: topics.map((topic) => ({ topic, expression: '*' })),
    ...extra,
  });
  if (res.status !== 200) throw new Error(`heartbeat ${clientId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function memberPull(group: string, clientId: string, q: QueueRef, query = ''): Promise<any> {
  const res = await call(
    'GET',
    `/groups/${group}/members/${clientId}/queues/${q.topic}/${q.brokerName}/${q.queueId}/messages?maxMessages=32&${query}`,
  );
  if (res.status !== 200)
    throw new Error(`pull ${q.brokerName}/${q.queueId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function popOk(group: string, body: Record<string, unknown>): Promise<any[]> {
  const res = await call('POST', `/groups/${group}/pop`, body);
  if (res.status !== 200) throw new Error(`pop: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.messages;
}

const bodies = (messages: { body: string }[]) => messages.map((m) => m.body);
/** Lets the clock move on, so that what is sent next is stored in a later millisecond than what came before. */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 5));

// The first request of a file starts the cluster (seconds on a loaded machine): not what these tests are about.
describe('queues a group has never consumed', { timeout: 30_000 }, () => {
  it('delivers what producers wrote to queues added to the topic before the group’s next heartbeat', async () => {
    const topic = uniqueName('Expanded');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const q0 = { topic, brokerName: 'broker-a', queueId: 0 };
    await heartbeat(group, 'c1', [topic]);
    expect((await memberPull(group, 'c1', q0)).messages).toEqual([]); // the group consumes queue 0 from here on
    await send(topic, { body: 'on queue 0', queue: { brokerName: 'broker-a', queueId: 0 } });
    expect(bodies((await memberPull(group, 'c1', q0)).messages)).toEqual(['on queue 0']);

    // The topic grows to 4 queues; producers use the new ones at once, the group has not heard yet.
    await createTopic(topic, { queueNums: 4, brokerNames: ['broker-a'] });
    for (const queueId of [1, 2, 3])
      await send(topic, { body: `on queue ${queueId}`, queue: { brokerName: 'broker-a', queueId } });

    const assignment = await heartbeat(group, 'c1', [topic]);
    expect(assignment.queues.filter((q) => q.topic === topic).map((q) => q.queueId)).toEqual([0, 1, 2, 3]);
    for (const queueId of [1, 2, 3]) {
      const first = await memberPull(group, 'c1', { topic, brokerName: 'broker-a', queueId });
      const seen = `first pull of the new queue: offset ${first.offset} messages ${first.messages.length}`;
      expect(seen).toBe(`first pull of the new queue: offset 0 messages 1`);
      expect(bodies(first.messages)).toEqual([`on queue ${queueId}`]);
    }
  });

  it('starts a new group at its subscription: what was stored before is skipped, what came after is delivered', async () => {
    const topic = uniqueName('SinceSubscribe');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 2, brokerNames: ['broker-a'] });
    for (const queueId of [0, 1])
      await send(topic, { body: `before ${queueId}`, queue: { brokerName: 'broker-a', queueId } });
    await nextMillisecond();
    const { queues } = await heartbeat(group, 'c1', [topic]);
    // Sent after the subscription, before any pull: RocketMQ's CONSUME_FROM_LAST_OFFSET fixed at the first pull skipped these.
    for (const queueId of [0, 1])
      await send(topic, { body: `after ${queueId}`, queue: { brokerName: 'broker-a', queueId } });
    for (const q of queues.filter((x) => x.topic === topic)) {
      const got = await memberPull(group, 'c1', q);
      expect(got.offset).toBe(1);
      expect(bodies(got.messages)).toEqual([`after ${q.queueId}`]);
    }
  });

  it('keeps the group’s subscription time when its members change: a queue first pulled by a later member starts there too', async () => {
    const topic = uniqueName('SinceGroup');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await heartbeat(group, 'c1', [topic]);
    await call('DELETE', `/groups/${group}/members/c1`);
    await send(topic, { body: 'while nobody was there' });
    await heartbeat(group, 'c2', [topic]);
    expect(bodies((await memberPull(group, 'c2', { topic, brokerName: 'broker-a', queueId: 0 })).messages)).toEqual([
      'while nobody was there',
    ]);
  });

  it('in broadcasting, starts each member at its own subscription, not the group’s', async () => {
    const topic = uniqueName('SinceMember');
    const group = uniqueName('GID');
    const q0 = { topic, brokerName: 'broker-a', queueId: 0 };
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await heartbeat(group, 'c1', [topic], { messageModel: 'BROADCASTING' });
    await send(topic, { body: 'for c1 only' });
    await nextMillisecond();
    await heartbeat(group, 'c2', [topic], { messageModel: 'BROADCASTING' });
    await send(topic, { body: 'for both' });
    expect(bodies((await memberPull(group, 'c1', q0)).messages)).toEqual(['for c1 only', 'for both']);
    expect(bodies((await memberPull(group, 'c2', q0)).messages)).toEqual(['for both']);
  });

  it('leaves CONSUME_FROM_FIRST_OFFSET and CONSUME_FROM_TIMESTAMP as they were', async () => {
    const topic = uniqueName('OtherStarts');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const q0 = { topic, brokerName: 'broker-a', queueId: 0 };
    await send(topic, { body: 'old' });
    await nextMillisecond();
    const cut = Date.now();
    await nextMillisecond();
    await send(topic, { body: 'new' });
    const first = uniqueName('GID');
    await heartbeat(first, 'c1', [topic], { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    expect(bodies((await memberPull(first, 'c1', q0)).messages)).toEqual(['old', 'new']);
    const byTime = uniqueName('GID');
    await heartbeat(byTime, 'c1', [topic], { consumeFromWhere: 'CONSUME_FROM_TIMESTAMP', consumeTimestamp: cut });
    expect(bodies((await memberPull(byTime, 'c1', q0)).messages)).toEqual(['new']);
  });

  it('pop: delivers what was written to queues added after the group’s first pop, and nothing stored before it', async () => {
    const topic = uniqueName('PopExpanded');
    const group = uniqueName('GID_pop');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'before the group' });
    await nextMillisecond();
    expect(await popOk(group, { topic })).toEqual([]);
    await createTopic(topic, { queueNums: 3, brokerNames: ['broker-a'] });
    for (const queueId of [0, 1, 2])
      await send(topic, { body: `on queue ${queueId}`, queue: { brokerName: 'broker-a', queueId } });
    expect(bodies(await popOk(group, { topic, maxMessages: 32 })).sort()).toEqual([
      'on queue 0',
      'on queue 1',
      'on queue 2',
    ]);
  });
});
