/**
 * The consumer-group routes read their requests with their declared schemas
 * (src/workers/api/group-models.ts, routes/groups.ts, members.ts, offsets.ts,
 * dead-letters.ts): each refusal keeps the specific code it had when the
 * checks were written by hand, and its message names the field to fix.
 */
import { describe, expect, it } from 'vitest';
import { call, createTopic, expectError, uniqueName } from './helpers';

/** The refusal's code and status, and a message that names `field`. */
function refused(res: { status: number; body: any }, status: number, code: string, field: string): void {
  expectError(res, status, code);
  expect(res.body.error.message).toContain(field);
}

async function member(prefix: string) {
  const topic = uniqueName(prefix);
  const group = uniqueName('GID');
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  const beat = await call('POST', `/groups/${group}/members/c1/heartbeat`, { subscriptions: [{ topic }] });
  expect(beat.status).toBe(200);
  return { topic, group };
}

describe('consumer-group requests', { timeout: 30_000 }, () => {
  it('refuses a commit body by the field that is wrong', async () => {
    const { topic, group } = await member('CommitShape');
    for (const path of [`/groups/${group}/offsets`, `/groups/${group}/members/c1/offsets`]) {
      refused(await call('PUT', path, { topic, brokerName: 'broker-a', queueId: 0 }), 400, 'INVALID_OFFSET', 'offset');
      refused(await call('PUT', path, { topic, queueId: 0, offset: 0 }), 400, 'INVALID_BROKER_NAME', 'brokerName');
      refused(await call('PUT', path, { topic, brokerName: 'broker-a', offset: 0 }), 400, 'INVALID_REQUEST', 'queueId');
      refused(
        await call('PUT', path, { topic, brokerName: 'broker-a', queueId: 256, offset: 0 }),
        400,
        'INVALID_REQUEST',
        'queueId',
      );
      refused(await call('PUT', path, { topic, offsets: [] }), 400, 'INVALID_REQUEST', 'offsets');
      const twice = { brokerName: 'broker-a', queueId: 0, offset: 0 };
      refused(await call('PUT', path, { topic, offsets: [twice, twice] }), 400, 'INVALID_REQUEST', 'twice');
      refused(
        await call('PUT', path, { topic, offsets: [twice, { ...twice, queueId: 1, offset: -1 }] }),
        400,
        'INVALID_OFFSET',
        'offsets[1].offset',
      );
      refused(await call('PUT', path, [twice]), 400, 'INVALID_REQUEST', 'JSON object');
    }
    refused(
      await call('PUT', `/groups/${group}/members/c1/offsets`, {
        topic,
        brokerName: 'broker-a',
        queueId: 0,
        offset: 0,
        generation: -1,
      }),
      400,
      'INVALID_REQUEST',
      'generation',
    );
    // One queue or several, the same commit is stored.
    expect(
      (
        await call('PUT', `/groups/${group}/members/c1/offsets`, {
          topic,
          offsets: [{ brokerName: 'broker-a', queueId: 0, offset: 0 }],
        })
      ).status,
    ).toBe(200);
  });

  it("refuses a member pull's start by its parameter", async () => {
    const { topic, group } = await member('PullStart');
    const pull = (query: string) =>
      call('GET', `/groups/${group}/members/c1/queues/${topic}/broker-a/0/messages?${query}`);
    refused(await pull('offset=x'), 400, 'INVALID_OFFSET', 'offset');
    refused(await pull('commitOffset=-1'), 400, 'INVALID_OFFSET', 'commitOffset');
    refused(await pull('commitOffset=0&generation=-1'), 400, 'INVALID_REQUEST', 'generation');
    refused(await pull('maxMessages=0'), 400, 'INVALID_REQUEST', 'maxMessages');
    refused(await pull('bodyEncoding=hex'), 400, 'INVALID_REQUEST', 'bodyEncoding');
    refused(
      await call('GET', `/groups/${group}/members/c1/queues/${topic}/broker-a/x/messages`),
      400,
      'INVALID_REQUEST',
      'queueId',
    );
    expect((await pull('offset=0&commitOffset=0')).status).toBe(200);
  });

  it('refuses heartbeats, config and leaves by the field that is wrong, and keeps absent config fields absent', async () => {
    const { topic, group } = await member('Beat');
    const beat = (body: unknown) => call('POST', `/groups/${group}/members/c1/heartbeat`, body);
    refused(await beat({ subscriptions: [{ topic, expression: 5 }] }), 400, 'INVALID_TAG_EXPRESSION', 'expression');
    refused(await beat({ subscriptions: { topic } }), 400, 'INVALID_REQUEST', 'subscriptions');
    refused(await beat({ subscriptions: [], instanceName: 'bad id!' }), 400, 'INVALID_REQUEST', 'instanceName');
    refused(await call('PUT', `/groups/${group}`, { consumeOrderly: 'yes' }), 400, 'INVALID_REQUEST', 'consumeOrderly');
    refused(
      await call('PUT', `/groups/${group}`, { maxReconsumeTimes: 101 }),
      400,
      'INVALID_REQUEST',
      'maxReconsumeTimes',
    );
    refused(await call('PUT', `/groups/${group}`, { messageModel: null }), 400, 'INVALID_REQUEST', 'messageModel');
    refused(
      await call('DELETE', `/groups/${group}/members/c1?releaseLocks=maybe`),
      400,
      'INVALID_REQUEST',
      'releaseLocks',
    );
    // A config change, then a heartbeat that names no config field: nothing conflicts, the config stays.
    expect((await call('PUT', `/groups/${group}`, { maxReconsumeTimes: 3 })).status).toBe(200);
    const again = await beat({ subscriptions: [{ topic }], instanceName: null });
    expect(again.status).toBe(200);
    expect(again.body.maxReconsumeTimes).toBe(3);
    expect((await call('PUT', `/groups/${group}`)).body.config.maxReconsumeTimes).toBe(3);
  });

  it('refuses retries, resets and dead-letter reads by the field that is wrong', async () => {
    const { topic, group } = await member('RetryShape');
    const sent = (await call('POST', `/topics/${topic}/messages`, { body: 'x' })).body;
    refused(
      await call('POST', `/groups/${group}/retry`, { msgId: sent.msgId, delayLevel: 1.5 }),
      400,
      'INVALID_REQUEST',
      'delayLevel',
    );
    refused(
      await call('POST', `/groups/${group}/retry`, { msgId: sent.msgId, delayLevel: -2 }),
      400,
      'INVALID_REQUEST',
      'delayLevel',
    );
    refused(await call('POST', `/groups/${group}/retry`, { msgId: 7 }), 400, 'INVALID_REQUEST', 'msgId');
    refused(
      await call('POST', `/groups/${group}/offsets/reset`, { topic, timestamp: 'soon' }),
      400,
      'INVALID_REQUEST',
      'timestamp',
    );
    refused(await call('POST', `/groups/${group}/offsets/skip`, {}), 400, 'INVALID_TOPIC_NAME', 'topic');
    refused(await call('GET', `/groups/${group}/dlq?maxMessages=0`), 400, 'INVALID_REQUEST', 'maxMessages');
    // A time as a string of digits is a time.
    expect(
      (await call('POST', `/groups/${group}/offsets/reset`, { topic, timestamp: String(Date.now()) })).status,
    ).toBe(200);
  });
});
