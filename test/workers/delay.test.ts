import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { encodeTimerHandle } from '../../src/core/timer-handle';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { call, createTopic, expectError, pull, send, uniqueName } from './helpers';

// vitest.config.ts sets MESSAGE_DELAY_LEVEL for these tests: level n waits n × 200 ms.
const levelMs = (level: number) => level * 200;
const HOUR = 3_600_000;

const queueObject = (topic: string, brokerName: string, queueId = 0) =>
  env.MESSAGE_QUEUE.getByName(`${topic}/${brokerName}/${queueId}/0`);

/** A topic with one queue on broker-a. */
async function oneQueueTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  return topic;
}

async function queueStatus(topic: string, brokerName = 'broker-a', queueId = 0): Promise<any> {
  const res = await call('GET', `/topics/${topic}/status`);
  return res.body.queues.find((q: any) => q.brokerName === brokerName && q.queueId === queueId);
}

/** Pulls from `offset`, long polling until at least `count` messages have come or 15 s have passed. */
async function waitForMessages(topic: string, count: number, offset = 0, brokerName = 'broker-a'): Promise<any[]> {
  const got: any[] = [];
  let next = offset;
  while (got.length < count) {
    const res = await pull(topic, brokerName, 0, { offset: next, waitMs: 15_000, maxMessages: 100 });
    if (res.status !== 'FOUND') throw new Error(`no delivery within 15 s: ${JSON.stringify(res)}`);
    got.push(...res.messages);
    next = res.nextBeginOffset;
  }
  return got;
}

/** The queue has not delivered: a pull that ends before `deliverAt` finds nothing. */
async function expectNotDeliveredBefore(topic: string, deliverAt: number, offset = 0): Promise<void> {
  const res = await pull(topic, 'broker-a', 0, { offset });
  if (Date.now() < deliverAt) expect(res).toMatchObject({ status: 'NO_NEW_MSG', messages: [], maxOffset: offset });
  for (const m of res.messages) expect(m.storeTimestamp).toBeGreaterThanOrEqual(deliverAt);
}

/** Moves every pending timer of a queue `ms` earlier, as if that much time had passed. */
async function ageTimers(topic: string, ms: number, brokerName = 'broker-a'): Promise<void> {
  await runInDurableObject(queueObject(topic, brokerName), (_, state) => {
    state.storage.sql.exec('UPDATE mq_timer SET deliver_at = deliver_at - ?', ms);
  });
}

const alarmOf = (topic: string, brokerName = 'broker-a') =>
  runInDurableObject(queueObject(topic, brokerName), (_, state) => state.storage.getAlarm());

