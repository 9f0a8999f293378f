import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BROKER_HEARTBEAT_MS } from '../../src/core/timing';
import { call, createTopic, send, uniqueName } from './helpers';

// How a member learns of topics created after it joined: the group's retry topic, created at its
// first heartbeat; a subscribed topic created later by a send; a rebalance during a long poll.

const heartbeat = async (group: string, clientId: string, body: Record<string, unknown>) => {
  const res = await call('POST', `/groups/${group}/members/${clientId}/heartbeat`, body);
  if (res.status !== 200) throw new Error(`heartbeat ${clientId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

const join = (group: string, clientId: string, topic: string, extra: Record<string, unknown> = {}) =>
  heartbeat(group, clientId, { subscriptions: [{ topic, expression: '*' }], ...extra });

const topicsOf = (assignment: { queues: { topic: string }[] }) =>
  [...new Set(assignment.queues.map((q) => q.topic))].sort();

describe('topic discovery', () => {
  it('assigns a CLUSTERING member the retry topic’s queues in its first heartbeat answer', async () => {
    const topic = uniqueName('FirstBeat');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1 });
    const first = await join(group, 'c1', topic);
    expect(topicsOf(first)).toEqual([`%RETRY%${group}`, topic].sort());
    expect(first.queues.filter((q: any) => q.topic === `%RETRY%${group}`)).toHaveLength(2); // one per broker group
    expect((await call('GET', `/topics/${encodeURIComponent(`%RETRY%${group}`)}/route`)).status).toBe(200);
  });

  it('creates no retry topic for a BROADCASTING group, which retries in place', async () => {
    const topic = uniqueName('Broadcast');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1 });
    const first = await join(group, 'c1', topic, { messageModel: 'BROADCASTING' });
    expect(topicsOf(first)).toEqual([topic]);
    expect((await call('GET', `/topics/${encodeURIComponent(`%RETRY%${group}`)}/route`)).status).toBe(404);
  });

  it('tells a member whose subscribed topic has no queues yet to heartbeat sooner, backing off, and at the usual interval once it exists', async () => {
    const topic = uniqueName('NotYet');
    const group = uniqueName('GID');
    const waiting = await join(group, 'c1', topic);
    expect(topicsOf(waiting)).toEqual([`%RETRY%${group}`]);
    expect(waiting.heartbeatIntervalMs).toBeLessThan(BROKER_HEARTBEAT_MS);
    // Backoff: the longer the member has waited for the topic, the longer it may wait between heartbeats.
    await runInDurableObject(env.CONSUMER_GROUP.getByName(group), (_i, state) => {
      state.storage.sql.exec('UPDATE cg_subscribed SET since = since - 60000');
    });
    const later = await join(group, 'c1', topic);
    expect(later.heartbeatIntervalMs).toBeGreaterThan(waiting.heartbeatIntervalMs);
    await runInDurableObject(env.CONSUMER_GROUP.getByName(group), (_i, state) => {
      state.storage.sql.exec('UPDATE cg_subscribed SET since = since - 3600000');
    });
    expect((await join(group, 'c1', topic)).heartbeatIntervalMs).toBe(BROKER_HEARTBEAT_MS);
    await send(topic, { body: 'creates the topic' });
    const found = await join(group, 'c1', topic);
    expect(topicsOf(found)).toEqual([`%RETRY%${group}`, topic].sort());
    expect(found.generation).toBeGreaterThan(waiting.generation);
    expect(found.heartbeatIntervalMs).toBe(BROKER_HEARTBEAT_MS);
  });

  it('keeps the usual heartbeat interval for a member left without queues because the group has more members than queues', async () => {
    const topic = uniqueName('Surplus');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'c1', topic);
    const idle = await join(group, 'c2', topic);
    const c1 = await join(group, 'c1', topic);
    expect([c1, idle].filter((a) => a.queues.some((q: any) => q.topic === topic))).toHaveLength(1);
    expect(c1.heartbeatIntervalMs).toBe(BROKER_HEARTBEAT_MS);
    expect(idle.heartbeatIntervalMs).toBe(BROKER_HEARTBEAT_MS);
  });

  it('answers a member pull with the generation moved during its long poll', async () => {
    const topic = uniqueName('PollGen');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const c1 = await join(group, 'c1', topic);
    const q = c1.queues.find((x: any) => x.topic === topic);
    const polling = call(
      'GET',
      `/groups/${group}/members/c1/queues/${topic}/${q.brokerName}/${q.queueId}/messages?offset=0&waitMs=1500`,
    );
    let answered = false;
    void polling.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false);
    const moved = (await join(group, 'c2', topic)).generation; // a rebalance while c1's pull waits
    expect(moved).toBeGreaterThan(c1.generation);
    const answer = await polling;
    expect(answer.status).toBe(200);
    expect(answer.body.messages).toEqual([]);
    expect(answer.body.generation).toBe(moved);
  });
});
