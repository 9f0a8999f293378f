import { describe, expect, it } from 'vitest';
import { call, createTopic, expectError, send, uniqueName } from './helpers';
import { join, memberStreamPath, openStream, type TestSocket } from './stream-helpers';

/** A topic of one queue and a member of a fresh group assigned it (from the first offset). */
async function setup(extra: Record<string, unknown> = {}) {
  const topic = uniqueName('st');
  const group = uniqueName('sg');
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  const assignment = await join(group, 'c1', topic, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', ...extra });
  const queue = assignment.queues.find((q: { topic: string }) => q.topic === topic);
  return { topic, group, queue };
}

async function sendN(topic: string, n: number, tag?: string): Promise<void> {
  await send(topic, {
    messages: Array.from({ length: n }, (_, i) => ({ body: `m${i}`, ...(tag ? { tags: tag } : {}) })),
  });
}

async function open(
  group: string,
  clientId: string,
  queue: { topic: string; brokerName: string; queueId: number },
  query = '',
): Promise<TestSocket> {
  const opened = await openStream(memberStreamPath(group, clientId, queue, query));
  if (!opened.socket) throw new Error(`stream refused: ${opened.status} ${JSON.stringify(opened.body)}`);
  await opened.socket.until(() => opened.socket!.ofType('ready').length > 0, 'ready');
  return opened.socket;
}

describe('member push stream', () => {
  it('pushes what was stored and what is appended later, in order, within the credits', async () => {
    const { topic, group, queue } = await setup();
    await sendN(topic, 3);
    const s = await open(group, 'c1', queue);
    expect(s.ofType('ready')[0]).toMatchObject({ type: 'ready', offset: 0 });
    s.send({ type: 'credit', messages: 5, bytes: 1 << 20 });
    await s.until(() => s.messages.length === 3, 'the 3 stored messages');
    await sendN(topic, 4); // pushed on append: 2 fit the credits left
    await s.until(() => s.messages.length === 5, '2 more');
    await s.settle();
    expect(s.messages.map((m) => m.queueOffset)).toEqual([0, 1, 2, 3, 4]);
    expect(s.messages.map((m) => m.body)).toEqual(['m0', 'm1', 'm2', 'm0', 'm1']);
    s.send({ type: 'credit', messages: 10, bytes: 1 << 20 });
    await s.until(() => s.messages.length === 7, 'the rest once credited');
    expect(s.ofType('messages').at(-1).nextBeginOffset).toBe(7);
    s.close();
  });

  it('never sends beyond the credits: a consumer that grants nothing gets nothing', async () => {
    const { topic, group, queue } = await setup();
    const s = await open(group, 'c1', queue);
    await sendN(topic, 5);
    await s.settle();
    expect(s.messages).toEqual([]);
    // Bytes bound it: one message at least per grant, then no more until more bytes are granted.
    s.send({ type: 'credit', messages: 3, bytes: 1 });
    await s.until(() => s.messages.length === 1, 'one message for one byte');
    await s.settle();
    expect(s.messages).toHaveLength(1);
    // Messages bound it: 2 left of the 3 granted.
    s.send({ type: 'credit', messages: 0, bytes: 1 << 20 });
    await s.until(() => s.messages.length === 3, 'the 2 messages left');
    await sendN(topic, 5);
    await s.settle();
    expect(s.messages).toHaveLength(3);
    s.close();
  });

  it('commits on the stream, with the generation checked as a member commit', async () => {
    const { topic, group, queue } = await setup();
    await sendN(topic, 3);
    const s = await open(group, 'c1', queue);
    s.send({ type: 'credit', messages: 10, bytes: 1 << 20 });
    await s.until(() => s.messages.length === 3, '3 messages');
    s.send({ type: 'commit', id: 1, offset: 3 });
    await s.until(() => s.ofType('committed').length === 1, 'the commit');
    expect(s.ofType('committed')[0]).toMatchObject({ id: 1, offset: 3 });
    const offsets = await call('GET', `/groups/${group}/offsets?topic=${topic}`);
    expect(offsets.body.offsets[0].offset).toBe(3);
    // Past the max offset: the member commit's error, on the frame, and the stream stays open.
    s.send({ type: 'commit', id: 2, offset: 99 });
    await s.until(() => s.ofType('error').length === 1, 'the refusal');
    expect(s.ofType('error')[0]).toMatchObject({ id: 2, code: 'OFFSET_OUT_OF_RANGE' });
    await sendN(topic, 1);
    await s.until(() => s.messages.length === 4, 'still pushing');
    s.close();
  });

  it('a reopened stream starts at the committed offset, and filters tags as the member subscribed', async () => {
    const { topic, group, queue } = await setup({ expression: 'a' });
    await sendN(topic, 2, 'b');
    await sendN(topic, 2, 'a');
    const s = await open(group, 'c1', queue);
    s.send({ type: 'credit', messages: 10, bytes: 1 << 20 });
    await s.until(() => s.messages.length === 2, 'the two tagged a');
    expect(s.messages.map((m) => [m.queueOffset, m.tags])).toEqual([
      [2, 'a'],
      [3, 'a'],
    ]);
    s.send({ type: 'commit', id: 1, offset: 4 });
    await s.until(() => s.ofType('committed').length === 1, 'the commit');
    s.close();
    const again = await open(group, 'c1', queue);
    expect(again.ofType('ready')[0].offset).toBe(4);
    again.close();
  });

  it('refuses a member the queue is not assigned to, and a plain GET', async () => {
    const { topic, group, queue } = await setup();
    const other = await openStream(memberStreamPath(group, 'stranger', queue));
    expectError(other, 409, 'MEMBER_NOT_FOUND');
    await join(group, 'c2', topic);
    const assigned = await join(group, 'c1', topic);
    const c1Has = assigned.queues.some((q: { topic: string }) => q.topic === topic);
    const notAssigned = await openStream(memberStreamPath(group, c1Has ? 'c2' : 'c1', queue));
    expectError(notAssigned, 409, 'QUEUE_NOT_ASSIGNED');
    expectError(await call('GET', memberStreamPath(group, 'c1', queue)), 426, 'UPGRADE_REQUIRED');
  });

  it('orderly: the stream holds the queue lock, so another member is refused until it is released', async () => {
    const { topic, group, queue } = await setup({ consumeOrderly: true });
    const s = await open(group, 'c1', queue);
    expect(s.ofType('ready')[0].lock).toMatchObject({ durationMs: 60_000 });
    // c1 leaves without releasing its locks; c2 takes its queue but the lock is still c1's.
    await call('DELETE', `/groups/${group}/members/c1?releaseLocks=false`);
    const c2 = await join(group, 'c2', topic);
    expect(c2.queues.some((q: { topic: string }) => q.topic === topic)).toBe(true);
    expectError(await openStream(memberStreamPath(group, 'c2', queue)), 409, 'QUEUE_LOCKED');
    // Released: the stream of c1 is closed, and c2's opens.
    await call('DELETE', `/groups/${group}/members/c1/queues/${topic}/${queue.brokerName}/${queue.queueId}/lock`);
    await s.until(() => s.closeCode !== undefined, 'c1 closed');
    const s2 = await open(group, 'c2', queue);
    await sendN(topic, 2);
    s2.send({ type: 'credit', messages: 10, bytes: 1 << 20 });
    await s2.until(() => s2.messages.length === 2, 'c2 gets them');
    s2.close();
  });

  it('a mistaken frame gets an error frame and the stream goes on; a frame too large closes it with 1009', async () => {
    const { topic, group, queue } = await setup();
    const s = await open(group, 'c1', queue);
    s.send('not json');
    s.send({ type: 'credit', messages: -1 });
    s.send({ type: 'nope', id: 3 });
    s.send({ type: 'commit', id: 4 });
    await s.until(() => s.ofType('error').length === 4, '4 errors');
    expect(s.ofType('error').map((e) => e.code)).toEqual([
      'MALFORMED_JSON',
      'INVALID_REQUEST',
      'INVALID_REQUEST',
      'INVALID_OFFSET',
    ]);
    expect(s.ofType('error')[2].id).toBe(3);
    await sendN(topic, 1);
    s.send({ type: 'credit', messages: 1, bytes: 1000 });
    await s.until(() => s.messages.length === 1, 'a message');
    s.send({ type: 'credit', pad: 'x'.repeat(5000) });
    await s.until(() => s.closeCode !== undefined, 'closed');
    expect(s.closeCode).toBe(1009);
  });

  it('with frames=binary, pushes consecutive messages as binary frames (bodies as stored) and what a tag filter thinned out as JSON', async () => {
    const { topic, group, queue } = await setup({ expression: 'a' });
    await sendN(topic, 3, 'a');
    const s = await open(group, 'c1', queue, '?frames=binary');
    s.send({ type: 'credit', messages: 10, bytes: 1 << 20 });
    await s.until(() => s.messages.length === 3, 'three messages');
    expect(s.ofType('messages').every((f) => f.binary)).toBe(true);
    expect(s.messages.map((m) => [m.queueOffset, m.body, m.tags])).toEqual([
      [0, 'm0', 'a'],
      [1, 'm1', 'a'],
      [2, 'm2', 'a'],
    ]);
    await send(topic, {
      messages: [
        { body: 'x', tags: 'a' },
        { body: 'y', tags: 'b' },
        { body: 'z', tags: 'a' },
      ],
    });
    await s.until(() => s.messages.length === 5, 'two more');
    const last = s.ofType('messages').at(-1);
    expect(last.binary).toBeUndefined();
    expect(last.messages.map((m: { body: string }) => m.body)).toEqual(['x', 'z']);
    expect(last.nextBeginOffset).toBe(6);
    s.close();
    expectError(await call('GET', memberStreamPath(group, 'c1', queue, '?frames=xml')), 426, 'UPGRADE_REQUIRED');
    const bad = await openStream(memberStreamPath(group, 'c1', queue, '?frames=xml'));
    expectError(bad, 400, 'INVALID_REQUEST');
  }, 30_000);
});
