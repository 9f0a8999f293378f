/**
 * /metrics: Prometheus text format, parsed by a Prometheus text parser
 * (parse-prometheus-text-format) after a strict line-by-line check of the
 * exposition format. The cluster's figures come from the objects (stored
 * messages, offsets, TPS of the last complete minute, group lag and backlog,
 * retry and DLQ counts) under rocketmq-exporter's names where the meaning is
 * the same; only request latency and refusals are per isolate.
 */
import { env, exports } from 'cloudflare:workers';
import type { PrometheusFamily } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { renderMetrics, resetMetricsCache } from '../../src/workers/metrics';
import { call, createTopic, pull, send, uniqueName } from './helpers';
import { strictParse, value } from './prometheus';

async function scrape(): Promise<Map<string, PrometheusFamily>> {
  resetMetricsCache();
  const res = await exports.default.fetch(new Request('http://flaremq.test/metrics'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return strictParse(await res.text());
}

/** /metrics as it reads `minutesAhead` minutes from now: its TPS then cover the minute that is the current one now. */
async function scrapeAhead(minutesAhead: number): Promise<Map<string, PrometheusFamily>> {
  resetMetricsCache();
  return strictParse(await renderMetrics(env, Date.now() + minutesAhead * 60_000));
}

/**
 * Messages a queue family's TPS counted for the topic over the previous and the current minute (TPS × 60, summed):
 * a test shorter than a minute has all its traffic in these two, whenever the minute turns.
 */
async function countedLately(name: 'flaremq_queue_put_tps' | 'flaremq_queue_get_tps', topic: string): Promise<number> {
  const sum = (f: Map<string, PrometheusFamily>) =>
    (f.get(name)?.metrics ?? []).filter((m) => m.labels?.topic === topic).reduce((n, m) => n + Number(m.value) * 60, 0);
  return Math.round(sum(await scrapeAhead(0)) + sum(await scrapeAhead(1)));
}

describe('/metrics', () => {
  it('counts messages in and out per topic from the queues, and send and pull latency', async () => {
    const topic = uniqueName('Metrics');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const before = await scrape();
    const sendsBefore = Number(before.get('flaremq_send_latency_seconds')!.metrics[0]!.count);
    await send(topic, { body: 'hello' });
    await send(topic, { messages: [{ body: 'a' }, { body: 'b' }] });
    await pull(topic, 'broker-a', 0, { offset: 0 });
    const after = await scrape();
    // Cluster-wide now (the queues' offsets and per-minute statistics), no longer counted per isolate.
    expect(value(after, 'rocketmq_producer_offset', { topic, broker: 'broker-a' })).toBe(3);
    expect(await countedLately('flaremq_queue_put_tps', topic)).toBe(3);
    expect(await countedLately('flaremq_queue_get_tps', topic)).toBe(3);
    const sendHist = after.get('flaremq_send_latency_seconds')!;
    expect(sendHist.type).toBe('HISTOGRAM');
    expect(Number(sendHist.metrics[0]!.count)).toBe(sendsBefore + 2);
    const buckets = Object.entries(sendHist.metrics[0]!.buckets!)
      .map(([le, v]) => [le === '+Inf' ? Infinity : Number(le), Number(v)] as const)
      .sort(([a], [b]) => a - b)
      .map(([, v]) => v);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(buckets.at(-1)).toBe(sendsBefore + 2);
    expect(after.get('flaremq_pull_latency_seconds')!.type).toBe('HISTOGRAM');
    expect(value(after, 'flaremq_topic_messages_stored', { topic })).toBe(3);
    expect(value(after, 'flaremq_topic_offset_total', { topic })).toBe(3);
  });

  it("times a member's pull once, by its declaration, and its queue counts what it returned", async () => {
    const topic = uniqueName('MetricsMember');
    const group = uniqueName('GID_metrics');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    await send(topic, { body: 'abc' });
    expect((await call('POST', `/groups/${group}/members/c1/heartbeat`, { subscriptions: [{ topic }] })).status).toBe(
      200,
    );
    const pulls = (f: Map<string, PrometheusFamily>) =>
      Number(f.get('flaremq_pull_latency_seconds')!.metrics[0]!.count);
    const before = pulls(await scrape());
    expect((await call('GET', `/groups/${group}/members/c1/queues/${topic}/broker-a/0/messages?offset=0`)).status).toBe(
      200,
    );
    // A refused pull is not timed.
    expect((await call('GET', `/groups/${group}/members/c1/queues/${topic}/broker-a/0/messages?offset=x`)).status).toBe(
      400,
    );
    const after = await scrape();
    expect(pulls(after)).toBe(before + 1);
    expect(await countedLately('flaremq_queue_get_tps', topic)).toBe(1);
  });

  it('counts messages published through the RocketMQ HTTP protocol too', async () => {
    const topic = uniqueName('MetricsXml');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody>hi there</MessageBody></Message>';
    const res = await exports.default.fetch(
      new Request(`http://flaremq.test/topics/${topic}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml;charset=utf-8', date: new Date().toUTCString() },
        body: xml,
      }),
    );
    expect(res.status).toBe(201);
    const after = await scrape();
    expect(value(after, 'rocketmq_producer_offset', { topic, broker: 'broker-a' })).toBe(1);
    expect(await countedLately('flaremq_queue_put_tps', topic)).toBe(1);
  });

  it('counts popped messages out under their topic (in its queue)', async () => {
    const topic = uniqueName('MetricsPop');
    const group = uniqueName('GID_pop');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    expect((await call('PUT', `/groups/${group}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })).status).toBe(200);
    await send(topic, { body: 'popped' });
    const popped = await call('POST', `/groups/${group}/pop`, { topic, maxMessages: 4 });
    expect(popped.status).toBe(200);
    expect(popped.body.messages).toHaveLength(1);
    expect(await countedLately('flaremq_queue_get_tps', topic)).toBe(1);
  });

  it('shows group lag and backlog, and the DLQ size', async () => {
    const topic = uniqueName('MetricsLag');
    const group = uniqueName('GID_metrics');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const sent = await send(topic, { body: 'x' });
    await send(topic, { body: 'y' });
    expect(
      (await call('POST', `/groups/${group}/members/c1/heartbeat`, { subscriptions: [{ topic, expression: '*' }] }))
        .status,
    ).toBe(200);
    expect(
      (
        await call('PUT', `/groups/${group}/offsets`, {
          topic,
          offsets: [{ brokerName: 'broker-a', queueId: 0, offset: 0 }],
        })
      ).status,
    ).toBe(200);
    expect((await call('POST', `/groups/${group}/retry`, { msgId: sent.msgId, delayLevel: -1 })).status).toBe(200);
    const f = await scrape();
    expect(value(f, 'flaremq_group_lag', { group })).toBe(2);
    expect(value(f, 'flaremq_group_backlog', { group, topic })).toBe(2);
    expect(value(f, 'flaremq_dlq_messages', { group })).toBe(1);
    expect(value(f, 'flaremq_broker_up', { broker: 'broker-a', broker_id: '0' })).toBe(1);
    expect(f.has('flaremq_refused_requests_total')).toBe(true);
    expect(f.has('flaremq_replication_lag_messages')).toBe(true);
  });
});