describe('delayed messages', () => {
  it('delivers a message sent with a delay level once it is due, not before, and wakes long polls', async () => {
    const topic = await oneQueueTopic('DelayLevel');
    const before = Date.now();
    const sent = await send(topic, { body: 'later', tags: 'TagA', keys: 'k1', delayLevel: 5 });
    expect(sent).toEqual({
      status: 'SEND_OK',
      delayed: true,
      timerHandle: expect.stringMatching(/^02[0-9A-F]+$/),
      deliverAt: expect.any(Number),
      uniqueKey: expect.any(String),
      topic,
      brokerName: 'broker-a',
      queueId: 0,
    });
    expect(sent.deliverAt).toBeGreaterThanOrEqual(before + levelMs(5));
    expect(sent.deliverAt).toBeLessThanOrEqual(Date.now() + levelMs(5));
    await expectNotDeliveredBefore(topic, sent.deliverAt);
    if (Date.now() < sent.deliverAt) expect(await queueStatus(topic)).toMatchObject({ maxOffset: 0, pendingTimers: 1 });

    const [m] = await waitForMessages(topic, 1);
    expect(m).toMatchObject({
      body: 'later',
      tags: 'TagA',
      keys: 'k1',
      queueOffset: 0,
      uniqueKey: sent.uniqueKey,
      reconsumeTimes: 0,
    });
    expect(m.storeTimestamp).toBeGreaterThanOrEqual(sent.deliverAt);
    expect(await queueStatus(topic)).toMatchObject({ maxOffset: 1, pendingTimers: 0 });
    expect((await call('GET', `/messages/${m.msgId}`)).body.body).toBe('later');
  });

  it('delivers at an absolute deliverAt, and with delayMs', async () => {
    const topic = await oneQueueTopic('DeliverAt');
    const deliverAt = Date.now() + 1000;
    const at = await send(topic, { body: 'at', deliverAt });
    expect(at).toMatchObject({ delayed: true, deliverAt });
    const after = await send(topic, { body: 'after', delayMs: 1200 });
    expect(after.deliverAt).toBeGreaterThan(deliverAt);
    await expectNotDeliveredBefore(topic, deliverAt);
    const got = await waitForMessages(topic, 2);
    expect(got.map((m) => [m.body, m.queueOffset])).toEqual([
      ['at', 0],
      ['after', 1],
    ]);
    expect(got[0].storeTimestamp).toBeGreaterThanOrEqual(deliverAt);
    expect(got[1].storeTimestamp).toBeGreaterThanOrEqual(after.deliverAt);
  });

  it('sends at once when deliverAt is now or in the past', async () => {
    const topic = await oneQueueTopic('DeliverAtPast');
    const sent = await send(topic, { body: 'now', deliverAt: Date.now() - 1000 });
    expect(sent).toMatchObject({ status: 'SEND_OK', queueOffset: 0, msgId: expect.any(String) });
    expect(sent).not.toHaveProperty('delayed');
    expect(sent).not.toHaveProperty('timerHandle');
    expect(await queueStatus(topic)).toMatchObject({ maxOffset: 1, pendingTimers: 0 });
  });

  it('assigns offsets when the messages become due, in due order, after messages sent meanwhile', async () => {
    const topic = await oneQueueTopic('DueOrder');
    const now = Date.now();
    const late = await send(topic, { body: 'late', deliverAt: now + 3 * HOUR });
    const early = await send(topic, { body: 'early', deliverAt: now + 1 * HOUR });
    const middle = await send(topic, { body: 'middle', deliverAt: now + 2 * HOUR });
    const batch = await send(topic, { deliverAt: now + 2 * HOUR, messages: [{ body: 'b1' }, { body: 'b2' }] });
    expect(await send(topic, { body: 'plain' })).toMatchObject({ queueOffset: 0 });
    expect(await alarmOf(topic)).toBe(early.deliverAt);

    // A forced alarm before anything is due delivers nothing and re-arms for the earliest timer.
    expect(await runDurableObjectAlarm(queueObject(topic, 'broker-a'))).toBe(true);
    expect(await queueStatus(topic)).toMatchObject({ maxOffset: 1, pendingTimers: 5 });
    expect(await alarmOf(topic)).toBe(early.deliverAt);

    await ageTimers(topic, 4 * HOUR);
    expect(await runDurableObjectAlarm(queueObject(topic, 'broker-a'))).toBe(true);
    const got = (await pull(topic, 'broker-a', 0, { offset: 0 })).messages;
    expect(got.map((m: any) => [m.body, m.queueOffset])).toEqual([
      ['plain', 0],
      ['early', 1],
      ['middle', 2],
      ['b1', 3],
      ['b2', 4],
      ['late', 5],
    ]);
    expect(got.slice(1).map((m: any) => m.uniqueKey)).toEqual(
      [early, middle, ...batch.results, late].map((s: any) => s.uniqueKey),
    );
    for (let i = 1; i < got.length; i++)
      expect(got[i].storeTimestamp).toBeGreaterThanOrEqual(got[i - 1].storeTimestamp);
    expect(await queueStatus(topic)).toMatchObject({ maxOffset: 6, pendingTimers: 0 });
    // No timer is left: the alarm is now only the retention run, for when the oldest message passes fileReservedTime (72 h).
    expect(await alarmOf(topic)).toBeGreaterThanOrEqual(got[0].storeTimestamp + 72 * HOUR);
    // Running the alarm again (as the platform does after a failure) delivers nothing twice.
    await runInDurableObject<MessageQueue, void>(queueObject(topic, 'broker-a'), (instance) => instance.alarm());
    expect(await queueStatus(topic)).toMatchObject({ maxOffset: 6, pendingTimers: 0 });
  });

  it('delivers in due order in real time too', async () => {
    const topic = await oneQueueTopic('DueOrderLive');
    const now = Date.now();
    await send(topic, { body: 'plain' });
    const second = await send(topic, { body: 'second', deliverAt: now + 1400 });
    const first = await send(topic, { body: 'first', deliverAt: now + 700 });
    const got = await waitForMessages(topic, 3);
    expect(got.map((m) => [m.body, m.queueOffset])).toEqual([
      ['plain', 0],
      ['first', 1],
      ['second', 2],
    ]);
    expect(got[1].storeTimestamp).toBeGreaterThanOrEqual(first.deliverAt);
    expect(got[2].storeTimestamp).toBeGreaterThanOrEqual(second.deliverAt);
  });

  it('delays a whole batch: one handle per message, delivered together in order', async () => {
    const topic = await oneQueueTopic('DelayBatch');
    const res = await send(topic, {
      delayLevel: 2,
      messages: [{ body: 'b0' }, { body: 'b1', tags: 'T' }, { body: 'b2' }],
    });
    expect(res.results).toHaveLength(3);
    const handles = new Set(res.results.map((r: any) => r.timerHandle));
    expect(handles.size).toBe(3);
    for (const r of res.results)
      expect(r).toMatchObject({
        status: 'SEND_OK',
        delayed: true,
        deliverAt: res.results[0].deliverAt,
        topic,
        brokerName: 'broker-a',
        queueId: 0,
      });
    const got = await waitForMessages(topic, 3);
    expect(got.map((m) => [m.body, m.queueOffset])).toEqual([
      ['b0', 0],
      ['b1', 1],
      ['b2', 2],
    ]);
    for (const m of got) expect(m.storeTimestamp).toBeGreaterThanOrEqual(res.results[0].deliverAt);
  });

  it('sends oneway with a delay', async () => {
    const topic = await oneQueueTopic('DelayOneway');
    const before = Date.now();
    const res = await call('POST', `/topics/${topic}/messages?oneway=true`, { body: 'quiet', delayLevel: 1 });
    expect(res).toEqual({ status: 202, body: { status: 'ACCEPTED', count: 1 } });
    const [m] = await waitForMessages(topic, 1);
    expect(m.body).toBe('quiet');
    expect(m.storeTimestamp).toBeGreaterThanOrEqual(before + levelMs(1));
  });

  it('goes to the queue a normal send would: explicit queue, sharding key', async () => {
    const topic = uniqueName('DelayTarget');
    await createTopic(topic, { queueNums: 4 });
    const explicit = await send(topic, { body: 'x', delayLevel: 1, queue: { brokerName: 'broker-b', queueId: 3 } });
    expect(explicit).toMatchObject({ brokerName: 'broker-b', queueId: 3 });
    const normal = await send(topic, { body: 'n', shardingKey: 'order-42' });
    const delayed = await send(topic, { body: 'd', shardingKey: 'order-42', delayMs: HOUR });
    expect([delayed.brokerName, delayed.queueId]).toEqual([normal.brokerName, normal.queueId]);
  });

  it('shows pending timers per queue in the topic status, and drops them with the topic', async () => {
    const topic = uniqueName('DelayStatus');
    await createTopic(topic, { queueNums: 2, brokerNames: ['broker-b'] });
    const q0 = { brokerName: 'broker-b', queueId: 0 };
    const held = await send(topic, { body: 'a', delayMs: HOUR, queue: q0 });
    await send(topic, { messages: [{ body: 'b' }, { body: 'c' }], delayMs: HOUR, queue: q0 });
    await send(topic, { body: 'd', delayMs: HOUR, queue: { brokerName: 'broker-b', queueId: 1 } });
    const status = await call('GET', `/topics/${topic}/status`);
    expect(status.body.queues.map((q: any) => [q.queueId, q.maxOffset, q.pendingTimers])).toEqual([
      [0, 0, 3],
      [1, 0, 1],
    ]);

    expect((await call('DELETE', `/topics/${topic}`)).status).toBe(200);
    await createTopic(topic, { queueNums: 2, brokerNames: ['broker-b'] });
    expect((await call('GET', `/topics/${topic}/status`)).body.queues.map((q: any) => q.pendingTimers)).toEqual([0, 0]);
    expectError(await call('DELETE', `/timers/${held.timerHandle}`), 404, 'TIMER_NOT_FOUND');
  });
});

