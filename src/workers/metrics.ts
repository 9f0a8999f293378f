/**
 * GET /metrics in Prometheus' text format (0.0.4). Two kinds of numbers:
 *
 * - the cluster's, read from the objects that own them (services/cluster-stats.ts):
 *   offsets, TPS of the last complete minute, lag, retry and DLQ counts,
 *   replication lag. Whichever isolate answers, two scrapes within a minute
 *   agree. Named after Apache RocketMQ's exporter (apache/rocketmq-exporter,
 *   RMQMetricsCollector) where the meaning is the same, so that its Grafana
 *   dashboard reads them; the rest are flaremq_*. docs/operations.md lists them.
 * - per isolate by nature, and said so in their help: request latency
 *   (services/metrics-registry.ts), refused requests (refusals.ts), and the
 *   age of this isolate's cached read.
 */
import { Hono } from 'hono';
import type { Env } from '../env';
import { ensureBrokersStarted } from '../services/cluster';
import {
  cachedClusterStats,
  resetClusterStatsCache,
  type ClusterStats,
  type GroupBrokerFigures,
  type TopicFigures,
} from '../services/cluster-stats';
import { LATENCY_BUCKETS, pullLatency, sendLatency, type Histogram } from '../services/metrics-registry';
import { refusalCounts } from './refusals';
import { securityMode } from './security/mode';
import { FlareError } from '../core/errors';
import { dlqTopic } from '../core/group-config';
import { MASTER_ID } from '../core/route';

/** The group whose dead letters `%DLQ%{group}` holds. */
const groupOfDlq = (topic: string) => topic.slice(dlqTopic('').length);

/** Forgets this isolate's cached read (tests). */
export const resetMetricsCache = resetClusterStatsCache;

/** What `HELP` starts with for a series that describes the isolate that answered, not the cluster. */
const PER_ISOLATE = 'Per isolate (the Worker instance that answered this scrape; resets when it restarts):';

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string | number>) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

class Writer {
  private readonly lines: string[] = [];

  family(
    name: string,
    type: 'counter' | 'gauge' | 'histogram',
    help: string,
    samples: [Record<string, string | number>, number][],
  ): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) this.lines.push(`${name}${labels(l)} ${v}`);
  }

  histogram(name: string, help: string, h: Histogram): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((b, i) => {
      cumulative += h.counts[i]!;
      this.lines.push(`${name}_bucket{le="${b}"} ${cumulative}`);
    });
    this.lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

type Labels = Record<string, string | number>;
type Sample = [Labels, number];

/** Sums `value` of `items` per key (labels kept from the first item of each key). */
function sumBy<T>(items: readonly T[], labels: (item: T) => Labels, value: (item: T) => number): Sample[] {
  const sums = new Map<string, Sample>();
  for (const item of items) {
    const l = labels(item);
    const key = JSON.stringify(l);
    const row = sums.get(key) ?? [l, 0];
    row[1] += value(item);
    sums.set(key, row);
  }
  return [...sums.values()];
}

/** The queues of the topics of one kind, each with its topic. */
const queuesOf = (stats: ClusterStats, kind?: TopicFigures['kind']) =>
  stats.topics.filter((t) => !kind || t.kind === kind).flatMap((t) => t.queues.map((q) => ({ ...q, topic: t.topic })));

/** RocketMQ's MessageModel ordinal, as rocketmq-exporter labels `msgModel`. */
const MSG_MODEL = { BROADCASTING: 0, CLUSTERING: 1 } as const;

