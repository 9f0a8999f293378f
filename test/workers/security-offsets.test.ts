/**
 * Issue 12, suspicion: `PUT /groups/{g}/offsets` lets a SUB holder move a
 * group's offsets. Ruled out as a hole: it needs SUB on the group AND on the
 * topic, as RocketMQ's UPDATE_CONSUMER_OFFSET does (PlainAccessResource.parse:
 * the group's retry topic SUB and the topic SUB); an account with both can
 * read and skip those messages anyway. Resets and skips by time stay admin's.
 */
import { describe, expect, it } from 'vitest';
import { signedCall, type TestAccount } from './security-helpers';
import { createTopic, send, uniqueName } from './helpers';

const TOPIC = uniqueName('OffT');
const GROUP = uniqueName('GID_off');
const ACCOUNTS: TestAccount[] = [
  { accessKey: 'groupOnly', secretKey: 's1', groupPerms: [`${GROUP}=SUB`] },
  { accessKey: 'topicOnly', secretKey: 's2', topicPerms: [`${TOPIC}=SUB`] },
  { accessKey: 'member', secretKey: 's3', topicPerms: [`${TOPIC}=SUB`], groupPerms: [`${GROUP}=SUB`] },
];
const commit = (as: string, offset: number) =>
  signedCall(ACCOUNTS, as, 'PUT', `/groups/${GROUP}/offsets`, {
    topic: TOPIC,
    brokerName: 'broker-a',
    queueId: 0,
    offset,
  });

describe("committing a group's offsets", () => {
  it('needs SUB on both the group and the topic; with both, the offset may move either way within the queue', async () => {
    await createTopic(TOPIC, { readQueueNums: 1, writeQueueNums: 1, brokerNames: ['broker-a'] });
    for (let i = 0; i < 3; i++) await send(TOPIC, { body: `m${i}` });
    const byGroupOnly = await commit('groupOnly', 3);
    expect({ status: byGroupOnly.status, code: byGroupOnly.body?.error?.code }).toEqual({
      status: 403,
      code: 'ACCESS_DENIED',
    });
    const byTopicOnly = await commit('topicOnly', 3);
    expect({ status: byTopicOnly.status, code: byTopicOnly.body?.error?.code }).toEqual({
      status: 403,
      code: 'ACCESS_DENIED',
    });
    expect((await commit('member', 3)).status).toBe(200);
    expect((await commit('member', 1)).status).toBe(200);
    const read = await signedCall(ACCOUNTS, 'member', 'GET', `/groups/${GROUP}/offsets?topic=${TOPIC}`);
    expect(read.body.offsets.find((q: { brokerName: string }) => q.brokerName === 'broker-a').offset).toBe(1);
    const past = await commit('member', 99);
    expect({ status: past.status, code: past.body?.error?.code }).toEqual({ status: 400, code: 'OFFSET_OUT_OF_RANGE' });
    // Resetting by time is administration.
    const reset = await signedCall(ACCOUNTS, 'member', 'POST', `/groups/${GROUP}/offsets/reset`, {
      topic: TOPIC,
      timestamp: 0,
    });
    expect({ status: reset.status, code: reset.body?.error?.code }).toEqual({ status: 403, code: 'ADMIN_REQUIRED' });
  });
});
