/**
 * The queue lock as a member sees it: a member pull answers the lock it took
 * or renewed, and PUT .../lock renews it for the member the lock names only,
 * whether or not the queue is still assigned to it (RocketMQ's lockBatchMQ
 * from RebalanceImpl.lockAll), never taking one another member holds or that
 * was released.
 */
import { describe, expect, it } from 'vitest';
import { call, createTopic, expectError, uniqueName } from './helpers';

async function join(group: string, clientId: string, topic: string) {
  const res = await call('POST', `/groups/${group}/members/${clientId}/heartbeat`, {
    subscriptions: [{ topic, expression: '*' }],
  });
  expect(res.status).toBe(200);
  return res.body;
}

const queuePath = (group: string, clientId: string, topic: string) =>
  `/groups/${group}/members/${clientId}/queues/${topic}/broker-a/0`;

describe('queue lock renewal', { timeout: 30_000 }, () => {
  it('answers the lock with each member pull and renews it for its holder only, assigned or not', async () => {
    const topic = uniqueName('LockRenewal');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await join(group, 'zz-a', topic);
    const before = Date.now();
    const pulled = await call('GET', `${queuePath(group, 'zz-a', topic)}/messages`);
    expect(pulled.status).toBe(200);
    expect(pulled.body.lock.durationMs).toBe(60_000);
    expect(pulled.body.lock.expiresAt).toBeGreaterThanOrEqual(before + 60_000);

    // 'aa-b' joins and sorts first: the queue is now its, but the lock stays with zz-a, which may renew it.
    await join(group, 'aa-b', topic);
    expect((await join(group, 'zz-a', topic)).queues.filter((q: { topic: string }) => q.topic === topic)).toEqual([]);
    expectError(await call('GET', `${queuePath(group, 'zz-a', topic)}/messages`), 409, 'QUEUE_NOT_ASSIGNED');
    const renewed = await call('PUT', `${queuePath(group, 'zz-a', topic)}/lock`);
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({
      group,
      clientId: 'zz-a',
      topic,
      brokerName: 'broker-a',
      queueId: 0,
      locked: true,
      durationMs: 60_000,
    });
    expectError(await call('GET', `${queuePath(group, 'aa-b', topic)}/messages`), 409, 'QUEUE_LOCKED');

    // Another member cannot renew (or take) it; once released, not even its former holder can.
    expect((await call('PUT', `${queuePath(group, 'aa-b', topic)}/lock`)).body).toMatchObject({ locked: false });
    expect((await call('DELETE', `${queuePath(group, 'zz-a', topic)}/lock`)).body.released).toBe(true);
    expect((await call('PUT', `${queuePath(group, 'zz-a', topic)}/lock`)).body).toEqual({
      group,
      clientId: 'zz-a',
      topic,
      brokerName: 'broker-a',
      queueId: 0,
      locked: false,
    });
    const taken = await call('GET', `${queuePath(group, 'aa-b', topic)}/messages`);
    expect(taken.status).toBe(200);
    expect((await call('PUT', `${queuePath(group, 'aa-b', topic)}/lock`)).body.locked).toBe(true);
  });

  it('refuses a renewal of a queue that does not exist', async () => {
    const topic = uniqueName('LockRenewal');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    expectError(
      await call('PUT', `/groups/${uniqueName('GID')}/members/a/queues/${topic}/broker-a/7/lock`),
      404,
      'QUEUE_NOT_EXIST',
    );
  });
});
