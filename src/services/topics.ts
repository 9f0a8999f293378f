/**
 * What a topic's queues hold and carry: their offsets and write state, and
 * messages in and out per minute. Served by routes/topics.ts and read by /metrics.
 */
import { minutesUpTo, trafficOn, type MinuteTraffic } from '../core/minutes';
import { allQueues } from '../core/route';
import type { Env } from '../env';
import { queueStub, requireRoute } from './cluster';

/** Every queue object of the topic with its status; `counters` adds what each object wrote since it started. */
export async function topicStatus(env: Env, topic: string, counters = false) {
  const route = await requireRoute(env, topic);
  return Promise.all(
    allQueues(route).map(async (q) => {
      // The write counters are the objects' since they started, not the queue's state: only when asked.
      const { storage, ...status } = await queueStub(env, topic, q.brokerName, q.queueId).status();
      return { ...q, ...status, ...(counters ? { storage } : {}) };
    }),
  );
}

/**
 * One queue's messages in and out per minute over the `minutes` minutes up to
 * `now`'s (the current one last): one small read, every minute present (zeros
 * included), oldest first.
 */
export async function queueTraffic(
  env: Env,
  topic: string,
  q: { brokerName: string; queueId: number },
  minutes: number,
  now = Date.now(),
): Promise<MinuteTraffic[]> {
  const span = minutesUpTo(now, minutes);
  return trafficOn(span, await queueStub(env, topic, q.brokerName, q.queueId).minuteStats(span[0]));
}

/**
 * Messages in (appended) and out (returned to pulls and pops) per minute over
 * the last `minutes` minutes, summed over the topic's queues: one small read
 * per queue, every minute present (zeros included), oldest first.
 */
export async function topicTraffic(env: Env, topic: string, minutes: number, now = Date.now()) {
  const route = await requireRoute(env, topic);
  const perQueue = await Promise.all(allQueues(route).map((q) => queueTraffic(env, topic, q, minutes, now)));
  return trafficOn(minutesUpTo(now, minutes), perQueue.flat());
}