describe('timers by handle', () => {
  it('shows a pending timer, cancels it so that it is never delivered, and refuses a second cancel', async () => {
    const topic = await oneQueueTopic('Cancel');
    const now = Date.now();
    const doomed = await send(topic, {
      body: 'never',
      tags: 'TagX',
      keys: ['k1', 'k2'],
      properties: { p: '1' },
      bornTimestamp: 42,
      deliverAt: now + HOUR,
    });
    const kept = await send(topic, { body: 'kept', deliverAt: now + HOUR + 1 });

    const shown = await call('GET', `/timers/${doomed.timerHandle}`);
    expect(shown).toEqual({
      status: 200,
      body: {
        timerHandle: doomed.timerHandle,
        topic,
        brokerName: 'broker-a',
        queueId: 0,
        deliverAt: now + HOUR,
        scheduledAt: expect.any(Number),
        tags: 'TagX',
        keys: 'k1 k2',
        properties: { p: '1' },
        body: 'never',
        bodyEncoding: 'utf8',
        bornTimestamp: 42,
        uniqueKey: doomed.uniqueKey,
        reconsumeTimes: 0,
      },
    });
    expect((await call('GET', `/timers/${doomed.timerHandle.toLowerCase()}?bodyEncoding=base64`)).body).toMatchObject({
      body: btoa('never'),
      bodyEncoding: 'base64',
    });

    const cancelled = await call('DELETE', `/timers/${doomed.timerHandle}`);
    expect(cancelled).toEqual({
      status: 200,
      body: {
        cancelled: true,
        timerHandle: doomed.timerHandle,
        deliverAt: now + HOUR,
        uniqueKey: doomed.uniqueKey,
        topic,
        brokerName: 'broker-a',
        queueId: 0,
      },
    });
    expectError(await call('DELETE', `/timers/${doomed.timerHandle}`), 404, 'TIMER_NOT_FOUND');
    expectError(await call('GET', `/timers/${doomed.timerHandle}`), 404, 'TIMER_NOT_FOUND');
    expect(await queueStatus(topic)).toMatchObject({ pendingTimers: 1 });

    await ageTimers(topic, 2 * HOUR);
    await runDurableObjectAlarm(queueObject(topic, 'broker-a'));
    const got = await pull(topic, 'broker-a', 0, { offset: 0 });
    expect(got.messages.map((m: any) => m.body)).toEqual(['kept']);
    expectError(await call('DELETE', `/timers/${kept.timerHandle}`), 404, 'TIMER_NOT_FOUND');
  });

  it('cancels in real time before the message is due', async () => {
    const topic = await oneQueueTopic('CancelLive');
    const doomed = await send(topic, { body: 'never', delayLevel: 5 });
    const kept = await send(topic, { body: 'kept', delayLevel: 8 });
    const res = await call('DELETE', `/timers/${doomed.timerHandle}`);
    // Only meaningful when the cancel arrived in time, which it does unless the machine stalls for a second.
    if (res.status === 200) {
      const [first] = await waitForMessages(topic, 1);
      expect(first.body).toBe('kept');
      expect(first.storeTimestamp).toBeGreaterThanOrEqual(kept.deliverAt);
    } else {
      expectError(res, 404, 'TIMER_NOT_FOUND');
    }
  });

  it('refuses handles that are not handles, and answers 404 for queues that do not exist', async () => {
    const topic = await oneQueueTopic('BadHandle');
    const sent = await send(topic, { body: 'plain' });
    for (const handle of ['garbage', 'ABC', '0'.repeat(40), sent.msgId]) {
      expectError(await call('DELETE', `/timers/${handle}`), 400, 'INVALID_TIMER_HANDLE');
      expectError(await call('GET', `/timers/${handle}`), 400, 'INVALID_TIMER_HANDLE');
    }
    const noQueue = encodeTimerHandle({ topic, brokerName: 'broker-a', brokerId: 0, queueId: 7, timerId: 1 });
    expectError(await call('DELETE', `/timers/${noQueue}`), 404, 'TIMER_NOT_FOUND');
    const never = encodeTimerHandle({ topic, brokerName: 'broker-a', brokerId: 0, queueId: 0, timerId: 999 });
    expectError(await call('DELETE', `/timers/${never}`), 404, 'TIMER_NOT_FOUND');
    const noTopic = encodeTimerHandle({
      topic: uniqueName('Nope'),
      brokerName: 'broker-a',
      brokerId: 0,
      queueId: 0,
      timerId: 1,
    });
    expectError(await call('GET', `/timers/${noTopic}`), 404, 'TOPIC_NOT_EXIST');
    expectError(await call('GET', `/timers/${never}?bodyEncoding=hex`), 400, 'INVALID_REQUEST');
  });
});

