import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { call, createTopic, expectError, send, uniqueName } from './helpers';

const queueObject = (topic: string) => env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);

/** A one-queue topic with `count` messages and a clustering group whose member committed `committed` of them. */
async function consumed(count: number, committed: number) {
  const topic = uniqueName('GroupStats');
  const group = uniqueName('GID_stats');
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  const sent = [];
  for (let i = 0; i < count; i++) sent.push(await send(topic, { body: `m${i}` }));
  const join = await call('POST', `/groups/${group}/members/c1/heartbeat`, {
    subscriptions: [{ topic, expression: '*' }],
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  expect(join.status).toBe(200);
  const member = `/groups/${group}/members/c1/queues/${topic}/broker-a/0/messages`;
  expect((await call('GET', member)).status).toBe(200);
  expect((await call('GET', `${member}?commitOffset=${committed}`)).status).toBe(200);
  return { topic, group, sent };
}

describe('group stats', () => {
  it("answers the group's members, model, consumption, and lag equal to the lag route's, per minute", async () => {
    const { group } = await consumed(5, 2);
    const stats = await call('GET', `/groups/${group}/stats?minutes=5`);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      group,
      messageModel: 'CLUSTERING',
      memberCount: 1,
      diffTotal: 3,
      retry: { messages: 0, delayed: 0 },
      dlq: 0,
    });
    const lag = await call('GET', `/groups/${group}/lag`);
    expect(stats.body.diffTotal).toBe(lag.body.totalLag);
    expect(stats.body.minutes).toHaveLength(5);
    expect(stats.body.minutes.at(-1).lag).toBe(3);
    // The member's first pull stored its start (0), then it committed 2: two consumed, none before.
    expect(stats.body.minutes.reduce((n: number, m: { consumed: number }) => n + m.consumed, 0)).toBe(2);
    expect(stats.body.consumeTps).toBeGreaterThan(0);
  });

  it('writes the offsets it noted, reads the same history from them, and prunes what the history no longer needs', async () => {
    const { topic, group } = await consumed(4, 3);
    const figures = (body: { minutes: { consumed: number; lag: number }[] }) => ({
      consumed: body.minutes.reduce((n, m) => n + m.consumed, 0),
      lag: body.minutes.at(-1)?.lag,
    });
    const offsetRows = () =>
      runInDurableObject(queueObject(topic), async (_: MessageQueue, state) =>
        state.storage.sql.exec('SELECT grp, minute, queue_offset, consumed FROM mqs_offset ORDER BY minute').toArray(),
      );
    // An append after the commits writes its traffic, not the offsets noted (they wait for the timer or the alarm).
    await send(topic, { body: 'later' });
    expect(await offsetRows()).toEqual([]);
    expect(figures((await call('GET', `/groups/${group}/stats?minutes=3`)).body)).toEqual({ consumed: 3, lag: 2 });
    // Rows older than the two hours kept: the group's older one goes, its latest old one stays (where its history
    // begins), and a key without an offset goes.
    const hour = 3_600_000;
    const old = Math.floor(Date.now() / 60_000) * 60_000 - 3 * hour;
    await runInDurableObject(queueObject(topic), async (_: MessageQueue, state) => {
      for (const [grp, minute] of [
        [group, old],
        [group, old + 60_000],
        ['GID_gone', old],
      ] as const) {
        state.storage.sql.exec('INSERT INTO mqs_offset VALUES (?, ?, 0, 0)', grp, minute);
      }
    });
    // The alarm writes what waits in memory; the first write of an instance in a minute prunes.
    await runDurableObjectAlarm(queueObject(topic));
    await evictDurableObject(queueObject(topic));
    await send(topic, { body: 'after' });
    expect(await offsetRows()).toEqual([
      { grp: group, minute: old + 60_000, queue_offset: 0, consumed: 0 },
      { grp: group, minute: expect.any(Number), queue_offset: 3, consumed: 3 },
    ]);
    expect(figures((await call('GET', `/groups/${group}/stats?minutes=3`)).body)).toEqual({ consumed: 3, lag: 3 });
  });

  it('counts the messages in its retry topic and its DLQ', async () => {
    const { group, sent } = await consumed(3, 0);
    const retry = (msgId: string, delayLevel?: number) =>
      call('POST', `/groups/${group}/retry`, { msgId, ...(delayLevel === undefined ? {} : { delayLevel }) });
    expect((await retry(sent[0].msgId, -1)).status).toBe(200);
    expect((await retry(sent[1].msgId)).status).toBe(200);
    const stats = (await call('GET', `/groups/${group}/stats`)).body;
    expect(stats.dlq).toBe(1);
    expect(stats.retry.messages + stats.retry.delayed).toBe(1);
    expect(stats.minutes).toHaveLength(60);
  });

  it('refuses what it cannot answer', async () => {
    expectError(await call('GET', `/groups/${uniqueName('GID_none')}/stats`), 404, 'GROUP_NOT_EXIST');
    const { group } = await consumed(1, 1);
    expectError(await call('GET', `/groups/${group}/stats?minutes=0`), 400, 'INVALID_REQUEST');
    expectError(await call('GET', `/groups/${group}/stats?minutes=121`), 400, 'INVALID_REQUEST');
  });
});
