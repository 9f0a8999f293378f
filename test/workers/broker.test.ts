import { env } from 'cloudflare:workers';
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { forgetRoute } from '../../src/services/cluster';
import { call, createTopic, send, served, uniqueName } from './helpers';

const brokerB = () => env.BROKER.getByName('broker-b/0');
const nameServers = () => [env.NAME_SERVER.getByName('ns-0'), env.NAME_SERVER.getByName('ns-1')];

async function silence(brokerName: string, ms: number): Promise<void> {
  for (const ns of nameServers()) {
    await runInDurableObject(ns, (_i, state) => {
      state.storage.sql.exec(
        'UPDATE ns_broker SET last_update = last_update - ? WHERE broker_name = ?',
        ms,
        brokerName,
      );
    });
    await runDurableObjectAlarm(ns);
  }
}

describe('brokers', () => {
  it('register with every NameServer on the first request, with no manual step', async () => {
    const res = await call('GET', '/cluster');
    expect(res.status).toBe(200);
    expect(res.body.clusterName).toBe('DefaultCluster');
    expect(res.body.clusters).toEqual([{ clusterName: 'DefaultCluster', brokerNames: ['broker-a', 'broker-b'] }]);
    for (const ns of nameServers()) {
      expect((await served(ns).getClusterInfo()).brokerDatas.map((b) => b.brokerName)).toEqual([
        'broker-a',
        'broker-b',
      ]);
    }
    const brokers = await call('GET', '/brokers');
    expect(
      brokers.body.brokers.map((b: any) => [
        b.config.brokerName,
        b.config.brokerId,
        b.nameServersReached,
        b.nameServerCount,
      ]),
    ).toEqual([
      ['broker-a', 0, 2, 2],
      ['broker-b', 0, 2, 2],
    ]);
    for (const b of brokers.body.brokers) expect(b.lastRegistrationTimestamp).toBeGreaterThan(0);
  });

  it('heartbeat from the alarm every 30 s, re-arming it each time', async () => {
    await call('GET', '/cluster');
    const alarmAt = () => runInDurableObject(brokerB(), (_i, state) => state.storage.getAlarm());
    const armed = await alarmAt();
    expect(armed).not.toBeNull();
    await silence('broker-b', 60_000);
    const before = (await served(nameServers()[0]).getClusterInfo()).brokerDatas.find(
      (b) => b.brokerName === 'broker-b',
    )!.brokers[0].lastUpdateTimestamp;
    expect(await runDurableObjectAlarm(brokerB())).toBe(true);
    const after = (await served(nameServers()[0]).getClusterInfo()).brokerDatas.find(
      (b) => b.brokerName === 'broker-b',
    )!.brokers[0].lastUpdateTimestamp;
    expect(after).toBeGreaterThan(before);
    expect(await alarmAt()).not.toBeNull();
  });

  it('a group silent for 120 s leaves the routes; sends go to the others; its heartbeat brings it back', async () => {
    const topic = uniqueName('Dropped');
    await createTopic(topic, { queueNums: 2 });
    await silence('broker-b', 121_000);
    const route = await call('GET', `/topics/${topic}/route`);
    expect(route.body.queueDatas.map((q: any) => q.brokerName)).toEqual(['broker-a']);
    expect(route.body.brokerDatas.map((b: any) => b.brokerName)).toEqual(['broker-a']);
    forgetRoute(topic);
    for (let i = 0; i < 6; i++) expect((await send(topic, { body: `${i}` })).brokerName).toBe('broker-a');
    expect(await runDurableObjectAlarm(brokerB())).toBe(true);
    const back = await call('GET', `/topics/${topic}/route`);
    expect(back.body.queueDatas.map((q: any) => q.brokerName)).toEqual(['broker-a', 'broker-b']);
  });

  it('keep their topic config and heartbeat across a restart', async () => {
    const topic = uniqueName('Restart');
    await createTopic(topic, { queueNums: 3, brokerNames: ['broker-b'] });
    const sent = await send(topic, { body: 'survives' });
    await evictDurableObject(brokerB());
    await evictDurableObject(env.MESSAGE_QUEUE.getByName(`${topic}/broker-b/${sent.queueId}/0`));
    for (const ns of nameServers()) await evictDurableObject(ns).catch(() => undefined);
    expect(await served(brokerB()).getTopic(topic)).toEqual({ topic, readQueueNums: 3, writeQueueNums: 3, perm: 6 });
    expect(await runInDurableObject(brokerB(), (_i, state) => state.storage.getAlarm())).not.toBeNull();
    const got = await call('GET', `/messages/${sent.msgId}`);
    expect(got.body.body).toBe('survives');
    const next = await send(topic, { body: 'after', queue: { brokerName: 'broker-b', queueId: sent.queueId } });
    expect(next.queueOffset).toBe(sent.queueOffset + 1);
  });

  it('start is idempotent and does not re-register within 30 s', async () => {
    await call('GET', '/cluster');
    const first = await served(brokerB()).status();
    const again = await served(brokerB()).start('broker-b', 0);
    expect(again.lastRegistrationTimestamp).toBe(first.lastRegistrationTimestamp);
    expect(again.dataVersion).toBe(first.dataVersion);
  });
});
