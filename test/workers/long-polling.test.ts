import { describe, expect, it } from 'vitest';
import { createTopic, pull, send, uniqueName } from './helpers';

describe('long polling', () => {
  it('holds a pull at the end of the queue and answers it with the message a send appends', async () => {
    const topic = uniqueName('LongPoll');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const waiting = pull(topic, 'broker-a', 0, { offset: 0, waitMs: 15000 });
    let answered = false;
    void waiting.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    await send(topic, { body: 'wake up' });
    const got = await waiting;
    expect(got).toMatchObject({ status: 'FOUND', nextBeginOffset: 1 });
    expect(got.messages.map((m: any) => m.body)).toEqual(['wake up']);
  });

  it('answers NO_NEW_MSG when the wait ends with nothing sent', async () => {
    const topic = uniqueName('LongPollEmpty');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    expect(await pull(topic, 'broker-a', 0, { offset: 0, waitMs: 200 })).toMatchObject({
      status: 'NO_NEW_MSG',
      nextBeginOffset: 0,
      messages: [],
    });
  });

  it('keeps waiting past messages that do not match its tags, and answers the one that does', async () => {
    const topic = uniqueName('LongPollTags');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const waiting = pull(topic, 'broker-a', 0, { offset: 0, waitMs: 15000, tags: 'Wanted' });
    await send(topic, { body: 'other', tags: 'Other' });
    await send(topic, { body: 'other too' });
    await send(topic, { body: 'this one', tags: 'Wanted' });
    const got = await waiting;
    expect(got.status).toBe('FOUND');
    expect(got.messages.map((m: any) => [m.body, m.queueOffset])).toEqual([['this one', 2]]);
    expect(got.nextBeginOffset).toBe(3);
  });

  it('answers NO_MATCHED_MSG with the offset moved past what it skipped when the wait ends', async () => {
    const topic = uniqueName('LongPollSkip');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'x', tags: 'Other' });
    const got = await pull(topic, 'broker-a', 0, { offset: 0, waitMs: 300, tags: 'Wanted' });
    expect(got).toMatchObject({ status: 'NO_MATCHED_MSG', nextBeginOffset: 1 });
  });

  it('wakes every pull waiting on the queue', async () => {
    const topic = uniqueName('LongPollMany');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-b'] });
    const waiting = [0, 1, 2].map(() => pull(topic, 'broker-b', 0, { offset: 0, waitMs: 15000 }));
    await new Promise((r) => setTimeout(r, 50));
    await send(topic, { body: 'for all' });
    for (const got of await Promise.all(waiting)) expect(got.messages.map((m: any) => m.body)).toEqual(['for all']);
  });
});