describe('who may scrape', () => {
  async function scrapeWith(vars: Record<string, string | undefined>, authorization?: string): Promise<Response> {
    const { env } = await import('cloudflare:workers');
    const { createExecutionContext } = await import('cloudflare:test');
    const { app } = await import('../../src/workers/app');
    const headers: Record<string, string> = authorization ? { authorization } : {};
    return app.fetch(
      new Request('http://flaremq.test/metrics', { headers }),
      { ...env, ...vars },
      createExecutionContext(),
    );
  }

  it('needs the METRICS_TOKEN secret outside development and open mode', async () => {
    const closed = await scrapeWith({ FLAREMQ_MODE: 'production' });
    expect(closed.status).toBe(403);
    expect(((await closed.json()) as any).error.code).toBe('ACCESS_DENIED');
    const wrong = await scrapeWith({ FLAREMQ_MODE: 'production', METRICS_TOKEN: 'scrape-me' }, 'Bearer nope');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error.code).toBe('UNAUTHENTICATED');
    const right = await scrapeWith({ FLAREMQ_MODE: 'production', METRICS_TOKEN: 'scrape-me' }, 'Bearer scrape-me');
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('flaremq_');
    expect((await scrapeWith({ FLAREMQ_MODE: 'open' })).status).toBe(200);
  });
});
