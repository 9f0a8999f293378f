/**
 * Issue 12, item 2: routes that take a message id (or a handle that names a
 * topic) need SUB on the topic the id names, not only on the group of the path.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMessageId } from '../../src/core/msg-id';
import { encodeReceiptHandle } from '../../src/core/receipt-handle';
import { signedCall, type TestAccount } from './security-helpers';
import { call, createTopic, send, uniqueName } from './helpers';

const SECRET = uniqueName('Secret');
const OWN_GROUP = uniqueName('GID_snoop');
const ACCOUNTS: TestAccount[] = [
  { accessKey: 'admin', secretKey: 'admin-secret', admin: true },
  // SUB on its own group only: no permission on any topic but its group's retry and DLQ topics.
  { accessKey: 'snoop', secretKey: 'snoop-secret', groupPerms: [`${OWN_GROUP}=SUB`] },
];
const as = (who: string, method: string, path: string, body?: unknown) => signedCall(ACCOUNTS, who, method, path, body);

async function secretMessage(
  body: string,
): Promise<{ msgId: string; brokerName: string; queueId: number; queueOffset: number }> {
  await createTopic(SECRET, { readQueueNums: 1, writeQueueNums: 1 }).catch(() => undefined);
  return send(SECRET, { body });
}

describe('routes that take a message id need SUB on its topic', () => {
  beforeAll(async () => {
    expect((await call('PUT', `/groups/${OWN_GROUP}`, { maxReconsumeTimes: 3 })).status).toBe(200);
  });

  it('an account with SUB on its own group only forges an id on a secret topic, retries it to the DLQ of its group, and cannot read it there', async () => {
    const sent = await secretMessage('the payroll');
    // Forged: ids are self-locating, so knowing the topic and a queue is enough.
    const forged = encodeMessageId({
      topic: SECRET,
      brokerName: sent.brokerName,
      brokerId: 0,
      queueId: sent.queueId,
      queueOffset: sent.queueOffset,
    });
    const retried = await as('snoop', 'POST', `/groups/${OWN_GROUP}/retry`, { msgId: forged, delayLevel: -1 });
    expect({ status: retried.status, code: retried.body?.error?.code }).toEqual({ status: 403, code: 'ACCESS_DENIED' });
    expect(retried.body.error.message).toContain(SECRET);
    const dlq = await as('snoop', 'GET', `/groups/${OWN_GROUP}/dlq`);
    expect(dlq.status).toBe(200);
    expect(dlq.body.messages.map((m: { body: string }) => m.body)).not.toContain('the payroll');
  });

  it("the consumer's copy cannot carry a forged id either (the id's topic is checked whatever the copy)", async () => {
    const sent = await secretMessage('copy target');
    const forged = encodeMessageId({
      topic: SECRET,
      brokerName: sent.brokerName,
      brokerId: 0,
      queueId: sent.queueId,
      queueOffset: 999_999,
    });
    const retried = await as('snoop', 'POST', `/groups/${OWN_GROUP}/retry`, {
      msgId: forged,
      delayLevel: 1,
      message: { body: 'planted' },
    });
    expect({ status: retried.status, code: retried.body?.error?.code }).toEqual({ status: 403, code: 'ACCESS_DENIED' });
  });

  it('reading a message by id needs SUB on its topic', async () => {
    const sent = await secretMessage('by id');
    const read = await as('snoop', 'GET', `/messages/${sent.msgId}`);
    expect({ status: read.status, code: read.body?.error?.code }).toEqual({ status: 403, code: 'ACCESS_DENIED' });
    expect((await as('admin', 'GET', `/messages/${sent.msgId}`)).body.body).toBe('by id');
  });

  it('acking and changing invisibility need SUB on the topic the receipt handle names', async () => {
    const sent = await secretMessage('popped elsewhere');
    const handle = encodeReceiptHandle({
      topic: SECRET,
      brokerName: sent.brokerName,
      brokerId: 0,
      queueId: sent.queueId,
      group: OWN_GROUP,
      queueOffset: sent.queueOffset,
      handleSeq: 1,
    });
    const acked = await as('snoop', 'POST', `/groups/${OWN_GROUP}/ack`, { receiptHandles: [handle] });
    expect({ status: acked.status, code: acked.body?.error?.code }).toEqual({ status: 403, code: 'ACCESS_DENIED' });
    const hidden = await as('snoop', 'POST', `/groups/${OWN_GROUP}/invisible`, {
      receiptHandle: handle,
      invisibleMs: 60_000,
    });
    expect({ status: hidden.status, code: hidden.body?.error?.code }).toEqual({ status: 403, code: 'ACCESS_DENIED' });
  });

  it('still serves its own group: a retry of a message of its retry topic, and a malformed id answered by the route', async () => {
    const group = OWN_GROUP;
    const topic = uniqueName('Own');
    await createTopic(topic, { readQueueNums: 1, writeQueueNums: 1 });
    const sent = await send(topic, { body: 'mine' });
    // First send-back by the development-mode server (no ACL), then the account retries the copy in its retry topic.
    const first = await call('POST', `/groups/${group}/retry`, { msgId: sent.msgId, delayLevel: -1 });
    expect(first.status).toBe(200);
    const dlqId = encodeMessageId({
      topic: first.body.topic,
      brokerName: first.body.result.brokerName,
      brokerId: 0,
      queueId: first.body.result.queueId,
      queueOffset: first.body.result.queueOffset,
    });
    const again = await as('snoop', 'POST', `/groups/${group}/retry`, { msgId: dlqId, delayLevel: -1 });
    expect(again.status).toBe(200);
    const malformed = await as('snoop', 'POST', `/groups/${group}/retry`, { msgId: 'not-an-id' });
    expect({ status: malformed.status, code: malformed.body?.error?.code }).toEqual({
      status: 400,
      code: 'INVALID_MESSAGE_ID',
    });
  });
});
