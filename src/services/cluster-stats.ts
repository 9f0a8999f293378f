/**
 * The cluster's figures, read from the objects that own them: per queue its
 * offsets and traffic of the last complete minute (the queue's own per-minute
 * statistics, queue/stats.ts), per group its lag and consume TPS per topic and
 * broker (its committed offsets, and their per-minute history), per broker its status and the replication lag of its slaves. Whichever isolate
 * reads them gets the same numbers: nothing here is counted in a Worker's
 * memory. Read by /metrics (src/workers/metrics.ts) and the dashboard.
 *
 * The read is bounded (docs/operations.md, "How metrics are collected"): at
 * most MAX_CALLS object calls per read, groups first (their lag matters most),
 * then topics in name order; what does not fit is left out and `truncated`
 * says so. Groups and topics are read a few at a time (READ_AT_ONCE), and
 * `cachedClusterStats` reuses a read for CACHE_MS with one read at a time per isolate.
 */
import { isGroupTopic, isRetryTopic } from '../core/group-config';
import { lastCompleteMinute, perSecond } from '../core/minutes';
import { allQueues, readableQueues } from '../core/route';
import type { Env } from '../env';
import { brokerStatuses } from './brokers';
import { config, getRoute, groupStub, queueStub, withNameServer } from './cluster';
import { groupHistory } from './group-stats';
import { groupLag } from './offsets';
import { queueTraffic } from './topics';

/** Most object calls one read makes (Workers Paid allows 1,000 subrequests per request and more; the free plan 50). */
export const MAX_CALLS = 1000;
/** Groups, and topics, read at once (each fans out to its queues). */
export const READ_AT_ONCE = 8;
/** How long `cachedClusterStats` reuses a read, ms (a usual scrape interval). */
export const CACHE_MS = 15_000;

/** One queue object of a topic (its master's copy). */
export interface QueueFigures {
  brokerName: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
  /** Store time of the newest message, ms (0 before the first). */
  lastUpdateTimestamp: number;
  /** Messages appended per second over the last complete minute (`ClusterStats.minute`). */
  putTps: number;
  /** Messages returned by pulls and pops per second over the same minute. */
  getTps: number;
  /** Writes of sent messages that failed since the object started (flush.ts). */
  failedWrites: number;
  /** False while held sends (ASYNC_FLUSH) cannot be written to the log. */
  writable: boolean;
}

/** A topic: `retry` for a group's %RETRY% topic, `dlq` for its %DLQ% topic. */
export interface TopicFigures {
  topic: string;
  kind: 'normal' | 'retry' | 'dlq';
  queues: QueueFigures[];
}

/** A group's consumption of one topic on one broker group, summed over its queues (and members, in broadcasting). */
export interface GroupBrokerFigures {
  topic: string;
  brokerName: string;
  /** Σ of the committed offsets, each at least the queue's min offset (where consumption resumes). */
  consumerOffset: number;
  /** Σ of the queues' max offsets. */
  brokerOffset: number;
  /** Messages not consumed yet: what `GET /api/v1/groups/{group}/lag` reports for these queues. */
  diff: number;
  /**
   * Messages its commits moved over per second during the last complete minute (`ClusterStats.minute`): the
   * `consumed` of that minute in `GET /api/v1/groups/{group}/stats`, divided by 60.
   */
  consumerTps: number;
}

export interface GroupFigures {
  group: string;
  messageModel: 'CLUSTERING' | 'BROADCASTING';
  /** Live members. */
  onlineConsumers: number;
  /** Σ diff over every topic, the retry topic included: the lag route's `totalLag`. */
  totalLag: number;
  byBroker: GroupBrokerFigures[];
}

export interface BrokerFigures {
  brokerName: string;
  brokerId: number;
  region: string;
  /** Answers its status and is not taken down by fault injection. */
  up: boolean;
  /** A master's slaves: how far each is behind (docs/deployment.md). */
  slaves: { brokerId: number; region: string; lagEntries: number; lagSeconds: number }[];
}

