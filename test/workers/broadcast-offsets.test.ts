/**
 * Offsets of BROADCASTING instances (`group#instanceName` on each queue): kept
 * under the member's stable instance name, and expired by the queue's alarm
 * once older than BROADCAST_OFFSET_EXPIRY_MS (7 days by default) unless the
 * instance is a live member. Rows are aged by rewriting `mq_offset.updated_at`;
 * the runtime fires the alarm.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BROADCAST_OFFSET_EXPIRY_MS } from '../../src/core/config';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { call, createTopic, send, uniqueName, served, type Served } from './helpers';

const HOUR = 3_600_000;

const master = (topic: string): Served<MessageQueue> => served(env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`));

async function join(group: string, clientId: string, topic: string, instanceName: string): Promise<void> {
  const res = await call('POST', `/groups/${group}/members/${clientId}/heartbeat`, {
    subscriptions: [{ topic }],
    messageModel: 'BROADCASTING',
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    instanceName,
  });
  expect(res.status).toBe(200);
  expect(res.body.instanceName).toBe(instanceName);
}

const pull = (group: string, clientId: string, topic: string, query = '') =>
  call('GET', `/groups/${group}/members/${clientId}/queues/${topic}/broker-a/0/messages?waitMs=0${query}`);

describe('broadcasting offsets', () => {
  it('are kept per instance name: another process with the same instance name resumes from its commits', async () => {
    const topic = uniqueName('BcastKey');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    for (let i = 0; i < 4; i++) await send(topic, { body: `k${i}` });
    await join(group, 'proc-1', topic, 'host-1');
    expect((await pull(group, 'proc-1', topic, '&maxMessages=3')).body.messages).toHaveLength(3);
    expect(
      (
        await call('PUT', `/groups/${group}/members/proc-1/offsets`, {
          topic,
          offsets: [{ brokerName: 'broker-a', queueId: 0, offset: 3 }],
        })
      ).status,
    ).toBe(200);
    expect((await call('DELETE', `/groups/${group}/members/proc-1`)).status).toBe(200);

    // The restarted process has a new clientId and the same instance name.
    await join(group, 'proc-2', topic, 'host-1');
    const resumed = await pull(group, 'proc-2', topic);
    expect(resumed.body).toMatchObject({ offset: 3 });
    expect(resumed.body.messages.map((m: any) => m.body)).toEqual(['k3']);
    const status = await call('GET', `/groups/${group}`);
    expect(status.body.members).toEqual([expect.objectContaining({ clientId: 'proc-2', instanceName: 'host-1' })]);
  });

  it('offsets of a broadcasting instance gone for longer than BROADCAST_OFFSET_EXPIRY_MS expire from the queue’s alarm; a live instance’s stay', async () => {
    const topic = uniqueName('BcastExpiry');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    for (let i = 0; i < 3; i++) await send(topic, { body: `e${i}` });
    await join(group, 'gone-1', topic, 'host-gone');
    await join(group, 'live-1', topic, 'host-live');
    for (const clientId of ['gone-1', 'live-1'])
      expect((await pull(group, clientId, topic, '&commitOffset=0')).body.messages).toHaveLength(3);
    expect((await call('DELETE', `/groups/${group}/members/gone-1`)).status).toBe(200);

    const stub = master(topic);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(
        "UPDATE mq_offset SET updated_at = updated_at - ? WHERE instr(grp, '#') > 0",
        DEFAULT_BROADCAST_OFFSET_EXPIRY_MS + HOUR,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await stub.getOffset(`${group}#host-gone`)).toMatchObject({ offset: -1 });
    const live = await stub.getOffset(`${group}#host-live`);
    expect(live.offset).toBe(0);
    expect(live.updatedAt).toBeGreaterThan(Date.now() - HOUR); // seen live: its next check is one expiry age away
    // The alarm stays armed for the live instance's row.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
  });
});
