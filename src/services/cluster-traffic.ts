/**
 * Messages in and out per minute over the whole cluster: every topic's
 * per-minute counts (services/topics.ts, read from the queue objects), summed,
 * with each topic's share. Served by GET /api/v1/cluster/stats (the
 * dashboard's overview).
 */
import { FlareError } from '../core/errors';
import type { Env } from '../env';
import { withNameServer } from './cluster';
import { topicTraffic } from './topics';

/** Every minute of the last `minutes` (the current one last), summed over every topic; and each topic's totals over them, busiest first. */
export async function clusterTraffic(env: Env, minutes: number) {
  const topics = await withNameServer(env, (ns) => ns.listTopics());
  // A topic deleted since the list was read counts nothing.
  const perTopic = await Promise.all(
    topics.map((topic) =>
      topicTraffic(env, topic, minutes).catch((err: unknown) => {
        if (err instanceof FlareError && err.code === 'TOPIC_NOT_EXIST') return null;
        throw err;
      }),
    ),
  );
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const series = Array.from({ length: minutes }, (_, i) => ({
    minute: now - (minutes - 1 - i) * 60_000,
    in: 0,
    out: 0,
  }));
  const totals = [];
  for (const [i, rows] of perTopic.entries()) {
    if (!rows) continue;
    let msgsIn = 0;
    let msgsOut = 0;
    for (const r of rows) {
      const slot = series.find((s) => s.minute === r.minute);
      if (slot) {
        slot.in += r.in;
        slot.out += r.out;
      }
      msgsIn += r.in;
      msgsOut += r.out;
    }
    totals.push({ topic: topics[i], in: msgsIn, out: msgsOut });
  }
  totals.sort((a, b) => b.in + b.out - (a.in + a.out) || a.topic.localeCompare(b.topic));
  return { minutes: series, topics: totals };
}
