/**
 * NameServers that disagree (a broker group registered with one and not yet
 * with another): the consumer group's assignment must not flip from heartbeat
 * to heartbeat. The `workers` project has two NameServers; ns-1 is made to
 * forget broker-b's queues of the topic, as if broker-b's registration had
 * not reached it (its dataVersion is kept, so its next heartbeat does not
 * restore them while the test runs).
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, createTopic, uniqueName, served } from './helpers';

const HEARTBEATS = 24;

async function forgetOnNs1(topic: string, brokerName: string): Promise<void> {
  await runInDurableObject(env.NAME_SERVER.getByName('ns-1'), (_i, state) => {
    state.storage.sql.exec('DELETE FROM ns_queue_data WHERE topic = ? AND broker_name = ?', topic, brokerName);
  });
}

describe('NameServers that disagree', () => {
  it('NameServers that disagree on a topic’s brokers do not churn the group’s assignment from heartbeat to heartbeat', async () => {
    const topic = uniqueName('Disagree');
    const group = uniqueName('GID');
    await createTopic(topic, { queueNums: 2 });
    await forgetOnNs1(topic, 'broker-b');
    const ns0 = await served(env.NAME_SERVER.getByName('ns-0')).getRoute(topic);
    const ns1 = await served(env.NAME_SERVER.getByName('ns-1')).getRoute(topic);
    expect(ns0!.queueDatas.map((q) => q.brokerName)).toEqual(['broker-a', 'broker-b']);
    expect(ns1!.queueDatas.map((q) => q.brokerName)).toEqual(['broker-a']);

    const seen: { generation: number; queues: string }[] = [];
    for (let i = 0; i < HEARTBEATS; i++) {
      const res = await call('POST', `/groups/${group}/members/c1/heartbeat`, { subscriptions: [{ topic }] });
      expect(res.status).toBe(200);
      const queues = res.body.queues
        .filter((q: any) => q.topic === topic)
        .map((q: any) => `${q.brokerName}/${q.queueId}`);
      seen.push({ generation: res.body.generation, queues: queues.join(',') });
    }
    // Same membership, same routes on each NameServer: one assignment, one generation.
    expect(seen.map((s) => s.queues)).toEqual(seen.map(() => seen[0].queues));
    expect(seen.map((s) => s.generation)).toEqual(seen.map(() => seen[0].generation));
  });
});
