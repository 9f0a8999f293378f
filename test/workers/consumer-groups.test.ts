import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, createTopic, expectError, send, uniqueName, served } from './helpers';

const heartbeat = (group: string, clientId: string, body: Record<string, unknown>) =>
  call('POST', `/groups/${group}/members/${clientId}/heartbeat`, body);

async function join(group: string, clientId: string, topic: string, extra: Record<string, unknown> = {}) {
  const res = await heartbeat(group, clientId, { subscriptions: [{ topic, expression: '*' }], ...extra });
  if (res.status !== 200) throw new Error(`heartbeat ${clientId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const memberPull = (
  group: string,
  clientId: string,
  q: { topic: string; brokerName: string; queueId: number },
  query = '',
) =>
  call('GET', `/groups/${group}/members/${clientId}/queues/${q.topic}/${q.brokerName}/${q.queueId}/messages?${query}`);

const queueKey = (q: { topic: string; brokerName: string; queueId: number }) =>
  `${q.topic}/${q.brokerName}/${q.queueId}`;

/** Every member's queues from a fresh heartbeat (no change of subscriptions). */
async function assignments(group: string, topic: string, clients: string[]) {
  const out = new Map<string, string[]>();
  for (const id of clients)
    out.set(id, (await join(group, id, topic)).queues.filter((q: any) => q.topic === topic).map(queueKey));
  return out;
}

function expectPartition(byMember: Map<string, string[]>, topic: string, queueCount: number) {
  const all = [...byMember.values()].flat();
  expect(all).toHaveLength(queueCount);
  expect(new Set(all).size).toBe(queueCount);
  for (const q of all) expect(q.startsWith(`${topic}/`)).toBe(true);
}

describe('consumer groups', () => {
  it('divides a topic’s queues among members and rebalances on join and leave', async () => {
    const topic = uniqueName('Rebalance');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 4 });
    const one = await join(group, 'c1', topic);
    expect(one.queues.filter((q: any) => q.topic === topic)).toHaveLength(8);
    expect(one).toMatchObject({ group, clientId: 'c1', messageModel: 'CLUSTERING', heartbeatIntervalMs: 30000 });
    await join(group, 'c2', topic);
    await join(group, 'c3', topic);
    const three = await assignments(group, topic, ['c1', 'c2', 'c3']);
    expectPartition(three, topic, 8);
    expect([...three.values()].map((q) => q.length).sort()).toEqual([2, 3, 3]);
    const left = await call('DELETE', `/groups/${group}/members/c2`);
    expect(left.status).toBe(200);
    const two = await assignments(group, topic, ['c1', 'c3']);
    expectPartition(two, topic, 8);
    const status = await call('GET', `/groups/${group}`);
    expect(status.body.members.map((m: any) => m.clientId)).toEqual(['c1', 'c3']);
    expect((await call('GET', '/groups')).body.groups).toContain(group);
    expectError(await call('DELETE', `/groups/${group}/members/c2`), 409, 'MEMBER_NOT_FOUND');
  });

  it('takes every member into the assignment when heartbeats arrive together', async () => {
    const topic = uniqueName('Together');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 4 });
    await Promise.all(['c1', 'c2', 'c3', 'c4'].map((id) => join(group, id, topic)));
    const status = await call('GET', `/groups/${group}`);
    const owned = new Map<string, string[]>(
      status.body.members.map((m: any) => [m.clientId, m.queues.filter((q: any) => q.topic === topic).map(queueKey)]),
    );
    expectPartition(owned, topic, 8);
    expect([...owned.values()].map((q) => q.length)).toEqual([2, 2, 2, 2]);
  });

  it('moves the generation on when the assignment changes, not on a plain heartbeat', async () => {
    const topic = uniqueName('Generation');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 2 });
    const g1 = (await join(group, 'c1', topic)).generation;
    expect((await join(group, 'c1', topic)).generation).toBe(g1);
    const g2 = (await join(group, 'c2', topic)).generation;
    expect(g2).toBeGreaterThan(g1);
    await createTopic(topic, { queueNums: 3 });
    const g3 = (await join(group, 'c1', topic)).generation;
    expect(g3).toBeGreaterThan(g2);
  });

  it('drops a member silent for 120 s from the group’s alarm and gives its queues to the others', async () => {
    const topic = uniqueName('Expiry');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 2 });
    await join(group, 'c1', topic);
    await join(group, 'c2', topic);
    const stub = env.CONSUMER_GROUP.getByName(group);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE cg_member SET last_heartbeat = last_heartbeat - 121000 WHERE client_id = 'c2'");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const status = await call('GET', `/groups/${group}`);
    expect(status.body.members.map((m: any) => m.clientId)).toEqual(['c1']);
    expect(status.body.members[0].queues.filter((q: any) => q.topic === topic)).toHaveLength(4);
    expectError(await memberPull(group, 'c2', { topic, brokerName: 'broker-a', queueId: 0 }), 409, 'MEMBER_NOT_FOUND');
  });

  it('refuses a pull of a queue the member does not own, telling it to heartbeat', async () => {
    const topic = uniqueName('NotOwned');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1 });
    await join(group, 'c1', topic);
    const c2 = await join(group, 'c2', topic);
    const mine = c2.queues.find((q: any) => q.topic === topic);
    const other =
      mine.brokerName === 'broker-a'
        ? { topic, brokerName: 'broker-b', queueId: 0 }
        : { topic, brokerName: 'broker-a', queueId: 0 };
    const res = await memberPull(group, 'c2', other);
    expectError(res, 409, 'QUEUE_NOT_ASSIGNED');
    expect(res.body.error.message).toMatch(/heartbeat/);
    expect(res.body.error.retriable).toBe(false);
    expectError(await memberPull(group, 'nobody', mine), 409, 'MEMBER_NOT_FOUND');
    expectError(await memberPull(uniqueName('NoGroup'), 'c1', mine), 404, 'GROUP_NOT_EXIST');
  });

  it('starts where consumeFromWhere says and commits as it goes', async () => {
    const topic = uniqueName('StartFrom');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { messages: [{ body: 'old-1' }, { body: 'old-2' }] });
    await new Promise((r) => setTimeout(r, 5)); // the groups subscribe in a later millisecond than these were stored
    const q = { topic, brokerName: 'broker-a', queueId: 0 };
    const last = uniqueName('GID');
    await join(last, 'c1', topic);
    expect((await memberPull(last, 'c1', q)).body).toMatchObject({ status: 'NO_NEW_MSG', offset: 2 });
    const first = uniqueName('GID');
    await join(first, 'c1', topic, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const got = await memberPull(first, 'c1', q);
    expect(got.body.messages.map((m: any) => m.body)).toEqual(['old-1', 'old-2']);
    expect(got.body.generation).toBeGreaterThan(0);
    const next = await memberPull(first, 'c1', q, `commitOffset=${got.body.nextBeginOffset}`);
    expect(next.body).toMatchObject({ status: 'NO_NEW_MSG', offset: 2 });
    expect((await call('GET', `/groups/${first}/offsets?topic=${topic}`)).body.offsets[0].offset).toBe(2);
    const cut = Date.now() + 1;
    await new Promise((r) => setTimeout(r, 10));
    await send(topic, { body: 'new' });
    const byTime = uniqueName('GID');
    await join(byTime, 'c1', topic, { consumeFromWhere: 'CONSUME_FROM_TIMESTAMP', consumeTimestamp: cut });
    expect((await memberPull(byTime, 'c1', q)).body.messages.map((m: any) => m.body)).toEqual(['new']);
  });

  it('lets one member at a time read a queue: the new owner waits for the old one to release it', async () => {
    const topic = uniqueName('Locks');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const q = { topic, brokerName: 'broker-a', queueId: 0 };
    await join(group, 'a', topic);
    expect((await memberPull(group, 'a', q)).status).toBe(200);
    // b joins; with AVG over two members and one queue, the queue goes to a or b.
    await join(group, 'b', topic);
    const ownerNow = (await join(group, 'a', topic)).queues.some((x: any) => queueKey(x) === queueKey(q)) ? 'a' : 'b';
    if (ownerNow === 'b') {
      expectError(await memberPull(group, 'b', q), 409, 'QUEUE_LOCKED');
      const released = await call('DELETE', `/groups/${group}/members/a/queues/${topic}/broker-a/0/lock`);
      expect(released.body.released).toBe(true);
      expect((await memberPull(group, 'b', q)).status).toBe(200);
    } else {
      expect((await memberPull(group, 'a', q)).status).toBe(200);
      expectError(await memberPull(group, 'b', q), 409, 'QUEUE_NOT_ASSIGNED');
    }
  });

  it('hands a leaving member’s locks over at once', async () => {
    const topic = uniqueName('LeaveLocks');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const q = { topic, brokerName: 'broker-a', queueId: 0 };
    await join(group, 'a', topic);
    await memberPull(group, 'a', q);
    await join(group, 'b', topic);
    await call('DELETE', `/groups/${group}/members/a`);
    await join(group, 'b', topic);
    expect((await memberPull(group, 'b', q)).status).toBe(200);
  });

  it('broadcasts: every member gets every queue and keeps its own offsets', async () => {
    const topic = uniqueName('Broadcast');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const q = { topic, brokerName: 'broker-a', queueId: 0 };
    const opts = { messageModel: 'BROADCASTING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' };
    for (const id of ['m1', 'm2', 'm3'])
      expect((await join(group, id, topic, opts)).queues.map(queueKey)).toEqual([queueKey(q)]);
    await send(topic, { messages: [{ body: 'x' }, { body: 'y' }] });
    for (const id of ['m1', 'm2', 'm3']) {
      const got = await memberPull(group, id, q);
      expect(got.body.messages.map((m: any) => m.body)).toEqual(['x', 'y']);
    }
    await call('PUT', `/groups/${group}/members/m1/offsets`, { topic, brokerName: 'broker-a', queueId: 0, offset: 2 });
    expect((await memberPull(group, 'm1', q)).body.offset).toBe(2);
    expect((await memberPull(group, 'm2', q)).body.offset).toBe(0);
    const lag = await call('GET', `/groups/${group}/lag`);
    const rows = lag.body.queues.filter((r: any) => r.topic === topic).map((r: any) => [r.clientId, r.lag]);
    expect(rows.sort()).toEqual([
      ['m1', 0],
      ['m2', 2],
      ['m3', 2],
    ]);
  });

  it('refuses a member whose config differs from the group’s while others are alive', async () => {
    const topic = uniqueName('Conflict');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1 });
    await join(group, 'c1', topic, { messageModel: 'BROADCASTING' });
    expectError(
      await heartbeat(group, 'c2', { subscriptions: [{ topic }], messageModel: 'CLUSTERING' }),
      409,
      'GROUP_CONFIG_CONFLICT',
    );
    expect((await heartbeat(group, 'c2', { subscriptions: [{ topic }] })).status).toBe(200);
    const changed = await call('PUT', `/groups/${group}`, { messageModel: 'CLUSTERING', maxReconsumeTimes: 3 });
    expect(changed.body.config).toMatchObject({ messageModel: 'CLUSTERING', maxReconsumeTimes: 3 });
  });

  it('refuses bad member requests with clear codes', async () => {
    const topic = uniqueName('BadMember');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1 });
    expectError(await heartbeat(group, 'bad id!', { subscriptions: [] }), 400, 'INVALID_REQUEST');
    expectError(await heartbeat(group, 'c1', { subscriptions: [{ topic: 'bad topic' }] }), 400, 'INVALID_TOPIC_NAME');
    expectError(
      await heartbeat(group, 'c1', { subscriptions: [{ topic, expression: 'A ||' }] }),
      400,
      'INVALID_TAG_EXPRESSION',
    );
    expectError(await heartbeat(group, 'c1', { subscriptions: [{ topic }, { topic }] }), 400, 'INVALID_REQUEST');
    expectError(
      await heartbeat(group, 'c1', { subscriptions: [{ topic }], messageModel: 'FANOUT' }),
      400,
      'INVALID_REQUEST',
    );
    expectError(await heartbeat('bad group', 'c1', { subscriptions: [] }), 400, 'INVALID_GROUP_NAME');
    expectError(await call('GET', `/groups/${uniqueName('Nope')}`), 404, 'GROUP_NOT_EXIST');
  });

  it('filters a member’s pulls by its subscription expression', async () => {
    const topic = uniqueName('SubTags');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await heartbeat(group, 'c1', {
      subscriptions: [{ topic, expression: 'A || C' }],
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    });
    for (const t of ['A', 'B', 'C']) await send(topic, { body: t, tags: t });
    const got = await memberPull(group, 'c1', { topic, brokerName: 'broker-a', queueId: 0 });
    expect(got.body.messages.map((m: any) => m.body)).toEqual(['A', 'C']);
  });
});

describe('group admin', () => {
  it('reports lag, resets offsets to a time, skips the backlog, and refuses commits of an older generation', async () => {
    const topic = uniqueName('Admin');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const q = { topic, brokerName: 'broker-a', queueId: 0 };
    const g = (await join(group, 'c1', topic, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })).generation;
    await send(topic, { messages: [{ body: '1' }, { body: '2' }] });
    await new Promise((r) => setTimeout(r, 10));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 10));
    await send(topic, { messages: [{ body: '3' }, { body: '4' }] });
    await memberPull(group, 'c1', q);
    const lag = await call('GET', `/groups/${group}/lag`);
    expect(lag.body.queues.find((x: any) => x.topic === topic)).toMatchObject({ offset: 0, maxOffset: 4, lag: 4 });
    expect(lag.body.totalLag).toBe(4);
    const reset = await call('POST', `/groups/${group}/offsets/reset`, { topic, timestamp: cut });
    expect(reset.status).toBe(200);
    expect(reset.body.offsets).toEqual([{ brokerName: 'broker-a', queueId: 0, offset: 2 }]);
    expect(reset.body.generation).toBeGreaterThan(g);
    expectError(
      await call('PUT', `/groups/${group}/members/c1/offsets`, {
        topic,
        brokerName: 'broker-a',
        queueId: 0,
        offset: 4,
        generation: g,
      }),
      409,
      'GENERATION_STALE',
    );
    expectError(await memberPull(group, 'c1', q, `commitOffset=4&generation=${g}`), 409, 'GENERATION_STALE');
    const after = await memberPull(group, 'c1', q, `generation=${reset.body.generation}`);
    expect(after.body.messages.map((m: any) => m.body)).toEqual(['3', '4']);
    // The queue object itself refuses a commit of an older generation, whatever the Worker checked.
    const queue = served(env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`));
    const refused = await queue.commitOffset(group, 4, g).then(
      () => 'stored',
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/GENERATION_STALE/);
    expect((await queue.commitOffset(group, 3, reset.body.generation)).offset).toBe(3);
    const skip = await call('POST', `/groups/${group}/offsets/skip`, { topic });
    expect(skip.body.offsets[0].offset).toBe(4);
    expect((await call('GET', `/groups/${group}/lag`)).body.totalLag).toBe(0);
    expectError(await call('POST', `/groups/${group}/offsets/reset`, { topic }), 400, 'INVALID_REQUEST');
    expectError(await call('POST', `/groups/${uniqueName('Nope')}/offsets/skip`, { topic }), 404, 'GROUP_NOT_EXIST');
  });
});
