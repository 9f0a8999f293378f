/**
 * A consumer group at a glance, as RocketMQ Dashboard's consumer page shows
 * one: members, message model, consume TPS, lag (diff) now and per minute, and
 * how many of its messages wait in its retry topic and lie in its DLQ. Served
 * by GET /api/v1/groups/{group}/stats (the dashboard's groups page).
 */
import { consumeTps, queueLagHistory, sumHistories, type GroupMinute } from '../core/lag-history';
import { dlqTopic, offsetKeyOf, retryTopic } from '../core/group-config';
import { minutesUpTo } from '../core/minutes';
import { allQueues, readableQueues } from '../core/route';
import type { GroupStatus } from '../durable-objects/consumer-group';
import type { Env } from '../env';
import { getRoute, groupStub, queueStub } from './cluster';

/** Messages stored in a topic's queues and delayed ones waiting for their time; zeros when the topic does not exist. */
async function stored(env: Env, topic: string): Promise<{ messages: number; delayed: number }> {
  const route = await getRoute(env, topic);
  if (!route) return { messages: 0, delayed: 0 };
  const statuses = await Promise.all(
    allQueues(route).map((q) => queueStub(env, topic, q.brokerName, q.queueId).status()),
  );
  return {
    messages: statuses.reduce((n, s) => n + s.maxOffset - s.minOffset, 0),
    delayed: statuses.reduce((n, s) => n + s.pendingTimers, 0),
  };
}

/** One readable queue of a topic the group consumes, with the group's consumption and lag on it per minute. */
export interface QueueHistory {
  topic: string;
  brokerName: string;
  queueId: number;
  minutes: GroupMinute[];
}

/**
 * Per readable queue of every topic the group consumes: the messages its
 * commits moved over and its lag, per minute of the `minutes` minutes up to
 * `now`'s (the current one last); one call per queue (none in broadcasting
 * without members). `status`: the group's status, just read.
 */
export async function groupHistory(
  env: Env,
  group: string,
  status: GroupStatus,
  minutes: number,
  now = Date.now(),
): Promise<QueueHistory[]> {
  const keys =
    status.config.messageModel === 'BROADCASTING'
      ? status.members.map((m) => offsetKeyOf(group, 'BROADCASTING', m.instanceName))
      : [group];
  const since = minutesUpTo(now, minutes)[0];
  const perTopic = await Promise.all(
    status.topics.map(async (topic) => {
      const route = await getRoute(env, topic);
      if (!route || keys.length === 0) return [];
      return Promise.all(
        readableQueues(route).map(async (q) => {
          const h = await queueStub(env, topic, q.brokerName, q.queueId).offsetHistory(keys, since);
          return { topic, brokerName: q.brokerName, queueId: q.queueId, minutes: queueLagHistory(h, since, now) };
        }),
      );
    }),
  );
  return perTopic.flat();
}

/**
 * The group's figures and, per minute of the last `minutes` (the current one
 * last), the messages it consumed and its lag, summed over every readable
 * queue of the topics it consumes (as GET /groups/{group}/lag counts them).
 */
export async function groupStats(env: Env, group: string, minutes: number) {
  const status = await groupStub(env, group).status();
  const now = Date.now();
  const since = minutesUpTo(now, minutes)[0];
  const history = await groupHistory(env, group, status, minutes, now);
  const series = sumHistories(
    history.map((q) => q.minutes),
    since,
    now,
  );
  const [retry, dlq] = await Promise.all([stored(env, retryTopic(group)), stored(env, dlqTopic(group))]);
  return {
    group,
    messageModel: status.config.messageModel,
    consumeOrderly: status.config.consumeOrderly,
    memberCount: status.members.length,
    generation: status.generation,
    consumeTps: consumeTps(series, now),
    diffTotal: series[series.length - 1]?.lag ?? 0,
    retry,
    dlq: dlq.messages,
    minutes: series,
  };
}