describe('bad delays', () => {
  it.each([
    ['two delay fields', { body: 'a', delayLevel: 1, delayMs: 100 }],
    ['level 0', { body: 'a', delayLevel: 0 }],
    ['level 19', { body: 'a', delayLevel: 19 }],
    ['a fractional level', { body: 'a', delayLevel: 2.5 }],
    ['a level as a string', { body: 'a', delayLevel: '2' }],
    ['delayMs 0', { body: 'a', delayMs: 0 }],
    ['a fractional delayMs', { body: 'a', delayMs: 99.5 }],
    ['delayMs past the maximum', { body: 'a', delayMs: 259_200_001 }],
    ['deliverAt past the maximum', { body: 'a', deliverAt: Date.now() + 259_200_000 + HOUR }],
    ['deliverAt as a string', { body: 'a', deliverAt: 'tomorrow' }],
    ['a delay inside a batch message', { messages: [{ body: 'a', delayMs: 100 }] }],
  ])('refuses %s with 400 INVALID_DELAY and stores nothing', async (_what, body) => {
    const topic = await oneQueueTopic('BadDelay');
    expectError(await call('POST', `/topics/${topic}/messages`, body), 400, 'INVALID_DELAY');
    expectError(await call('POST', `/topics/${topic}/messages?oneway=true`, body), 400, 'INVALID_DELAY');
    expect(await queueStatus(topic)).toMatchObject({ maxOffset: 0, pendingTimers: 0 });
  });

  it('says the maximum when a delay is past it', async () => {
    const topic = await oneQueueTopic('BadDelayMax');
    const res = await call('POST', `/topics/${topic}/messages`, { body: 'a', delayMs: 259_200_001 });
    expectError(res, 400, 'INVALID_DELAY');
    expect(res.body.error.message).toContain('259200000 ms (3d, TIMER_MAX_DELAY_MS)');
    const level = await call('POST', `/topics/${topic}/messages`, { body: 'a', delayLevel: 19 });
    expect(level.body.error.message).toContain('from 1 to 18');
  });
});

