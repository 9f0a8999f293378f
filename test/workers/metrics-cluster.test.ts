/**
 * /metrics holds the cluster's figures, read from the objects: named and
 * labelled as Apache RocketMQ's exporter names them (so that its Grafana
 * dashboard reads them), per-group lag that agrees with the lag route, and
 * the same numbers whichever isolate answers.
 */
import { env, exports } from 'cloudflare:workers';
import type { PrometheusFamily } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { call, createTopic, send, uniqueName } from './helpers';
import { strictParse } from './prometheus';

/**
 * The label names of each family as apache/rocketmq-exporter declares them
 * (RMQMetricsCollector: GROUP_DIFF_LABEL_NAMES, TOPIC_OFFSET_LABEL_NAMES,
 * DLQ_TOPIC_OFFSET_LABEL_NAMES, TOPIC_NUMS_LABEL_NAMES, GROUP_NUMS_LABEL_NAMES,
 * BROKER_NUMS_LABEL_NAMES; rocketmq_consumer_tps is its GroupGetNums, in collectGroupNums).
 */
const EXPORTER_LABELS: Record<string, string[]> = {
  rocketmq_group_diff: ['group', 'topic', 'countOfOnlineConsumers', 'msgModel'],
  rocketmq_group_retrydiff: ['group', 'topic', 'countOfOnlineConsumers', 'msgModel'],
  rocketmq_group_dlqdiff: ['group', 'topic', 'countOfOnlineConsumers', 'msgModel'],
  rocketmq_producer_offset: ['cluster', 'broker', 'topic'],
  rocketmq_topic_retry_offset: ['cluster', 'broker', 'topic'],
  rocketmq_topic_dlq_offset: ['cluster', 'broker', 'group'],
  rocketmq_producer_tps: ['cluster', 'broker', 'topic'],
  rocketmq_consumer_offset: ['cluster', 'broker', 'topic', 'group'],
  rocketmq_consumer_tps: ['cluster', 'broker', 'topic', 'group'],
  rocketmq_broker_tps: ['cluster', 'brokerIP', 'broker'],
  rocketmq_broker_qps: ['cluster', 'brokerIP', 'broker'],
  rocketmq_broker_commitlog_diff: ['cluster', 'brokerIP', 'broker'],
};

async function scrape(): Promise<Map<string, PrometheusFamily>> {
  const { resetMetricsCache } = await import('../../src/workers/metrics');
  resetMetricsCache();
  const res = await exports.default.fetch(new Request('http://flaremq.test/metrics'));
  expect(res.status).toBe(200);
  return strictParse(await res.text());
}

