/**
 * GET /metrics in Prometheus' text format (0.0.4). Two kinds of numbers:
 *
 * - counted where the work happens, per isolate (services/metrics-registry.ts,
 *   and refusals.ts of the auth layer): messages and bytes in and out per topic,
 *   send and pull latency, refused requests. Rendering reads memory only.
 * - read from the objects that own them through the services (topics.ts,
 *   offsets.ts, brokers.ts), one summary per queue object
 *   (min/max offset, committed offset), never a scan of messages: stored
 *   messages per topic, backlog and lag per group, DLQ size, replication lag.
 *   The whole read is cached per isolate for METRICS_CACHE_MS (15 s, a usual
 *   scrape interval), so scrapes, however frequent, fan out at most once per
 *   interval. docs/operations.md explains the choice.
 */
import { Hono } from 'hono';
import type { Env } from '../env';
import { ensureBrokersStarted, withNameServer } from '../services/cluster';
import {
  LATENCY_BUCKETS,
  pullLatency,
  sendLatency,
  trafficByTopic,
  type Histogram,
} from '../services/metrics-registry';
import { refusalCounts } from './refusals';
import { brokerStatuses } from '../services/brokers';
import { groupLag } from '../services/offsets';
import { topicStatus } from '../services/topics';
import { securityMode } from './security/mode';
import { FlareError } from '../core/errors';

/** How long the objects' numbers are reused between scrapes, ms. */
export const METRICS_CACHE_MS = 15_000;
/** Most topics and groups whose state one scrape reads (the rest is left out, and said so). */
const MAX_READ = 200;

/** What a service answers, or null when it fails (the scrape leaves it out). */
const orNull = <T>(answer: Promise<T>): Promise<T | null> => answer.catch(() => null);

interface StoreState {
  at: number;
  topics: {
    topic: string;
    stored: number;
    maxOffsetSum: number;
    queues: number;
    failedWrites: number;
    unwritable: number;
  }[];
  groups: { group: string; totalLag: number; byTopic: Record<string, number> }[];
  replication: { brokerName: string; slaveId: number; region: string; lagEntries: number; lagSeconds: number }[];
  brokersUp: { brokerName: string; brokerId: number; up: number }[];
  truncated: boolean;
}

let cached: StoreState | null = null;
let pending: Promise<StoreState> | null = null;

async function readStore(env: Env): Promise<StoreState> {
  const names = (await orNull(withNameServer(env, (ns) => ns.listTopics()))) ?? [];
  const groupNames = (await orNull(withNameServer(env, (ns) => ns.listGroups()))) ?? [];
  const topicsRead = await Promise.all(
    names.slice(0, MAX_READ).map(async (topic) => {
      const queues = (await orNull(topicStatus(env, topic))) ?? [];
      return {
        topic,
        stored: queues.reduce((n, q) => n + q.maxOffset - q.minOffset, 0),
        maxOffsetSum: queues.reduce((n, q) => n + q.maxOffset, 0),
        queues: queues.length,
        failedWrites: queues.reduce((n, q) => n + q.writes.failedWrites, 0),
        unwritable: queues.filter((q) => !q.writes.writable).length,
      };
    }),
  );
  const groupsRead = await Promise.all(
    groupNames.slice(0, MAX_READ).map(async (group) => {
      const lag = await orNull(groupLag(env, group));
      const byTopic: Record<string, number> = {};
      for (const q of lag?.queues ?? []) byTopic[q.topic] = (byTopic[q.topic] ?? 0) + q.lag;
      return { group, totalLag: lag?.totalLag ?? 0, byTopic };
    }),
  );
  type BrokerView = {
    config: { brokerName: string; brokerId: number };
    error?: unknown;
    faultInjection?: { down: boolean };
    replication?: { slaves: { brokerId: number; region: string; lagEntries: number; lagSeconds: number }[] };
  };
  const brokers: BrokerView[] = (await orNull(brokerStatuses(env))) ?? [];
  return {
    at: Date.now(),
    topics: topicsRead,
    groups: groupsRead,
    replication: brokers.flatMap((b) =>
      (b.replication?.slaves ?? []).map((s) => ({
        brokerName: b.config.brokerName,
        slaveId: s.brokerId,
        region: s.region,
        lagEntries: s.lagEntries,
        lagSeconds: s.lagSeconds,
      })),
    ),
    brokersUp: brokers.map((b) => ({
      brokerName: b.config.brokerName,
      brokerId: b.config.brokerId,
      up: b.error || b.faultInjection?.down ? 0 : 1,
    })),
    truncated: names.length > MAX_READ || groupNames.length > MAX_READ,
  };
}

/** The objects' numbers, at most METRICS_CACHE_MS old; one read at a time per isolate. */
export async function storeState(env: Env, now = Date.now()): Promise<StoreState> {
  if (cached && now - cached.at < METRICS_CACHE_MS) return cached;
  pending ??= readStore(env).finally(() => (pending = null));
  cached = await pending;
  return cached;
}