/** The series named after rocketmq-exporter (RMQMetricsCollector.collect), with its labels. */
function rocketmqSeries(w: Writer, stats: ClusterStats): void {
  const cluster = stats.clusterName;
  const masterIp = (broker: string) => `${broker}/${MASTER_ID}`;
  w.family(
    'rocketmq_producer_tps',
    'gauge',
    "Messages stored per second in the topic's queues of the broker group, over the last complete minute.",
    sumBy(
      queuesOf(stats, 'normal'),
      (q) => ({ cluster, broker: q.brokerName, topic: q.topic }),
      (q) => q.putTps,
    ),
  );
  w.family(
    'rocketmq_producer_offset',
    'gauge',
    "Σ max offset of the topic's queues on the broker group: messages ever stored there.",
    sumBy(
      queuesOf(stats, 'normal'),
      (q) => ({ cluster, broker: q.brokerName, topic: q.topic }),
      (q) => q.maxOffset,
    ),
  );
  w.family(
    'rocketmq_topic_retry_offset',
    'gauge',
    "Σ max offset of the %RETRY% topic's queues on the broker group.",
    sumBy(
      queuesOf(stats, 'retry'),
      (q) => ({ cluster, broker: q.brokerName, topic: q.topic }),
      (q) => q.maxOffset,
    ),
  );
  w.family(
    'rocketmq_topic_dlq_offset',
    'gauge',
    "Σ max offset of the group's %DLQ% topic's queues on the broker group.",
    sumBy(
      queuesOf(stats, 'dlq'),
      (q) => ({ cluster, broker: q.brokerName, group: groupOfDlq(q.topic) }),
      (q) => q.maxOffset,
    ),
  );
  w.family(
    'rocketmq_broker_tps',
    'gauge',
    "Messages stored per second in the broker group's queues, over the last complete minute.",
    sumBy(
      queuesOf(stats),
      (q) => ({ cluster, brokerIP: masterIp(q.brokerName), broker: q.brokerName }),
      (q) => q.putTps,
    ),
  );
  w.family(
    'rocketmq_broker_qps',
    'gauge',
    "Messages returned by pulls and pops per second from the broker group's queues, over the last complete minute.",
    sumBy(
      queuesOf(stats),
      (q) => ({ cluster, brokerIP: masterIp(q.brokerName), broker: q.brokerName }),
      (q) => q.getTps,
    ),
  );
  w.family(
    'rocketmq_broker_commitlog_diff',
    'gauge',
    'Entries (messages, not bytes as in RocketMQ) the slave brokerIP is behind its master, over the queues.',
    stats.brokers.flatMap((b) =>
      b.slaves.map(
        (s): Sample => [{ cluster, brokerIP: `${b.brokerName}/${s.brokerId}`, broker: b.brokerName }, s.lagEntries],
      ),
    ),
  );
  const diffs = (kind: TopicFigures['kind']) =>
    stats.groups.flatMap((g) =>
      sumBy(
        g.byBroker.filter((r) => (kind === 'retry' ? r.topic.startsWith('%RETRY%') : !r.topic.startsWith('%'))),
        (r) => ({
          group: g.group,
          topic: r.topic,
          countOfOnlineConsumers: g.onlineConsumers,
          msgModel: MSG_MODEL[g.messageModel],
        }),
        (r) => r.diff,
      ),
    );
  w.family('rocketmq_group_diff', 'gauge', 'Messages of the topic the group has not consumed.', diffs('normal'));
  w.family(
    'rocketmq_group_retrydiff',
    'gauge',
    "Messages of the group's %RETRY% topic it has not consumed.",
    diffs('retry'),
  );
  const dlqStored = new Map(stats.topics.filter((t) => t.kind === 'dlq').map((t) => [t.topic, storedOf(t)] as const));
  w.family(
    'rocketmq_group_dlqdiff',
    'gauge',
    "Dead letters held in the group's %DLQ% topic (nobody consumes it for the group).",
    stats.groups.flatMap((g): Sample[] => {
      const stored = dlqStored.get(dlqTopic(g.group));
      if (stored === undefined) return [];
      const labels = {
        group: g.group,
        topic: dlqTopic(g.group),
        countOfOnlineConsumers: g.onlineConsumers,
        msgModel: MSG_MODEL[g.messageModel],
      };
      return [[labels, stored]];
    }),
  );
  /** A figure of each group per topic and broker group, labelled as rocketmq-exporter's GROUP_NUMS_LABEL_NAMES. */
  const perGroupBroker = (value: (r: GroupBrokerFigures) => number) =>
    stats.groups.flatMap((g) =>
      g.byBroker.map((r): Sample => [{ cluster, broker: r.brokerName, topic: r.topic, group: g.group }, value(r)]),
    );
  w.family(
    'rocketmq_consumer_offset',
    'gauge',
    "Σ of the group's committed offsets on the topic's queues of the broker group (at least each queue's min offset).",
    perGroupBroker((r) => r.consumerOffset),
  );
  w.family(
    'rocketmq_consumer_tps',
    'gauge',
    "Messages the group's commits moved over per second on the topic's queues of the broker group, over the last complete minute.",
    perGroupBroker((r) => r.consumerTps),
  );
}