/** The samples of `name` whose labels include `labels`. */
const samples = (f: Map<string, PrometheusFamily>, name: string, labels: Record<string, string>) =>
  (f.get(name)?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
const total = (f: Map<string, PrometheusFamily>, name: string, labels: Record<string, string>) =>
  samples(f, name, labels).reduce((n, m) => n + Number(m.value), 0);

const memberPull = (group: string, q: { topic: string; brokerName?: string; queueId: number }, query: string) =>
  call(
    'GET',
    `/groups/${group}/members/c1/queues/${encodeURIComponent(q.topic)}/${q.brokerName ?? 'broker-a'}/${q.queueId}/messages?${query}`,
  );

/**
 * A topic of two queues with 3 + 2 messages; a group that consumed 2 of queue 0, sent one message back
 * (delivered to its retry topic, not consumed yet) and one to its DLQ.
 */
async function partlyConsumed() {
  const topic = uniqueName('Cluster');
  const group = uniqueName('GID_cluster');
  await createTopic(topic, { queueNums: 2, brokerNames: ['broker-a'] });
  const sent = [];
  for (const [queueId, body] of [
    [0, 'a'],
    [0, 'b'],
    [0, 'c'],
    [1, 'd'],
    [1, 'e'],
  ] as const)
    sent.push(await send(topic, { body, queue: { brokerName: 'broker-a', queueId } }));
  const joined = await call('POST', `/groups/${group}/members/c1/heartbeat`, {
    subscriptions: [{ topic, expression: '*' }],
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  const pulled = await memberPull(group, { topic, queueId: 0 }, 'offset=0&maxMessages=2');
  expect(pulled.body.messages).toHaveLength(2);
  expect((await memberPull(group, { topic, queueId: 0 }, 'commitOffset=2')).status).toBe(200);
  const back = await call('POST', `/groups/${group}/retry`, { msgId: sent[3].msgId });
  expect(back.body.status).toBe('RETRY');
  const dead = await call('POST', `/groups/${group}/retry`, { msgId: sent[4].msgId, delayLevel: -1 });
  expect(dead.body.status).toBe('DLQ');
  // The retry is delayed (200 ms steps under test): long-poll its queue until it is there, without committing.
  await call('POST', `/groups/${group}/members/c1/heartbeat`, { subscriptions: [{ topic, expression: '*' }] });
  const retryQueue = {
    topic: back.body.topic,
    brokerName: back.body.result.brokerName,
    queueId: back.body.result.queueId,
  };
  let got = await memberPull(group, retryQueue, 'offset=0&waitMs=10000');
  while (got.body.messages.length === 0)
    got = await memberPull(group, retryQueue, `offset=${got.body.nextBeginOffset}&waitMs=10000`);
  return { topic, group };
}

describe('/metrics, the cluster’s figures', { timeout: 60_000 }, () => {
  it('names and labels them as rocketmq-exporter does, and its per-group lag agrees with the lag route', async () => {
    const { topic, group } = await partlyConsumed();
    const f = await scrape();
    for (const [name, labels] of Object.entries(EXPORTER_LABELS)) {
      const family = f.get(name);
      expect(family?.type, name).toBe('GAUGE');
      for (const m of family!.metrics) expect(Object.keys(m.labels ?? {}).sort(), name).toEqual([...labels].sort());
    }
    const cluster = 'DefaultCluster';
    expect(samples(f, 'rocketmq_producer_offset', { topic })).toEqual([
      { labels: { cluster, broker: 'broker-a', topic }, value: '5' },
    ]);
    expect(samples(f, 'rocketmq_group_diff', { group })).toEqual([
      { labels: { group, topic, countOfOnlineConsumers: '1', msgModel: '1' }, value: '3' },
    ]);
    expect(samples(f, 'rocketmq_group_retrydiff', { group })).toEqual([
      { labels: { group, topic: `%RETRY%${group}`, countOfOnlineConsumers: '1', msgModel: '1' }, value: '1' },
    ]);
    expect(samples(f, 'rocketmq_group_dlqdiff', { group })).toEqual([
      { labels: { group, topic: `%DLQ%${group}`, countOfOnlineConsumers: '1', msgModel: '1' }, value: '1' },
    ]);
    expect(total(f, 'rocketmq_consumer_offset', { topic, group })).toBe(2);
    expect(total(f, 'rocketmq_topic_retry_offset', { topic: `%RETRY%${group}` })).toBe(1);
    expect(total(f, 'rocketmq_topic_dlq_offset', { group })).toBe(1);
    expect(samples(f, 'rocketmq_broker_tps', { broker: 'broker-a' })).toHaveLength(1);
    expect(samples(f, 'rocketmq_broker_tps', { broker: 'broker-a' })[0]!.labels).toEqual({
      cluster,
      brokerIP: 'broker-a/0',
      broker: 'broker-a',
    });

    // The lag route's numbers, per topic and in total.
    const lag = await call('GET', `/groups/${group}/lag`);
    expect(lag.status).toBe(200);
    const routeLag = (t: string) =>
      lag.body.queues.filter((q: any) => q.topic === t).reduce((n: number, q: any) => n + q.lag, 0);
    expect(total(f, 'rocketmq_group_diff', { group, topic })).toBe(routeLag(topic));
    expect(total(f, 'rocketmq_group_retrydiff', { group })).toBe(routeLag(`%RETRY%${group}`));
    expect(total(f, 'rocketmq_group_diff', { group }) + total(f, 'rocketmq_group_retrydiff', { group })).toBe(
      lag.body.totalLag,
    );
    expect(total(f, 'flaremq_group_lag', { group })).toBe(lag.body.totalLag);
    // rocketmq-exporter's dashboard computes accumulation as producer offset - consumer offset: the same diff.
    expect(
      total(f, 'rocketmq_producer_offset', { topic }) - total(f, 'rocketmq_consumer_offset', { topic, group }),
    ).toBe(routeLag(topic));
  });

  it("counts a group's consumption per topic and broker in rocketmq_consumer_tps, as its stats route does", async () => {
    const topic = uniqueName('ConsumerTps');
    const group = uniqueName('GID_tps');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a', 'broker-b'] });
    const consumed = { 'broker-a': 3, 'broker-b': 2 };
    for (const [brokerName, n] of Object.entries(consumed))
      for (let i = 0; i < n; i++) await send(topic, { body: `${brokerName}-${i}`, queue: { brokerName, queueId: 0 } });
    const joined = await call('POST', `/groups/${group}/members/c1/heartbeat`, {
      subscriptions: [{ topic, expression: '*' }],
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    // The member's first pull (from its stored offset) stores where it starts (0); its commit moves over every message.
    for (const [brokerName, n] of Object.entries(consumed)) {
      const q = { topic, brokerName, queueId: 0 };
      expect((await memberPull(group, q, '')).body.messages).toHaveLength(n);
      expect((await memberPull(group, q, `commitOffset=${n}`)).status).toBe(200);
    }
    const stats = await call('GET', `/groups/${group}/stats?minutes=2`);
    expect(stats.status).toBe(200);

    // TPS cover the last complete minute: read as from a minute later, so that the current one is complete; with
    // the minute before it, they hold the test's commits whenever the minute turns (as test/workers/metrics.test.ts).
    const { renderMetrics, resetMetricsCache } = await import('../../src/workers/metrics');
    const perBroker = new Map<string, number>();
    for (const ahead of [0, 1]) {
      resetMetricsCache();
      const f = strictParse(await renderMetrics(env, Date.now() + ahead * 60_000));
      const rows = samples(f, 'rocketmq_consumer_tps', { group, topic });
      expect(rows.map((m) => m.labels)).toEqual(
        expect.arrayContaining(
          Object.keys(consumed).map((broker) => ({ cluster: 'DefaultCluster', broker, topic, group })),
        ),
      );
      for (const m of rows)
        perBroker.set(m.labels!.broker!, (perBroker.get(m.labels!.broker!) ?? 0) + Number(m.value) * 60);
    }
    expect(Object.fromEntries([...perBroker].map(([b, n]) => [b, Math.round(n)]))).toEqual(consumed);
    // The same messages as the group's stats count per minute.
    const statsConsumed = stats.body.minutes.reduce((n: number, m: { consumed: number }) => n + m.consumed, 0);
    expect(statsConsumed).toBe(consumed['broker-a'] + consumed['broker-b']);
  });

  it('gives the same figures after the isolate forgot its read: only the series said to be per isolate move', async () => {
    const { topic } = await partlyConsumed();
    const { renderMetrics, resetMetricsCache } = await import('../../src/workers/metrics');
    const now = Date.now(); // one minute for both, so that both cover the same minute's TPS
    resetMetricsCache();
    const first = strictParse(await renderMetrics(env, now));
    // What only this isolate sees moves: a timed pull that returns nothing (no message leaves a queue).
    expect((await call('GET', `/topics/${topic}/queues/broker-a/1/messages?offset=2`)).body.status).toBe('NO_NEW_MSG');
    resetMetricsCache(); // as a new isolate, or this one after a restart: no read to reuse
    const second = strictParse(await renderMetrics(env, now));

    const perIsolate = (f: Map<string, PrometheusFamily>) =>
      [...f.values()].filter((x) => x.help.startsWith('Per isolate')).map((x) => x.name);
    expect(perIsolate(first).sort()).toEqual([
      'flaremq_metrics_age_seconds',
      'flaremq_pull_latency_seconds',
      'flaremq_refused_requests_total',
      'flaremq_send_latency_seconds',
    ]);
    const pulls = (f: Map<string, PrometheusFamily>) =>
      Number(f.get('flaremq_pull_latency_seconds')!.metrics[0]!.count);
    expect(pulls(second)).toBe(pulls(first) + 1);
    const cluster = (f: Map<string, PrometheusFamily>) =>
      [...f.values()].filter((x) => !x.help.startsWith('Per isolate'));
    expect(cluster(first).length).toBeGreaterThan(20);
    expect(cluster(second)).toEqual(cluster(first));
  });

  it('leaves out what does not fit its bound on object calls, and says so', async () => {
    const { group } = await partlyConsumed();
    const { clusterStats } = await import('../../src/services/cluster-stats');
    const whole = await clusterStats(env);
    expect(whole.truncated).toBe(false);
    expect(whole.groups.map((g) => g.group)).toContain(group);
    // Room for the two lists and the brokers, then for one call: no group's lag, no topic's queues fit.
    const bounded = await clusterStats(env, Date.now(), 2 + 2 * whole.brokers.length + 1);
    expect(bounded.truncated).toBe(true);
    expect(bounded.brokers).toEqual(whole.brokers);
    expect([bounded.groups, bounded.topics]).toEqual([[], []]);
  });
});
