/**
 * What a topic's queues hold and carry: their offsets and write state, and
 * messages in and out per minute. Served by routes/topics.ts and read by /metrics.
 */
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
 * Messages in (appended) and out (returned to pulls and pops) per minute over
 * the last `minutes` minutes, summed over the topic's queues: one small read
 * per queue, every minute present (zeros included), oldest first.
 */
export async function topicTraffic(env: Env, topic: string, minutes: number) {
  const route = await requireRoute(env, topic);
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const since = now - (minutes - 1) * 60_000;
  const perQueue = await Promise.all(
    allQueues(route).map((q) => queueStub(env, topic, q.brokerName, q.queueId).minuteStats(since)),
  );
  const series = Array.from({ length: minutes }, (_, i) => ({ minute: since + i * 60_000, in: 0, out: 0 }));
  for (const rows of perQueue) {
    for (const r of rows) {
      const slot = series[(r.minute - since) / 60_000];
      if (slot) {
        slot.in += r.in;
        slot.out += r.out;
      }
    }
  }
  return series;
}