/** Forgets the cached read (tests). */
export function resetMetricsCache(): void {
  cached = null;
}

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

/** The whole exposition. */
export async function renderMetrics(env: Env): Promise<string> {
  await ensureBrokersStarted(env);
  const store = await storeState(env);
  const w = new Writer();
  const traffic = trafficByTopic();
  w.family(
    'flaremq_messages_in_total',
    'counter',
    'Messages sent through this isolate, per topic.',
    traffic.map(([topic, t]) => [{ topic }, t.messagesIn]),
  );
  w.family(
    'flaremq_bytes_in_total',
    'counter',
    'Bytes of send requests through this isolate, per topic.',
    traffic.map(([topic, t]) => [{ topic }, t.bytesIn]),
  );
  w.family(
    'flaremq_messages_out_total',
    'counter',
    'Messages pulled through this isolate, per topic.',
    traffic.map(([topic, t]) => [{ topic }, t.messagesOut]),
  );
  w.family(
    'flaremq_bytes_out_total',
    'counter',
    'Body bytes (as sent on the wire) pulled through this isolate, per topic.',
    traffic.map(([topic, t]) => [{ topic }, t.bytesOut]),
  );
  w.histogram('flaremq_send_latency_seconds', 'Time to answer a send (REST), in this isolate.', sendLatency);
  w.histogram(
    'flaremq_pull_latency_seconds',
    'Time to answer a pull (REST, long polls included), in this isolate.',
    pullLatency,
  );
  w.family(
    'flaremq_refused_requests_total',
    'counter',
    'Requests refused before any work (authentication, access control, size limits), in this isolate.',
    refusalCounts().map((r) => [{ surface: r.surface, code: r.code, status: r.status }, r.count]),
  );

  const user = store.topics.filter((t) => !t.topic.startsWith('%'));
  w.family(
    'flaremq_topic_messages_stored',
    'gauge',
    'Messages stored in the topic (max offset - min offset over its queues).',
    user.map((t) => [{ topic: t.topic }, t.stored]),
  );
  w.family(
    'flaremq_topic_offset_total',
    'counter',
    "Sum of the max offsets of the topic's queues: every message ever stored, across isolates.",
    user.map((t) => [{ topic: t.topic }, t.maxOffsetSum]),
  );
  w.family(
    'flaremq_topic_queues',
    'gauge',
    'Readable queues of the topic.',
    user.map((t) => [{ topic: t.topic }, t.queues]),
  );
  w.family(
    'flaremq_write_failures_total',
    'counter',
    "Writes of sent messages that failed, over the topic's queue objects (each logged; counted since each object started).",
    store.topics.map((t) => [{ topic: t.topic }, t.failedWrites]),
  );
  w.family(
    'flaremq_queues_unwritable',
    'gauge',
    'Queues of the topic refusing requests because messages they hold (ASYNC_FLUSH) could not be written to their log yet.',
    store.topics.map((t) => [{ topic: t.topic }, t.unwritable]),
  );
  w.family(
    'flaremq_group_backlog',
    'gauge',
    'Messages not yet consumed by the group, per topic (its retry topic included).',
    store.groups.flatMap((g) =>
      Object.entries(g.byTopic).map(([topic, lag]): [Record<string, string>, number] => [
        { group: g.group, topic },
        lag,
      ]),
    ),
  );
  w.family(
    'flaremq_group_lag',
    'gauge',
    'Messages not yet consumed by the group, over every topic it consumes.',
    store.groups.map((g) => [{ group: g.group }, g.totalLag]),
  );
  w.family(
    'flaremq_dlq_messages',
    'gauge',
    "Dead letters held in the group's %DLQ% topic.",
    store.topics.filter((t) => t.topic.startsWith('%DLQ%')).map((t) => [{ group: t.topic.slice(5) }, t.stored]),
  );
  w.family(
    'flaremq_broker_up',
    'gauge',
    '1 when the broker answers its status, 0 when not.',
    store.brokersUp.map((b) => [{ broker: b.brokerName, broker_id: b.brokerId }, b.up]),
  );
  w.family(
    'flaremq_replication_lag_messages',
    'gauge',
    'Entries a slave is behind its master, over the queues asked.',
    store.replication.map((r) => [{ broker: r.brokerName, slave_id: r.slaveId, region: r.region }, r.lagEntries]),
  );
  w.family(
    'flaremq_replication_lag_seconds',
    'gauge',
    'Age of the oldest entry a slave has not taken, seconds.',
    store.replication.map((r) => [{ broker: r.brokerName, slave_id: r.slaveId, region: r.region }, r.lagSeconds]),
  );
  w.family('flaremq_metrics_age_seconds', 'gauge', "Age of the objects' numbers above (cached per isolate).", [
    [{}, (Date.now() - store.at) / 1000],
  ]);
  w.family('flaremq_metrics_truncated', 'gauge', '1 when more topics or groups exist than one scrape reads.', [
    [{}, store.truncated ? 1 : 0],
  ]);
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