export interface ClusterStats {
  /** When the read started, ms. */
  at: number;
  clusterName: string;
  /** Start of the minute the TPS figures cover: the last complete one. */
  minute: number;
  topics: TopicFigures[];
  groups: GroupFigures[];
  brokers: BrokerFigures[];
  /** True when topics or groups were left out (MAX_CALLS, or an object that did not answer). */
  truncated: boolean;
}

/** A count of object calls left; `take` answers false (and takes nothing) when `n` does not fit. */
class CallBudget {
  constructor(private left: number) {}
  take(n: number): boolean {
    if (n > this.left) return false;
    this.left -= n;
    return true;
  }
}

/** `fn` over `items`, at most `limit` at a time, answers in order (a pool this small needs no dependency). */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const kindOf = (topic: string): TopicFigures['kind'] =>
  isRetryTopic(topic) ? 'retry' : isGroupTopic(topic) ? 'dlq' : 'normal';

async function brokerFigures(env: Env, budget: CallBudget): Promise<BrokerFigures[]> {
  budget.take(2 * config(env).brokers.length); // a status each, and a master's replication
  const statuses = await brokerStatuses(env).catch(() => []);
  return statuses.map((b) => {
    const down = 'error' in b || b.faultInjection.down;
    const slaves = 'replication' in b && b.replication ? b.replication.slaves : [];
    const region = config(env).brokers.find(
      (c) => c.brokerName === b.config.brokerName && c.brokerId === b.config.brokerId,
    )?.region;
    return {
      brokerName: b.config.brokerName,
      brokerId: b.config.brokerId,
      region: region ?? '',
      up: !down,
      slaves: slaves.map((s) => ({
        brokerId: s.brokerId,
        region: s.region,
        lagEntries: s.lagEntries,
        lagSeconds: s.lagSeconds,
      })),
    };
  });
}

/** A group's lag summed per topic and broker group; null when it does not fit the budget or does not answer. */
async function groupFigures(env: Env, group: string, now: number, budget: CallBudget): Promise<GroupFigures | null> {
  if (!budget.take(1)) return null;
  try {
    const status = await groupStub(env, group).status();
    const owners = status.config.messageModel === 'BROADCASTING' ? status.members.length : 1;
    // Per readable queue: its offset per owner (groupLag), and its offset history (groupHistory, none without owners).
    const perQueue = owners + (owners > 0 ? 1 : 0);
    let calls = 0;
    for (const topic of status.topics) {
      const route = await getRoute(env, topic);
      calls += 1 + (route ? readableQueues(route).length * perQueue : 0);
    }
    if (!budget.take(calls)) return null;
    // The history's last complete minute and the current one: the first is what the TPS cover.
    const [lag, history] = await Promise.all([groupLag(env, group, status), groupHistory(env, group, status, 2, now)]);
    const byKey = new Map<string, GroupBrokerFigures & { consumed: number }>();
    const rowOf = (topic: string, brokerName: string) => {
      const key = `${topic}\n${brokerName}`;
      const row = byKey.get(key) ?? {
        topic,
        brokerName,
        consumerOffset: 0,
        brokerOffset: 0,
        diff: 0,
        consumerTps: 0,
        consumed: 0,
      };
      byKey.set(key, row);
      return row;
    };
    for (const q of lag.queues) {
      const row = rowOf(q.topic, q.brokerName);
      row.consumerOffset += Math.max(q.offset, q.minOffset);
      row.brokerOffset += q.maxOffset;
      row.diff += q.lag;
    }
    for (const q of history) rowOf(q.topic, q.brokerName).consumed += q.minutes[0]?.consumed ?? 0;
    return {
      group,
      messageModel: lag.messageModel,
      onlineConsumers: status.members.length,
      totalLag: lag.totalLag,
      byBroker: [...byKey.values()].map(({ consumed, ...row }) => ({ ...row, consumerTps: perSecond(consumed) })),
    };
  } catch {
    return null;
  }
}