describe('delayed messages across a restart', () => {
  it('keep their timers and alarm when the queue object restarts, and are delivered', async () => {
    const topic = await oneQueueTopic('DelayRestart');
    const sent = await send(topic, { body: 'survivor', delayMs: HOUR });
    await evictDurableObject(queueObject(topic, 'broker-a'));
    expect(await queueStatus(topic)).toMatchObject({ maxOffset: 0, pendingTimers: 1 });
    expect((await call('GET', `/timers/${sent.timerHandle}`)).body).toMatchObject({
      body: 'survivor',
      deliverAt: sent.deliverAt,
    });
    expect(await alarmOf(topic)).toBe(sent.deliverAt);

    await ageTimers(topic, 2 * HOUR);
    await evictDurableObject(queueObject(topic, 'broker-a'));
    expect(await runDurableObjectAlarm(queueObject(topic, 'broker-a'))).toBe(true);
    const got = await pull(topic, 'broker-a', 0, { offset: 0 });
    expect(got.messages.map((m: any) => [m.body, m.uniqueKey])).toEqual([['survivor', sent.uniqueKey]]);
  });

  it('are delivered by the alarm of an object that was evicted while waiting', async () => {
    const topic = await oneQueueTopic('DelayRestartLive');
    const sent = await send(topic, { body: 'woken', delayLevel: 4 });
    await evictDurableObject(queueObject(topic, 'broker-a'));
    const [m] = await waitForMessages(topic, 1);
    expect(m).toMatchObject({ body: 'woken', queueOffset: 0 });
    expect(m.storeTimestamp).toBeGreaterThanOrEqual(sent.deliverAt);
  });
});
