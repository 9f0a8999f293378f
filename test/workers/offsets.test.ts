import { describe, expect, it } from 'vitest';
import { call, createTopic, expectError, send, uniqueName } from './helpers';

describe('consumer offsets', () => {
  it('reads -1 for a group that never committed, then what it commits', async () => {
    const topic = uniqueName('Offsets');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 2, brokerNames: ['broker-a'] });
    for (let i = 0; i < 5; i++) await send(topic, { body: `m${i}`, queue: { brokerName: 'broker-a', queueId: 0 } });
    const before = await call('GET', `/groups/${group}/offsets?topic=${topic}`);
    expect(before.status).toBe(200);
    expect(before.body.offsets.map((o: any) => [o.queueId, o.offset, o.maxOffset, o.lag])).toEqual([
      [0, -1, 5, 5],
      [1, -1, 0, 0],
    ]);
    const commit = await call('PUT', `/groups/${group}/offsets`, {
      topic,
      brokerName: 'broker-a',
      queueId: 0,
      offset: 3,
    });
    expect(commit.status).toBe(200);
    expect(commit.body.offsets[0]).toMatchObject({ brokerName: 'broker-a', queueId: 0, offset: 3 });
    const after = await call('GET', `/groups/${group}/offsets?topic=${topic}`);
    expect(after.body.offsets[0]).toMatchObject({ offset: 3, lag: 2 });
    expect(after.body.totalLag).toBe(2);
    const other = await call('GET', `/groups/${uniqueName('GID')}/offsets?topic=${topic}`);
    expect(other.body.offsets[0].offset).toBe(-1);
  });

  it('commits several queues at once, and commits to the max offset', async () => {
    const topic = uniqueName('OffsetsMany');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 2, brokerNames: ['broker-b'] });
    await send(topic, { body: 'x', queue: { brokerName: 'broker-b', queueId: 1 } });
    const res = await call('PUT', `/groups/${group}/offsets`, {
      topic,
      offsets: [
        { brokerName: 'broker-b', queueId: 0, offset: 0 },
        { brokerName: 'broker-b', queueId: 1, offset: 1 },
      ],
    });
    expect(res.status).toBe(200);
    const read = await call('GET', `/groups/${group}/offsets?topic=${topic}`);
    expect(read.body.offsets.map((o: any) => o.offset)).toEqual([0, 1]);
    expect(read.body.totalLag).toBe(0);
  });

  it('refuses an offset past the max offset and stores none of a batch with one bad offset', async () => {
    const topic = uniqueName('OffsetsBad');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 2, brokerNames: ['broker-a'] });
    await send(topic, { body: 'x', queue: { brokerName: 'broker-a', queueId: 0 } });
    expectError(
      await call('PUT', `/groups/${group}/offsets`, { topic, brokerName: 'broker-a', queueId: 0, offset: 2 }),
      400,
      'OFFSET_OUT_OF_RANGE',
    );
    expectError(
      await call('PUT', `/groups/${group}/offsets`, {
        topic,
        offsets: [
          { brokerName: 'broker-a', queueId: 0, offset: 1 },
          { brokerName: 'broker-a', queueId: 1, offset: 9 },
        ],
      }),
      400,
      'OFFSET_OUT_OF_RANGE',
    );
    const read = await call('GET', `/groups/${group}/offsets?topic=${topic}`);
    expect(read.body.offsets.map((o: any) => o.offset)).toEqual([-1, -1]);
    expectError(
      await call('PUT', `/groups/${group}/offsets`, {
        topic,
        offsets: [
          { brokerName: 'broker-a', queueId: 0, offset: 0 },
          { brokerName: 'broker-a', queueId: 0, offset: 1 },
        ],
      }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await call('PUT', `/groups/${group}/offsets`, { topic, brokerName: 'broker-a', queueId: 0, offset: -1 }),
      400,
      'INVALID_OFFSET',
    );
    expectError(
      await call('PUT', `/groups/${group}/offsets`, { topic, brokerName: 'broker-a', queueId: 0, offset: 'x' }),
      400,
      'INVALID_OFFSET',
    );
    expectError(
      await call('PUT', `/groups/${group}/offsets`, { topic, brokerName: 'broker-a', queueId: 7, offset: 0 }),
      404,
      'QUEUE_NOT_EXIST',
    );
    expectError(
      await call('PUT', `/groups/bad group/offsets`, { topic, brokerName: 'broker-a', queueId: 0, offset: 0 }),
      400,
      'INVALID_GROUP_NAME',
    );
    expectError(await call('GET', `/groups/${group}/offsets`), 400, 'INVALID_TOPIC_NAME');
  });

  it('finds the offset of a point in time', async () => {
    const topic = uniqueName('SearchOffset');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const first = await send(topic, { body: 'a' });
    await new Promise((r) => setTimeout(r, 20));
    const middle = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await send(topic, { body: 'b' });
    await send(topic, { body: 'c' });
    const search = (ts: number) => call('GET', `/topics/${topic}/queues/broker-a/0/offset?timestamp=${ts}`);
    expect((await search(0)).body.offset).toBe(first.queueOffset);
    expect((await search(middle)).body.offset).toBe(1);
    expect((await search(Date.now() + 60_000)).body.offset).toBe(3);
    expectError(await search(-5), 400, 'INVALID_REQUEST');
  });
});
