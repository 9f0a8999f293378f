import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { ACK_REPEAT_WINDOW_MS } from '../../src/durable-objects/queue/pop';
import { call, createTopic, expectError, pull, send, uniqueName, answering } from './helpers';

const queueObject = (topic: string, brokerName = 'broker-a', queueId = 0) =>
  env.MESSAGE_QUEUE.getByName(`${topic}/${brokerName}/${queueId}/0`);

/** A topic with one queue on broker-a, and a group that pops it from its first offset. */
async function setup(
  prefix: string,
  groupConfig: Record<string, unknown> = {},
): Promise<{ topic: string; group: string }> {
  const topic = uniqueName(prefix);
  const group = uniqueName('GID_pop');
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  const res = await call('PUT', `/groups/${group}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', ...groupConfig });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return { topic, group };
}

async function popOk(group: string, body: Record<string, unknown>): Promise<any[]> {
  const res = await call('POST', `/groups/${group}/pop`, body);
  if (res.status !== 200) throw new Error(`pop: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.messages;
}

const bodies = (messages: any[]) => messages.map((m) => m.body);

async function ack(group: string, receiptHandles: string[]): Promise<any> {
  const res = await call('POST', `/groups/${group}/ack`, { receiptHandles });
  expect(res.status).toBe(200);
  return res.body;
}

/** Moves the group's in-flight entries `ms` earlier, as if that much time had passed. */
async function ageInFlight(
  topic: string,
  group: string,
  ms: number,
  brokerName = 'broker-a',
  queueId = 0,
): Promise<void> {
  await runInDurableObject(queueObject(topic, brokerName, queueId), (_, state) => {
    state.storage.sql.exec('UPDATE mqp_inflight SET invisible_until = invisible_until - ? WHERE grp = ?', ms, group);
  });
}

const popState = (topic: string, group: string) =>
  runInDurableObject<MessageQueue, any>(queueObject(topic), (instance) => answering(instance).popState(group));

describe('pop', () => {
  it('receives messages with receipt handles, keeps them invisible to the group, and acks them', async () => {
    const { topic, group } = await setup('Pop');
    const sent = [];
    for (const body of ['one', 'two', 'three']) sent.push(await send(topic, { body, tags: 'TagA', keys: `k-${body}` }));

    const before = Date.now();
    const first = await popOk(group, { topic, maxMessages: 2, invisibleMs: 60_000 });
    expect(bodies(first)).toEqual(['one', 'two']);
    const m = first[0];
    expect(m).toMatchObject({
      msgId: sent[0].msgId,
      topic,
      brokerName: 'broker-a',
      queueId: 0,
      queueOffset: 0,
      tags: 'TagA',
      keys: 'k-one',
      bodyEncoding: 'utf8',
      uniqueKey: sent[0].uniqueKey,
      reconsumeTimes: 0,
      receiptHandle: expect.stringMatching(/^03[0-9A-F]+$/),
    });
    expect(m.popTimestamp).toBeGreaterThanOrEqual(before);
    expect(m.firstPopTimestamp).toBe(m.popTimestamp);
    expect(m.invisibleUntil).toBe(m.popTimestamp + 60_000);

    // In flight: not delivered again; the next pop gets what is left, then nothing.
    expect(bodies(await popOk(group, { topic, invisibleMs: 60_000 }))).toEqual(['three']);
    expect(await popOk(group, { topic })).toEqual([]);
    expect(await popState(topic, group)).toEqual({ cursor: 3, inFlight: 3, heldBack: 0 });

    const acked = await ack(
      group,
      first.map((x) => x.receiptHandle),
    );
    expect(acked).toEqual({
      group,
      acked: 2,
      results: first.map((x) => ({ receiptHandle: x.receiptHandle, acked: true })),
    });
    expect(await popState(topic, group)).toEqual({ cursor: 3, inFlight: 1, heldBack: 0 });

    // A second ack of the same handle (a retry after a lost answer) gets the same answer.
    const again = await ack(group, [first[0].receiptHandle]);
    expect(again).toEqual({ group, acked: 1, results: [{ receiptHandle: first[0].receiptHandle, acked: true }] });
  });

  it('creates the group on its first pop, starting at the last offset by default', async () => {
    const topic = uniqueName('PopNewGroup');
    const group = uniqueName('GID_fresh');
    await createTopic(topic, { queueNums: 2 });
    await send(topic, { body: 'before the group' });
    await new Promise((r) => setTimeout(r, 5)); // the group's first pop comes in a later millisecond than this was stored
    expectError(await call('GET', `/groups/${group}`), 404, 'GROUP_NOT_EXIST');
    expect(await popOk(group, { topic })).toEqual([]);
    const shown = await call('GET', `/groups/${group}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      group,
      config: { consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', maxReconsumeTimes: -1 },
      members: [],
    });
    expect((await call('GET', '/groups')).body.groups).toContain(group);

    await send(topic, { body: 'after' });
    expect(bodies(await popOk(group, { topic }))).toEqual(['after']);
  });

  it('walks every readable queue of the topic, and filters by tag expression', async () => {
    const topic = uniqueName('PopQueues');
    const group = uniqueName('GID_tags');
    const all = uniqueName('GID_all');
    await createTopic(topic, { queueNums: 2 });
    for (const g of [group, all]) await call('PUT', `/groups/${g}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    for (let i = 0; i < 8; i++) await send(topic, { body: `m${i}`, tags: i % 2 === 0 ? 'Even' : 'Odd' });

    const even = await popOk(group, { topic, expression: 'Even', maxMessages: 32 });
    expect(bodies(even).sort()).toEqual(['m0', 'm2', 'm4', 'm6']);
    expect(new Set(even.map((m) => `${m.brokerName}/${m.queueId}`)).size).toBeGreaterThan(1);
    expect(await popOk(group, { topic, expression: 'Even' })).toEqual([]);

    const everything = await popOk(all, { topic, maxMessages: 32 });
    expect(bodies(everything).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
  });

  it('delivers a message again, reconsumeTimes + 1, when its invisibility lapses; only the newest handle acks', async () => {
    const { topic, group } = await setup('PopRedeliver');
    const sent = await send(topic, { body: 'again' });
    const [first] = await popOk(group, { topic, invisibleMs: 10_000 });
    expect(first).toMatchObject({ msgId: sent.msgId, reconsumeTimes: 0 });
    expect(await popOk(group, { topic })).toEqual([]);

    await ageInFlight(topic, group, 10_000);
    const [second] = await popOk(group, { topic, invisibleMs: 10_000 });
    expect(second).toMatchObject({
      msgId: sent.msgId,
      body: 'again',
      reconsumeTimes: 1,
      firstPopTimestamp: first.firstPopTimestamp,
    });
    expect(second.popTimestamp).toBeGreaterThanOrEqual(first.popTimestamp);
    expect(second.receiptHandle).not.toBe(first.receiptHandle);

    await ageInFlight(topic, group, 10_000);
    const [third] = await popOk(group, { topic });
    expect(third.reconsumeTimes).toBe(2);

    const stale = await ack(group, [first.receiptHandle, second.receiptHandle]);
    for (const r of stale.results) expect(r.error.code).toBe('RECEIPT_HANDLE_EXPIRED');
    expect((await ack(group, [third.receiptHandle])).acked).toBe(1);
    await ageInFlight(topic, group, 3_600_000);
    expect(await popOk(group, { topic })).toEqual([]);
  });

  it('changes the invisible time under a new handle; the old handle no longer acks', async () => {
    const { topic, group } = await setup('PopInvisible');
    await send(topic, { body: 'slow work' });
    const [m] = await popOk(group, { topic, invisibleMs: 10_000 });

    const before = Date.now();
    const changed = await call('POST', `/groups/${group}/invisible`, {
      receiptHandle: m.receiptHandle,
      invisibleMs: 120_000,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      group,
      receiptHandle: expect.stringMatching(/^03[0-9A-F]+$/),
      msgId: m.msgId,
      topic,
      brokerName: 'broker-a',
      queueId: 0,
      queueOffset: 0,
      popTimestamp: m.popTimestamp,
      firstPopTimestamp: m.firstPopTimestamp,
      reconsumeTimes: 0,
    });
    expect(changed.body.receiptHandle).not.toBe(m.receiptHandle);
    expect(changed.body.invisibleUntil).toBeGreaterThanOrEqual(before + 120_000);

    // Past the first invisible time, the message is still invisible.
    await ageInFlight(topic, group, 10_000);
    expect(await popOk(group, { topic })).toEqual([]);

    expect((await ack(group, [m.receiptHandle])).results[0].error.code).toBe('RECEIPT_HANDLE_EXPIRED');
    expectError(
      await call('POST', `/groups/${group}/invisible`, { receiptHandle: m.receiptHandle, invisibleMs: 10_000 }),
      404,
      'RECEIPT_HANDLE_EXPIRED',
    );
    expect((await ack(group, [changed.body.receiptHandle])).acked).toBe(1);
    expectError(
      await call('POST', `/groups/${group}/invisible`, {
        receiptHandle: changed.body.receiptHandle,
        invisibleMs: 10_000,
      }),
      404,
      'RECEIPT_HANDLE_EXPIRED',
    );
  });

  it('a lost answer to ack: the retried ack of the same handle gets the same answer; a redelivered handle is still refused', async () => {
    const { topic, group } = await setup('PopAckRetry');
    await send(topic, { body: 'once' });
    await send(topic, { body: 'twice' });
    const [m, n] = await popOk(group, { topic, invisibleMs: 10_000, maxMessages: 2 });

    // The first ack is done, but its answer never reaches the client; the client sends it again.
    expect((await ack(group, [m.receiptHandle])).acked).toBe(1);
    const retried = await ack(group, [m.receiptHandle]);
    expect(retried).toEqual({ group, acked: 1, results: [{ receiptHandle: m.receiptHandle, acked: true }] });
    // The same handle twice in one request: both acked.
    expect((await ack(group, [m.receiptHandle, m.receiptHandle])).acked).toBe(2);
    expect(await popState(topic, group)).toMatchObject({ inFlight: 1 });

    // A handle whose message was delivered again is refused, as before.
    await ageInFlight(topic, group, 10_000);
    const [again] = await popOk(group, { topic, invisibleMs: 10_000 });
    expect(again).toMatchObject({ body: 'twice', reconsumeTimes: 1 });
    expect((await ack(group, [n.receiptHandle])).results[0]).toMatchObject({
      acked: false,
      error: { code: 'RECEIPT_HANDLE_EXPIRED' },
    });
    expect((await ack(group, [again.receiptHandle])).acked).toBe(1);

    // Past the repeat window, an acked handle is refused again (acked already).
    await runInDurableObject(queueObject(topic), (_, state) => {
      state.storage.sql.exec(
        'UPDATE mqp_acked SET forget_at = forget_at - ? WHERE grp = ?',
        ACK_REPEAT_WINDOW_MS,
        group,
      );
    });
    expect((await ack(group, [m.receiptHandle])).results[0]).toMatchObject({
      acked: false,
      error: { code: 'RECEIPT_HANDLE_EXPIRED' },
    });
    expect(await popOk(group, { topic })).toEqual([]);
  });

  it('a lost answer to changeInvisibleDuration: the retried call with the same handle gets the same new handle', async () => {
    const { topic, group } = await setup('PopChangeRetry');
    await send(topic, { body: 'slow' });
    const [m] = await popOk(group, { topic, invisibleMs: 10_000 });

    const first = await call('POST', `/groups/${group}/invisible`, {
      receiptHandle: m.receiptHandle,
      invisibleMs: 60_000,
    });
    expect(first.status).toBe(200);
    // Its answer is lost; the client calls again with the handle it has.
    const retried = await call('POST', `/groups/${group}/invisible`, {
      receiptHandle: m.receiptHandle,
      invisibleMs: 60_000,
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(first.body);
    // The old handle still does not ack, nor change the time to another value.
    expect((await ack(group, [m.receiptHandle])).results[0].error.code).toBe('RECEIPT_HANDLE_EXPIRED');
    expectError(
      await call('POST', `/groups/${group}/invisible`, { receiptHandle: m.receiptHandle, invisibleMs: 30_000 }),
      404,
      'RECEIPT_HANDLE_EXPIRED',
    );
    expect(await popOk(group, { topic })).toEqual([]);

    // A second change from the new handle; the first call repeated now is refused (its handle is two changes old).
    const second = await call('POST', `/groups/${group}/invisible`, {
      receiptHandle: first.body.receiptHandle,
      invisibleMs: 30_000,
    });
    expect(second.status).toBe(200);
    expect(
      (
        await call('POST', `/groups/${group}/invisible`, {
          receiptHandle: first.body.receiptHandle,
          invisibleMs: 30_000,
        })
      ).body,
    ).toEqual(second.body);
    expectError(
      await call('POST', `/groups/${group}/invisible`, { receiptHandle: m.receiptHandle, invisibleMs: 60_000 }),
      404,
      'RECEIPT_HANDLE_EXPIRED',
    );

    // Once the message is delivered again, the repeat is refused, and only the new delivery's handle acks.
    await ageInFlight(topic, group, 60_000);
    const [redelivered] = await popOk(group, { topic, invisibleMs: 10_000 });
    expect(redelivered).toMatchObject({ body: 'slow', reconsumeTimes: 1 });
    expectError(
      await call('POST', `/groups/${group}/invisible`, {
        receiptHandle: first.body.receiptHandle,
        invisibleMs: 30_000,
      }),
      404,
      'RECEIPT_HANDLE_EXPIRED',
    );
    expect((await ack(group, [second.body.receiptHandle])).results[0].error.code).toBe('RECEIPT_HANDLE_EXPIRED');
    expect((await ack(group, [redelivered.receiptHandle])).acked).toBe(1);
  });

  it("sends a message to the group's DLQ instead of delivering it past maxReconsumeTimes", async () => {
    const { topic, group } = await setup('PopDlq', { maxReconsumeTimes: 2 });
    const sent = await send(topic, { body: 'poison', tags: 'T', keys: 'order-7', properties: { app: 'x' } });
    for (const expected of [0, 1, 2]) {
      const got = await popOk(group, { topic, invisibleMs: 10_000 });
      expect(got.map((m) => [m.msgId, m.reconsumeTimes])).toEqual([[sent.msgId, expected]]);
      await ageInFlight(topic, group, 10_000);
    }
    // The fourth delivery would pass maxReconsumeTimes: the message goes to %DLQ%{group} and is acked.
    expect(await popOk(group, { topic })).toEqual([]);
    const dlq = await call('GET', `/groups/${group}/dlq`);
    expect(dlq.body.total).toBe(1);
    expect(dlq.body.messages[0]).toMatchObject({
      topic: `%DLQ%${group}`,
      body: 'poison',
      tags: 'T',
      keys: 'order-7',
      reconsumeTimes: 3,
      properties: { app: 'x', ORIGIN_MESSAGE_ID: sent.msgId, RETRY_TOPIC: topic, RECONSUME_TIME: '3' },
    });
    expect(await popState(topic, group)).toMatchObject({ inFlight: 0 });
    await ageInFlight(topic, group, 3_600_000);
    expect(await popOk(group, { topic })).toEqual([]);
    // From the DLQ it can be sent back to the group alone, through its retry topic, where the group pops it afresh.
    const resent = await call('POST', `/groups/${group}/dlq/${dlq.body.messages[0].msgId}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.body.topic).toBe(`%RETRY%${group}`);
    const again = await popOk(group, { topic });
    expect(again.map((m) => [m.body, m.reconsumeTimes, m.properties.RETRY_TOPIC])).toEqual([['poison', 0, topic]]);
  });

  it("delivers a resent dead letter to its pop group's next pop of the original topic, acks it, and to no other group or topic", async () => {
    const { topic, group } = await setup('PopResend', { maxReconsumeTimes: 0 });
    const other = uniqueName('GID_popOther');
    expect((await call('PUT', `/groups/${other}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })).status).toBe(200);
    const otherTopic = uniqueName('PopResendOther');
    await createTopic(otherTopic, { queueNums: 1, brokerNames: ['broker-a'] });
    const sent = await send(topic, { body: 'poison', tags: 'TagA' });

    // Another group of the topic consumes the message and acks it.
    const theirs = await popOk(other, { topic });
    expect(bodies(theirs)).toEqual(['poison']);
    expect((await ack(other, [theirs[0].receiptHandle])).acked).toBe(1);

    // The group fails it once; past maxReconsumeTimes (0) it is dead-lettered, and an admin resends it.
    expect(bodies(await popOk(group, { topic, invisibleMs: 10_000 }))).toEqual(['poison']);
    await ageInFlight(topic, group, 10_000);
    expect(await popOk(group, { topic })).toEqual([]);
    const dlq = await call('GET', `/groups/${group}/dlq`);
    expect(dlq.body.total).toBe(1);
    const resent = await call('POST', `/groups/${group}/dlq/${dlq.body.messages[0].msgId}/resend`);
    expect(resent.status).toBe(200);

    // The group's pop of another topic does not get it; its pop of the original topic does, through the tag filter.
    expect(await popOk(group, { topic: otherTopic })).toEqual([]);
    const back = await popOk(group, { topic, expression: 'TagA || TagB', invisibleMs: 10_000 });
    expect(
      back.map((m) => [
        m.body,
        m.tags,
        m.reconsumeTimes,
        m.topic,
        m.properties.RETRY_TOPIC,
        m.properties.ORIGIN_MESSAGE_ID,
      ]),
    ).toEqual([['poison', 'TagA', 0, `%RETRY%${group}`, topic, sent.msgId]]);
    // The other group, which acked it, never gets it again.
    expect(await popOk(other, { topic })).toEqual([]);

    // Its receipt handle changes its invisibility and acks it; acked, it does not come back.
    const changed = await call('POST', `/groups/${group}/invisible`, {
      receiptHandle: back[0].receiptHandle,
      invisibleMs: 10_000,
    });
    expect(changed.status).toBe(200);
    expect((await ack(group, [changed.body.receiptHandle])).acked).toBe(1);
    await runInDurableObject(queueObject(`%RETRY%${group}`), (_, state) => {
      state.storage.sql.exec('UPDATE mqp_inflight SET invisible_until = invisible_until - 3600000');
    });
    expect(await popOk(group, { topic })).toEqual([]);
  });

  it("applies the pop's tag expression to the group's retry messages as to the topic's own", async () => {
    const { topic, group } = await setup('PopResendTags', { maxReconsumeTimes: 0 });
    await send(topic, { body: 'a', tags: 'TagA' });
    await send(topic, { body: 'b', tags: 'TagB' });
    expect(bodies(await popOk(group, { topic, invisibleMs: 10_000 }))).toEqual(['a', 'b']);
    await ageInFlight(topic, group, 10_000);
    expect(await popOk(group, { topic })).toEqual([]);
    const dlq = await call('GET', `/groups/${group}/dlq`);
    expect(dlq.body.total).toBe(2);
    for (const m of dlq.body.messages)
      expect((await call('POST', `/groups/${group}/dlq/${m.msgId}/resend`)).status).toBe(200);
    expect(bodies(await popOk(group, { topic, expression: 'TagA' }))).toEqual(['a']);
  });

  it('orderly: delivers the next message of a sharding key only after the one before it is acked', async () => {
    const { topic, group } = await setup('PopOrderly');
    const sends: [string, string | undefined][] = [
      ['A1', 'A'],
      ['A2', 'A'],
      ['B1', 'B'],
      ['free1', undefined],
      ['A3', 'A'],
      ['B2', 'B'],
      ['free2', undefined],
    ];
    for (const [body, shardingKey] of sends) await send(topic, shardingKey ? { body, shardingKey } : { body });

    const first = await popOk(group, { topic, orderly: true, maxMessages: 32, invisibleMs: 10_000 });
    expect(bodies(first)).toEqual(['A1', 'B1', 'free1', 'free2']);
    expect(first[0].properties).toEqual({ __SHARDINGKEY: 'A' });
    expect(await popOk(group, { topic, orderly: true })).toEqual([]);
    expect(await popState(topic, group)).toEqual({ cursor: 7, inFlight: 4, heldBack: 3 });

    await ack(group, [first[0].receiptHandle]); // A1
    expect(bodies(await popOk(group, { topic, orderly: true, invisibleMs: 10_000 }))).toEqual(['A2']);

    // B1 is not acked: when it lapses it comes again, still before B2.
    await ageInFlight(topic, group, 10_000);
    const redelivered = await popOk(group, { topic, orderly: true, maxMessages: 32, invisibleMs: 10_000 });
    expect(redelivered.map((m) => [m.body, m.reconsumeTimes])).toEqual([
      ['A2', 1],
      ['B1', 1],
      ['free1', 1],
      ['free2', 1],
    ]);
    await ack(
      group,
      redelivered.map((m) => m.receiptHandle),
    );
    expect(bodies(await popOk(group, { topic, orderly: true, maxMessages: 32 }))).toEqual(['A3', 'B2']);
  });

  it('long polling: a pop waiting on an empty topic is answered by a send to any of its queues', async () => {
    const topic = uniqueName('PopLongPoll');
    const group = uniqueName('GID_wait');
    await createTopic(topic, { queueNums: 2 });
    expect(await popOk(group, { topic, waitMs: 200 })).toEqual([]);

    const waiting = popOk(group, { topic, waitMs: 15_000 });
    let answered = false;
    void waiting.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    await send(topic, { body: 'wake up', queue: { brokerName: 'broker-b', queueId: 1 } });
    const got = await waiting;
    expect(got.map((m) => [m.body, m.brokerName, m.queueId])).toEqual([['wake up', 'broker-b', 1]]);
  });

  it('long polling with a tag expression keeps waiting past messages it does not want', async () => {
    const { topic, group } = await setup('PopLongPollTags');
    const waiting = popOk(group, { topic, expression: 'Wanted', waitMs: 15_000 });
    await send(topic, { body: 'other', tags: 'Other' });
    await send(topic, { body: 'this one', tags: 'Wanted' });
    expect(bodies(await waiting)).toEqual(['this one']);
  });

  it('serves pop and pull groups on one topic independently', async () => {
    const topic = uniqueName('PopAndPull');
    const popGroup = uniqueName('GID_popper');
    const otherPopGroup = uniqueName('GID_popper2');
    const pullGroup = uniqueName('GID_puller');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    for (const g of [popGroup, otherPopGroup])
      await call('PUT', `/groups/${g}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const join = await call('POST', `/groups/${pullGroup}/members/c1/heartbeat`, {
      subscriptions: [{ topic, expression: '*' }],
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    });
    expect(join.status).toBe(200);
    for (const body of ['a', 'b', 'c']) await send(topic, { body });

    const popped = await popOk(popGroup, { topic, maxMessages: 32 });
    expect(bodies(popped)).toEqual(['a', 'b', 'c']);
    expect(
      (
        await ack(
          popGroup,
          popped.map((m) => m.receiptHandle),
        )
      ).acked,
    ).toBe(3);

    // The pull group sees everything, from its own offset, whatever the pop group did.
    const pulled = await call('GET', `/groups/${pullGroup}/members/c1/queues/${topic}/broker-a/0/messages`);
    expect(bodies(pulled.body.messages)).toEqual(['a', 'b', 'c']);
    // So does a plain pull, and another pop group.
    expect(bodies((await pull(topic, 'broker-a', 0, { offset: 0 })).messages)).toEqual(['a', 'b', 'c']);
    expect(bodies(await popOk(otherPopGroup, { topic, maxMessages: 32 }))).toEqual(['a', 'b', 'c']);
    // The pop group's acks did not touch the pull group's committed offset, nor the other way round.
    await call('GET', `/groups/${pullGroup}/members/c1/queues/${topic}/broker-a/0/messages?commitOffset=3`);
    expect((await call('GET', `/groups/${popGroup}/offsets?topic=${topic}`)).body.offsets[0].offset).toBe(-1);
    await send(topic, { body: 'd' });
    expect(bodies(await popOk(popGroup, { topic }))).toEqual(['d']);
  });

  it('refuses bad input with a stable code, and marks nothing invisible', async () => {
    const { topic, group } = await setup('PopBad');
    await send(topic, { body: 'keep me' });
    const bad: [Record<string, unknown> | string, number, string][] = [
      [{ topic, maxMessages: 0 }, 400, 'INVALID_REQUEST'],
      [{ topic, maxMessages: 33 }, 400, 'INVALID_REQUEST'],
      [{ topic, maxMessages: 1.5 }, 400, 'INVALID_REQUEST'],
      [{ topic, invisibleMs: 9_999 }, 400, 'INVALID_REQUEST'],
      [{ topic, invisibleMs: 12 * 3_600_000 + 1 }, 400, 'INVALID_REQUEST'],
      [{ topic, waitMs: 20_001 }, 400, 'INVALID_REQUEST'],
      [{ topic, waitMs: -1 }, 400, 'INVALID_REQUEST'],
      [{ topic, orderly: 'yes' }, 400, 'INVALID_REQUEST'],
      [{ topic, expression: 'A || *' }, 400, 'INVALID_TAG_EXPRESSION'],
      [{ topic, expression: 7 }, 400, 'INVALID_TAG_EXPRESSION'],
      [{}, 400, 'INVALID_TOPIC_NAME'],
      [{ topic: 'bad topic' }, 400, 'INVALID_TOPIC_NAME'],
      [{ topic: uniqueName('NoSuchTopic') }, 404, 'TOPIC_NOT_EXIST'],
      ['[1]', 400, 'INVALID_REQUEST'],
      ['{', 400, 'MALFORMED_JSON'],
    ];
    for (const [body, status, code] of bad) expectError(await call('POST', `/groups/${group}/pop`, body), status, code);
    expectError(await call('POST', '/groups/bad group/pop', { topic }), 400, 'INVALID_GROUP_NAME');
    expect(await popState(topic, group)).toMatchObject({ inFlight: 0 });
    expect(bodies(await popOk(group, { topic }))).toEqual(['keep me']);
  });

  it('refuses bad acks and changes of invisibility', async () => {
    const { topic, group } = await setup('PopBadAck');
    await send(topic, { body: 'x' });
    const [m] = await popOk(group, { topic });
    for (const body of [
      {},
      { receiptHandles: [] },
      { receiptHandles: 'x' },
      { receiptHandles: [1] },
      { receiptHandles: new Array(1025).fill('x') },
    ]) {
      expectError(await call('POST', `/groups/${group}/ack`, body), 400, 'INVALID_REQUEST');
    }
    const other = uniqueName('GID_other');
    const mixed = await ack(other, [m.receiptHandle, sentIdLike(m.msgId), 'nothex']);
    expect(mixed.results.map((r: any) => r.error.code)).toEqual([
      'INVALID_RECEIPT_HANDLE',
      'INVALID_RECEIPT_HANDLE',
      'INVALID_RECEIPT_HANDLE',
    ]);

    expectError(
      await call('POST', `/groups/${group}/invisible`, { receiptHandle: 'nothex', invisibleMs: 10_000 }),
      400,
      'INVALID_RECEIPT_HANDLE',
    );
    expectError(
      await call('POST', `/groups/${group}/invisible`, { receiptHandle: m.msgId, invisibleMs: 10_000 }),
      400,
      'INVALID_RECEIPT_HANDLE',
    );
    expectError(
      await call('POST', `/groups/${other}/invisible`, { receiptHandle: m.receiptHandle, invisibleMs: 10_000 }),
      400,
      'INVALID_RECEIPT_HANDLE',
    );
    expectError(
      await call('POST', `/groups/${group}/invisible`, { receiptHandle: m.receiptHandle }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await call('POST', `/groups/${group}/invisible`, { receiptHandle: m.receiptHandle, invisibleMs: 5 }),
      400,
      'INVALID_REQUEST',
    );
    expectError(await call('POST', `/groups/${group}/invisible`, { invisibleMs: 10_000 }), 400, 'INVALID_REQUEST');
    // None of that touched the delivery: its handle still acks.
    expect((await ack(group, [m.receiptHandle])).acked).toBe(1);
  });
});

describe('the OpenAPI document of pop and transactions', () => {
  it('is generated from their declarations, and served', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    const ids = Object.values(
      doc.paths as Record<string, Record<string, { operationId?: string; tags?: string[] }>>,
    ).flatMap((item) => Object.values(item));
    const of = (tag: string) =>
      ids
        .filter((op) => op.tags?.includes(tag))
        .map((op) => op.operationId)
        .sort();
    expect(of('pop')).toEqual(['ackMessages', 'changeInvisibleDuration', 'popMessages']);
    expect(of('transactions')).toEqual([
      'commitTransaction',
      'configureProducerGroup',
      'getHalfMessage',
      'getProducerGroup',
      'listDiscardedTransactions',
      'listProducerGroups', // GET /producer-groups, added for the dashboard's overview (issue 15)
      'popHalfMessages',
      'rollbackTransaction',
    ]);
    expect(doc.paths['/api/v1/groups/{group}/pop'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/PopRequest',
    });
  });

  it('refuses, as the route does, the pop requests the route refuses for their shape (waitMs included): one schema for both', async () => {
    const { topic, group } = await setup('PopSchema');
    const doc = (await call('GET', '/openapi.json')).body;
    const ajv = new Ajv2020({ strict: false, validateSchema: false });
    ajv.addSchema(doc, 'openapi.json');
    const documented = ajv.compile({ $ref: 'openapi.json#/components/schemas/PopRequest' });
    const bodies: Record<string, unknown>[] = [
      { topic },
      { topic, maxMessages: 32, invisibleMs: 10_000, waitMs: 0, orderly: true, expression: '*' },
      { topic, maxMessages: 0 },
      { topic, maxMessages: 1.5 },
      { topic, invisibleMs: 9_999 },
      { topic, waitMs: 20_001 },
      { topic, waitMs: -1 },
      { topic, waitMs: 'soon' },
      { topic, orderly: 'yes' },
      { topic, expression: 7 },
      {},
    ];
    for (const body of bodies) {
      const res = await call('POST', `/groups/${group}/pop`, body);
      expect({ body, refused: res.status === 400 }).toEqual({ body, refused: !documented(body) });
    }
  });
});

/** A message id is not a receipt handle. */
const sentIdLike = (msgId: string) => msgId;
