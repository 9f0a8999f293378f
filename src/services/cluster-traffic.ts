/**
 * Messages in and out per minute over the whole cluster: every topic's
 * per-minute counts (services/topics.ts, read from the queue objects), summed,
 * with each topic's share. Served by GET /api/v1/cluster/stats (the
 * dashboard's overview).
 */
import { FlareError } from '../core/errors';
import { minutesUpTo, trafficOn } from '../core/minutes';
import type { Env } from '../env';
import { withNameServer } from './cluster';
import { topicTraffic } from './topics';

/** Every minute of the last `minutes` (the current one last), summed over every topic; and each topic's totals over them, busiest first. */
export async function clusterTraffic(env: Env, minutes: number) {
  const now = Date.now(); // one span for every topic
  const topics = await withNameServer(env, (ns) => ns.listTopics());
  // A topic deleted since the list was read counts nothing.
  const perTopic = await Promise.all(
    topics.map((topic) =>
      topicTraffic(env, topic, minutes, now).catch((err: unknown) => {
        if (err instanceof FlareError && err.code === 'TOPIC_NOT_EXIST') return [];
        throw err;
      }),
    ),
  );
  const totals = perTopic.flatMap((rows, i) =>
    rows.length === 0
      ? []
      : [
          {
            topic: topics[i],
            in: rows.reduce((n, r) => n + r.in, 0),
            out: rows.reduce((n, r) => n + r.out, 0),
          },
        ],
  );
  totals.sort((a, b) => b.in + b.out - (a.in + a.out) || a.topic.localeCompare(b.topic));
  return { minutes: trafficOn(minutesUpTo(now, minutes), perTopic.flat()), topics: totals };
}