/** A topic's queues with their offsets and last minute's traffic; null when it does not fit or does not answer. */
async function topicFigures(env: Env, topic: string, minute: number, budget: CallBudget): Promise<TopicFigures | null> {
  if (!budget.take(1)) return null;
  try {
    const route = await getRoute(env, topic);
    if (!route) return { topic, kind: kindOf(topic), queues: [] };
    const queues = allQueues(route);
    if (!budget.take(2 * queues.length)) return null;
    const read = await Promise.all(
      queues.map(async (q) => {
        const stub = queueStub(env, topic, q.brokerName, q.queueId);
        // status() answers even while the queue refuses requests (held sends it cannot write): its TPS are then 0.
        const [status, [last]] = await Promise.all([
          stub.status(),
          queueTraffic(env, topic, q, 1, minute).catch(() => [{ minute, in: 0, out: 0 }]),
        ]);
        return {
          brokerName: q.brokerName,
          queueId: q.queueId,
          minOffset: status.minOffset,
          maxOffset: status.maxOffset,
          lastUpdateTimestamp: status.lastUpdateTimestamp,
          putTps: perSecond(last.in),
          getTps: perSecond(last.out),
          failedWrites: status.writes.failedWrites,
          writable: status.writes.writable,
        };
      }),
    );
    return { topic, kind: kindOf(topic), queues: read };
  } catch {
    return null;
  }
}

const normalFirst = (a: string, b: string) => {
  const rank = (t: string) => ['normal', 'retry', 'dlq'].indexOf(kindOf(t));
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
};

/**
 * Reads the cluster's figures now (see the file's comment for the bound).
 * `now` picks the minute the TPS cover: the last complete minute before it.
 * `maxCalls`: the bound on object calls. @defaultValue MAX_CALLS
 */
export async function clusterStats(env: Env, now = Date.now(), maxCalls = MAX_CALLS): Promise<ClusterStats> {
  const budget = new CallBudget(maxCalls);
  const minute = lastCompleteMinute(now);
  budget.take(2); // the two lists
  const [topicNames, groupNames] = await Promise.all([
    withNameServer(env, (ns) => ns.listTopics()).catch(() => null),
    withNameServer(env, (ns) => ns.listGroups()).catch(() => null),
  ]);
  const brokers = await brokerFigures(env, budget);
  const groups = await mapLimited([...(groupNames ?? [])].sort(), READ_AT_ONCE, (g) =>
    groupFigures(env, g, now, budget),
  );
  const topics = await mapLimited([...(topicNames ?? [])].sort(normalFirst), READ_AT_ONCE, (t) =>
    topicFigures(env, t, minute, budget),
  );
  const readGroups = groups.filter((g): g is GroupFigures => g !== null);
  const readTopics = topics.filter((t): t is TopicFigures => t !== null);
  return {
    at: now,
    clusterName: config(env).clusterName,
    minute,
    topics: readTopics,
    groups: readGroups,
    brokers,
    truncated:
      topicNames === null ||
      groupNames === null ||
      readGroups.length < groups.length ||
      readTopics.length < topics.length,
  };
}

let cached: ClusterStats | null = null;
let pending: Promise<ClusterStats> | null = null;

/** `clusterStats`, reused for CACHE_MS per isolate, one read at a time (scrapes however frequent fan out once per interval). */
export async function cachedClusterStats(env: Env, now = Date.now()): Promise<ClusterStats> {
  if (cached && now >= cached.at && now - cached.at < CACHE_MS) return cached;
  pending ??= clusterStats(env, now).finally(() => (pending = null));
  cached = await pending;
  return cached;
}

/** Forgets the cached read (tests). */
export function resetClusterStatsCache(): void {
  cached = null;
}
