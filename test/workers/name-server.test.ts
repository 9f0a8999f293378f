import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { BrokerRegistration } from '../../src/durable-objects/broker';
import type { NameServer } from '../../src/durable-objects/name-server';
import { served, uniqueName } from './helpers';

function registration(
  brokerName: string,
  brokerId: number,
  topics: BrokerRegistration['topics'],
  dataVersion = '1',
): BrokerRegistration {
  return {
    clusterName: 'TestCluster',
    brokerName,
    brokerId,
    brokerRole: brokerId === 0 ? 'SYNC_MASTER' : 'SLAVE',
    flushDiskType: 'SYNC_FLUSH',
    region: 'weur',
    dataVersion,
    topics,
  };
}

const topicT = (readQueueNums = 4, writeQueueNums = 4) => [{ topic: 'T', readQueueNums, writeQueueNums, perm: 6 }];

/** Makes a broker look silent for `ms`, as if its last registration was that long ago. */
async function age(ns: DurableObjectStub<NameServer>, brokerName: string, ms: number): Promise<void> {
  await runInDurableObject(ns, (_instance, state) => {
    state.storage.sql.exec('UPDATE ns_broker SET last_update = last_update - ? WHERE broker_name = ?', ms, brokerName);
  });
}

describe('NameServer', () => {
  it('builds a route from master registrations', async () => {
    const ns = served(env.NAME_SERVER.getByName(uniqueName('ns')));
    await ns.registerBroker(registration('b1', 0, topicT(4, 2)));
    await ns.registerBroker(registration('b2', 0, topicT(8, 8)));
    await ns.registerBroker(
      registration('b1', 1, [{ topic: 'Ignored', readQueueNums: 1, writeQueueNums: 1, perm: 6 }]),
    );
    const route = await ns.getRoute('T');
    expect(route?.queueDatas).toEqual([
      { brokerName: 'b1', readQueueNums: 4, writeQueueNums: 2, perm: 6 },
      { brokerName: 'b2', readQueueNums: 8, writeQueueNums: 8, perm: 6 },
    ]);
    expect(
      route?.brokerDatas.map((b) => [b.brokerName, b.brokers.map((x) => [x.brokerId, x.brokerRole, x.region])]),
    ).toEqual([
      [
        'b1',
        [
          [0, 'SYNC_MASTER', 'weur'],
          [1, 'SLAVE', 'weur'],
        ],
      ],
      ['b2', [[0, 'SYNC_MASTER', 'weur']]],
    ]);
    expect(await ns.getRoute('Ignored')).toBeNull();
    expect(await ns.listTopics()).toEqual(['T']);
    const info = await ns.getClusterInfo();
    expect(info.clusters).toEqual([{ clusterName: 'TestCluster', brokerNames: ['b1', 'b2'] }]);
  });

  it('replaces a group’s queue data only when its dataVersion changes', async () => {
    const ns = served(env.NAME_SERVER.getByName(uniqueName('ns')));
    expect(await ns.registerBroker(registration('b1', 0, topicT(), 'v1'))).toEqual({ dataVersionChanged: true });
    expect(await ns.registerBroker(registration('b1', 0, topicT(), 'v1'))).toEqual({ dataVersionChanged: false });
    await ns.registerBroker(
      registration('b1', 0, [{ topic: 'U', readQueueNums: 1, writeQueueNums: 1, perm: 6 }], 'v2'),
    );
    expect(await ns.getRoute('T')).toBeNull();
    expect((await ns.getRoute('U'))?.queueDatas).toHaveLength(1);
  });

  it('drops a broker silent for 120 s from its alarm, and the routes of a group left with no broker', async () => {
    const ns = served(env.NAME_SERVER.getByName(uniqueName('ns')));
    await ns.registerBroker(registration('b1', 0, topicT()));
    await ns.registerBroker(registration('b2', 0, topicT()));
    await age(ns, 'b2', 119_000);
    expect(await runDurableObjectAlarm(ns)).toBe(true);
    expect((await ns.getRoute('T'))?.queueDatas.map((q) => q.brokerName)).toEqual(['b1', 'b2']);
    await age(ns, 'b2', 2_000);
    expect(await runDurableObjectAlarm(ns)).toBe(true);
    const route = await ns.getRoute('T');
    expect(route?.queueDatas.map((q) => q.brokerName)).toEqual(['b1']);
    expect(route?.brokerDatas.map((b) => b.brokerName)).toEqual(['b1']);
    await age(ns, 'b1', 121_000);
    await runDurableObjectAlarm(ns);
    expect(await ns.getRoute('T')).toBeNull();
    expect(await ns.listTopics()).toEqual([]);
    expect((await ns.getClusterInfo()).brokerDatas).toEqual([]);
  });

  it('keeps a group’s queue data while a slave is alive, without a writable master', async () => {
    const ns = served(env.NAME_SERVER.getByName(uniqueName('ns')));
    await ns.registerBroker(registration('b1', 0, topicT()));
    await ns.registerBroker(registration('b1', 1, []));
    await runInDurableObject(ns, (_i, state) => {
      state.storage.sql.exec('UPDATE ns_broker SET last_update = last_update - 121000 WHERE broker_id = 0');
    });
    await runDurableObjectAlarm(ns);
    const route = await ns.getRoute('T');
    expect(route?.queueDatas.map((q) => q.brokerName)).toEqual(['b1']);
    expect(route?.brokerDatas[0].brokers.map((b) => b.brokerId)).toEqual([1]);
  });

  it('re-arms its scan while brokers remain and stops when none is left', async () => {
    const ns = served(env.NAME_SERVER.getByName(uniqueName('ns')));
    await ns.registerBroker(registration('b1', 0, topicT()));
    const alarmAt = () => runInDurableObject(ns, (_i, state) => state.storage.getAlarm());
    expect(await alarmAt()).not.toBeNull();
    await runDurableObjectAlarm(ns);
    expect(await alarmAt()).not.toBeNull();
    await age(ns, 'b1', 200_000);
    await runDurableObjectAlarm(ns);
    expect(await alarmAt()).toBeNull();
  });

  it('unregisters a broker at once', async () => {
    const ns = served(env.NAME_SERVER.getByName(uniqueName('ns')));
    await ns.registerBroker(registration('b1', 0, topicT()));
    expect(await ns.unregisterBroker('b1', 0)).toBe(true);
    expect(await ns.getRoute('T')).toBeNull();
    expect(await ns.unregisterBroker('b1', 0)).toBe(false);
  });
});
