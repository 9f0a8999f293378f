import { Hono } from 'hono';
import { FlareError } from '../../core/errors';
import { validateTopic } from '../../core/names';
import { permToString } from '../../core/perm';
import { allQueues } from '../../core/route';
import { parseTopicSpec } from '../../core/topic-config';
import type { Env } from '../../env';
import { brokerCall, config, createOrUpdateTopic, deleteTopic, queueStub, requireRoute, withNameServer } from '../cluster';
import { readJson } from '../request';

/** Topics: create or update, delete, list, route, status. */
export const topics = new Hono<{ Bindings: Env }>();

topics.get('/', async (c) => {
  const names = await withNameServer(c.env, (ns) => ns.listTopics());
  return c.json({ topics: names });
});

topics.put('/:topic', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  const spec = parseTopicSpec(await readJson(c), config(c.env).defaultTopicQueueNums);
  const route = await createOrUpdateTopic(c.env, topic, spec);
  return c.json(route);
});

topics.delete('/:topic', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  if (!(await deleteTopic(c.env, topic))) throw new FlareError('TOPIC_NOT_EXIST', `topic '${topic}' does not exist`);
  return c.json({ topic, deleted: true });
});

topics.get('/:topic/route', async (c) => {
  const route = await requireRoute(c.env, validateTopic(c.req.param('topic')), true);
  return c.json({ ...route, queueDatas: route.queueDatas.map((q) => ({ ...q, permName: permToString(q.perm) })) });
});

topics.get('/:topic/status', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  const route = await requireRoute(c.env, topic);
  const queues = await Promise.all(
    allQueues(route).map(async (q) => ({
      ...q,
      ...(await brokerCall(() => queueStub(c.env, topic, q.brokerName, q.queueId).status())),
    })),
  );
  return c.json({ topic, queues });
});