const storedOf = (t: TopicFigures) => t.queues.reduce((n, q) => n + q.maxOffset - q.minOffset, 0);

/** The flaremq_* series of the cluster's state. */
function flaremqSeries(w: Writer, stats: ClusterStats): void {
  const user = stats.topics.filter((t) => t.kind === 'normal');
  w.family(
    'flaremq_topic_messages_stored',
    'gauge',
    'Messages stored in the topic (max offset - min offset over its queues).',
    user.map((t) => [{ topic: t.topic }, storedOf(t)]),
  );
  w.family(
    'flaremq_topic_offset_total',
    'counter',
    "Sum of the max offsets of the topic's queues: every message ever stored.",
    user.map((t) => [{ topic: t.topic }, t.queues.reduce((n, q) => n + q.maxOffset, 0)]),
  );
  w.family(
    'flaremq_topic_queues',
    'gauge',
    'Queues of the topic.',
    user.map((t) => [{ topic: t.topic }, t.queues.length]),
  );
  const queues = queuesOf(stats);
  const queueLabels = (q: (typeof queues)[number]) => ({ topic: q.topic, broker: q.brokerName, queue_id: q.queueId });
  w.family(
    'flaremq_queue_max_offset',
    'gauge',
    'The offset the next message of the queue takes.',
    queues.map((q) => [queueLabels(q), q.maxOffset]),
  );
  w.family(
    'flaremq_queue_min_offset',
    'gauge',
    'The offset of the oldest message the queue holds.',
    queues.map((q) => [queueLabels(q), q.minOffset]),
  );
  w.family(
    'flaremq_queue_put_tps',
    'gauge',
    'Messages stored per second in the queue, over the last complete minute.',
    queues.map((q) => [queueLabels(q), q.putTps]),
  );
  w.family(
    'flaremq_queue_get_tps',
    'gauge',
    'Messages returned by pulls and pops per second from the queue, over the last complete minute.',
    queues.map((q) => [queueLabels(q), q.getTps]),
  );
  w.family(
    'flaremq_write_failures_total',
    'counter',
    "Writes of sent messages that failed, over the topic's queue objects (each logged; counted since each object started).",
    stats.topics.map((t) => [{ topic: t.topic }, t.queues.reduce((n, q) => n + q.failedWrites, 0)]),
  );
  w.family(
    'flaremq_queues_unwritable',
    'gauge',
    'Queues of the topic refusing requests because messages they hold (ASYNC_FLUSH) could not be written to their log yet.',
    stats.topics.map((t) => [{ topic: t.topic }, t.queues.filter((q) => !q.writable).length]),
  );
  w.family(
    'flaremq_group_backlog',
    'gauge',
    'Messages not yet consumed by the group, per topic (its retry topic included).',
    stats.groups.flatMap((g) =>
      sumBy(
        g.byBroker,
        (r) => ({ group: g.group, topic: r.topic }),
        (r) => r.diff,
      ),
    ),
  );
  w.family(
    'flaremq_group_lag',
    'gauge',
    'Messages not yet consumed by the group, over every topic it consumes (GET /api/v1/groups/{group}/lag totalLag).',
    stats.groups.map((g) => [{ group: g.group }, g.totalLag]),
  );
  w.family(
    'flaremq_dlq_messages',
    'gauge',
    "Dead letters held in the group's %DLQ% topic.",
    stats.topics.filter((t) => t.kind === 'dlq').map((t) => [{ group: groupOfDlq(t.topic) }, storedOf(t)]),
  );
  w.family(
    'flaremq_broker_up',
    'gauge',
    '1 when the broker answers its status, 0 when not.',
    stats.brokers.map((b) => [{ broker: b.brokerName, broker_id: b.brokerId }, b.up ? 1 : 0]),
  );
  const slaves = stats.brokers.flatMap((b) => b.slaves.map((s) => ({ ...s, brokerName: b.brokerName })));
  w.family(
    'flaremq_replication_lag_messages',
    'gauge',
    'Entries a slave is behind its master, over the queues asked.',
    slaves.map((s) => [{ broker: s.brokerName, slave_id: s.brokerId, region: s.region }, s.lagEntries]),
  );
  w.family(
    'flaremq_replication_lag_seconds',
    'gauge',
    'Age of the oldest entry a slave has not taken, seconds.',
    slaves.map((s) => [{ broker: s.brokerName, slave_id: s.brokerId, region: s.region }, s.lagSeconds]),
  );
  w.family(
    'flaremq_metrics_truncated',
    'gauge',
    '1 when the read left topics or groups out (its bound, or an object that did not answer).',
    [[{}, stats.truncated ? 1 : 0]],
  );
}

