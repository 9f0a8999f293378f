import { Hono } from 'hono';
import { parseBodyEncoding } from '../../core/body';
import { DEFAULT_PULL_MESSAGES, MAX_PULL_MESSAGES, MAX_PULL_WAIT_MS, MAX_QUEUE_ID } from '../../core/limits';
import { messageViews } from '../../core/message';
import { validateBrokerName, validateTopic } from '../../core/names';
import { MASTER_ID, requireReadableQueue } from '../../core/route';
import { parseTagExpression } from '../../core/tag-filter';
import type { Env } from '../../env';
import { requireRoute } from '../cluster';
import { onReadableCopy, type QueueCopy } from '../replica-reads';
import { intParam } from '../request';
import { countPulled } from '../metrics-registry';

/** Pulling one queue, and finding the offset of a time in it. */
export const pull = new Hono<{ Bindings: Env }>();

async function readableQueue(env: Env, params: { topic: string; brokerName: string; queueId: string }) {
  const topic = validateTopic(params.topic);
  const brokerName = validateBrokerName(params.brokerName);
  const queueId = intParam(params.queueId, 'queueId', { max: MAX_QUEUE_ID });
  const route = await requireRoute(env, topic);
  requireReadableQueue(route, brokerName, queueId);
  // The master's copy, or a slave's while the master is down.
  const onCopy = <T>(call: (stub: QueueCopy) => Promise<T>) => onReadableCopy(env, route, topic, brokerName, queueId, call);
  return { topic, brokerName, queueId, onCopy };
}

pull.get('/topics/:topic/queues/:brokerName/:queueId/messages', async (c) => {
  const q = await readableQueue(c.env, c.req.param());
  const offset = intParam(c.req.query('offset'), 'offset', { code: 'INVALID_OFFSET' });
  const maxMessages = intParam(c.req.query('maxMessages'), 'maxMessages', { min: 1, max: MAX_PULL_MESSAGES, fallback: DEFAULT_PULL_MESSAGES });
  const waitMs = intParam(c.req.query('waitMs'), 'waitMs', { max: MAX_PULL_WAIT_MS, fallback: 0 });
  const tags = parseTagExpression(c.req.query('tags'));
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const result = await q.onCopy((stub) => stub.pull({ offset, maxMessages, tags, waitMs }));
  const loc = { topic: q.topic, brokerName: q.brokerName, brokerId: MASTER_ID, queueId: q.queueId };
  countPulled(q.topic, result.messages);
  return c.json({ ...result, messages: result.messages.map(messageViews(loc, encoding)) });
});

pull.get('/topics/:topic/queues/:brokerName/:queueId/offset', async (c) => {
  const q = await readableQueue(c.env, c.req.param());
  const timestamp = intParam(c.req.query('timestamp'), 'timestamp');
  const offset = await q.onCopy((stub) => stub.searchOffset(timestamp));
  return c.json({ topic: q.topic, brokerName: q.brokerName, queueId: q.queueId, timestamp, offset });
});
