import { Hono } from 'hono';
import { FlareError } from '../../core/errors';
import { STATS_KEEP_MINUTES } from '../../core/limits';
import { validateTopic } from '../../core/names';
import { permToString } from '../../core/perm';
import { allQueues, type TopicRoute } from '../../core/route';
import { parseTopicSpec } from '../../core/topic-config';
import type { Env } from '../../env';
import { brokerCall, config, createOrUpdateTopic, deleteTopic, queueStub, requireRoute, withNameServer } from '../cluster';
import { intParam, readJson } from '../request';

/** A route as the API shows it: perm also as letters ("RW"). */
const routeView = (route: TopicRoute) => ({ ...route, queueDatas: route.queueDatas.map((q) => ({ ...q, permName: permToString(q.perm) })) });

/** Topics: create or update, delete, list, route, status. */
export const topics = new Hono<{ Bindings: Env }>();

topics.get('/', async (c) => {
  const names = await withNameServer(c.env, (ns) => ns.listTopics());
  return c.json({ topics: names });
});

topics.put('/:topic', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  const spec = parseTopicSpec(await readJson(c, {}), config(c.env).defaultTopicQueueNums);
  return c.json(routeView(await createOrUpdateTopic(c.env, topic, spec)));
});

topics.delete('/:topic', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  if (!(await deleteTopic(c.env, topic))) throw new FlareError('TOPIC_NOT_EXIST', `topic '${topic}' does not exist`);
  return c.json({ topic, deleted: true });
});

topics.get('/:topic/route', async (c) => {
  return c.json(routeView(await requireRoute(c.env, validateTopic(c.req.param('topic')), true)));
});

topics.get('/:topic/status', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  const route = await requireRoute(c.env, topic);
  // The write counters are the objects' since they started, not the queue's state: only when asked.
  const counters = c.req.query('counters') === 'true';
  const queues = await Promise.all(
    allQueues(route).map(async (q) => {
      const { storage, ...status } = await brokerCall(() => queueStub(c.env, topic, q.brokerName, q.queueId).status());
      return { ...q, ...status, ...(counters ? { storage } : {}) };
    }),
  );
  return c.json({ topic, queues });
});

/** Most minutes of traffic a stats request covers (queues keep two hours). */
export const MAX_STATS_MINUTES = STATS_KEEP_MINUTES;

/**
 * Messages in (appended) and out (returned to pulls and pops) per minute over
 * the last `minutes` minutes, summed over the topic's queues: one small read
 * per queue, every minute present (zeros included), oldest first.
 */
topics.get('/:topic/stats', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  const minutes = intParam(c.req.query('minutes'), 'minutes', { min: 1, max: MAX_STATS_MINUTES, fallback: 60 });
  const route = await requireRoute(c.env, topic);
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const since = now - (minutes - 1) * 60_000;
  const perQueue = await Promise.all(allQueues(route).map((q) => brokerCall(() => queueStub(c.env, topic, q.brokerName, q.queueId).minuteStats(since))));
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
  return c.json({ topic, minutes: series });
});