/** The whole exposition; `now` picks the last complete minute the TPS cover (tests look a minute ahead). */
export async function renderMetrics(env: Env, now = Date.now()): Promise<string> {
  await ensureBrokersStarted(env);
  const stats = await cachedClusterStats(env, now);
  const w = new Writer();
  rocketmqSeries(w, stats);
  flaremqSeries(w, stats);
  w.histogram('flaremq_send_latency_seconds', `${PER_ISOLATE} time to answer a send (REST).`, sendLatency);
  w.histogram(
    'flaremq_pull_latency_seconds',
    `${PER_ISOLATE} time to answer a pull (REST, long polls included).`,
    pullLatency,
  );
  w.family(
    'flaremq_refused_requests_total',
    'counter',
    `${PER_ISOLATE} requests refused before any work (authentication, access control, size limits).`,
    refusalCounts().map((r) => [{ surface: r.surface, code: r.code, status: r.status }, r.count]),
  );
  w.family(
    'flaremq_metrics_age_seconds',
    'gauge',
    `${PER_ISOLATE} age of the cluster figures above (each isolate reuses its read for 15 s).`,
    [[{}, Math.max(0, (now - stats.at) / 1000)]],
  );
  return w.text();
}

/** The /metrics route. */
/** The secret a scraper presents as `Authorization: Bearer <token>` when the Worker is not in development or open mode. */
export interface MetricsVars {
  METRICS_TOKEN?: string;
}

function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Who may scrape: anyone in development or open mode; otherwise (accounts, or
 * a closed deployment) only a scraper with the METRICS_TOKEN secret, since
 * Prometheus cannot sign requests. Without the secret, /metrics is refused.
 */
function requireScraper(env: Env & MetricsVars, authorization: string | undefined): void {
  const mode = securityMode(env).kind;
  if (mode === 'development' || mode === 'open') return;
  const token = env.METRICS_TOKEN?.trim();
  if (!token) {
    throw new FlareError(
      'ACCESS_DENIED',
      '/metrics needs a token here: set the METRICS_TOKEN secret and scrape with Authorization: Bearer <token>',
    );
  }
  const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
  if (!sameText(given, token))
    throw new FlareError('UNAUTHENTICATED', '/metrics takes Authorization: Bearer <METRICS_TOKEN>');
}

export const metrics = new Hono<{ Bindings: Env & MetricsVars }>();
metrics.get('/metrics', async (c) => {
  requireScraper(c.env, c.req.header('authorization'));
  return c.text(await renderMetrics(c.env), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
});
