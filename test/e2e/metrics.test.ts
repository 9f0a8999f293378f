/**
 * /metrics of the real local server across a restart: the cluster's figures
 * (offsets, lag, retry and DLQ counts) are the objects', so a new process
 * (new isolates, empty memory) shows the same numbers; only the series said
 * to be per isolate start again.
 */
import { join } from 'node:path';
import parse, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startServer, stopAndRemove, type DevServer } from './server';

const TOPIC = 'e2e-metrics';
const GROUP = 'e2e-metrics-group';

let tmp: string;
let server: DevServer | null = null;

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server!.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

async function scrape(): Promise<Map<string, PrometheusFamily>> {
  const res = await fetch(`${server!.url}/metrics`);
  expect(res.status).toBe(200);
  return new Map(parse(await res.text()).map((f) => [f.name, f]));
}

/** The samples of the families that describe the cluster, as Prometheus would store them (TPS left out: they move with the clock). */
const clusterState = (f: Map<string, PrometheusFamily>) =>
  [...f.values()]
    .filter((x) => !x.help.startsWith('Per isolate') && !/_(tps|qps)$/.test(x.name))
    .map((x) => ({
      name: x.name,
      metrics: x.metrics.filter(
        (m) => Object.values(m.labels ?? {}).some((v) => v.includes('e2e-metrics')) || !m.labels,
      ),
    }));

describe('/metrics across a restart of wrangler dev', () => {
  beforeAll(async () => {
    tmp = makeTempDir('flaremq-e2e-metrics-');
    server = await startServer({ persistTo: join(tmp, 'state') });
  });

  afterAll(async () => {
    await stopAndRemove(server, tmp);
    server = null;
  });

  it('shows the same lag and offsets after the restart, and lag as the lag route does', async () => {
    await call('PUT', `/topics/${TOPIC}`, { queueNums: 1, brokerNames: ['broker-a'] });
    for (const body of ['a', 'b', 'c', 'd']) await call('POST', `/topics/${TOPIC}/messages`, { body });
    // A member subscribes (the group now consumes the topic) and leaves: the figures do not hang on a live member.
    await call('POST', `/groups/${GROUP}/members/c1/heartbeat`, { subscriptions: [{ topic: TOPIC, expression: '*' }] });
    await call('DELETE', `/groups/${GROUP}/members/c1`);
    await call('PUT', `/groups/${GROUP}/offsets`, {
      topic: TOPIC,
      offsets: [{ brokerName: 'broker-a', queueId: 0, offset: 1 }],
    });
    const before = await scrape();
    const lag = await call('GET', `/groups/${GROUP}/lag`);
    expect(lag.totalLag).toBe(3);
    const diff = (f: Map<string, PrometheusFamily>) =>
      f.get('rocketmq_group_diff')!.metrics.find((m) => m.labels?.group === GROUP && m.labels?.topic === TOPIC);
    expect(Number(diff(before)?.value)).toBe(lag.totalLag);
    expect(Number(before.get('flaremq_send_latency_seconds')!.metrics[0]!.count)).toBe(4);

    const dir = join(tmp, 'state');
    await server!.stop();
    server = await startServer({ persistTo: dir });

    const after = await scrape();
    expect(Number(diff(after)?.value)).toBe(3);
    expect(clusterState(before).filter((x) => x.metrics.length > 0).length).toBeGreaterThan(8);
    expect(clusterState(after)).toEqual(clusterState(before));
    // The per-isolate latency histogram starts again with the new process.
    expect(Number(after.get('flaremq_send_latency_seconds')!.metrics[0]!.count)).toBe(0);
  });
});
