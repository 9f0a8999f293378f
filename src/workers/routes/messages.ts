import { Hono } from 'hono';
import { parseBodyEncoding } from '../../core/body';
import { FlareError } from '../../core/errors';
import { MAX_QUERY_MESSAGES } from '../../core/limits';
import { messageViews, parseSendRequest, toMessageView, type MessageView, type SendRequest } from '../../core/message';
import { decodeMessageId } from '../../core/msg-id';
import { validateTopic } from '../../core/names';
import { refuseReservedProperties } from '../../core/system-properties';
import { MASTER_ID, allQueues } from '../../core/route';
import type { Env } from '../../env';
import { brokerCall, config, queueStub, requireRoute } from '../cluster';
import { send } from '../producer';
import { boolParam, intParam, readJson } from '../request';
import { transactionOf } from '../transactions';
import { sendTransactional } from './transactions';

/** Sending to a topic, and finding messages by key, unique key and id. */
export const messages = new Hono<{ Bindings: Env }>();

/** A send's body checked as every send is (REST and producer streams): the request to send. */
export function checkedSendRequest(env: Env, topic: string, body: unknown): SendRequest {
  const req = parseSendRequest(topic, body, config(env));
  req.messages.forEach((m, i) => refuseReservedProperties(m.properties, req.batch ? `messages[${i}].` : ''));
  return req;
}

messages.post('/topics/:topic/messages', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  const oneway = boolParam(c.req.query('oneway'), 'oneway');
  const body = await readJson(c);
  const req = checkedSendRequest(c.env, topic, body);
  const transaction = transactionOf(body);
  if (transaction) return c.json(await sendTransactional(c.env, body as Record<string, unknown>, req, transaction, oneway));
  if (oneway) {
    c.executionCtx.waitUntil(send(c.env, req).catch((err) => console.error(`oneway send to '${topic}' failed`, err)));
    return c.json({ status: 'ACCEPTED', count: req.messages.length }, 202);
  }
  const results = await send(c.env, req);
  return c.json(req.batch ? { results } : results[0]);
});

messages.get('/topics/:topic/messages', async (c) => {
  const topic = validateTopic(c.req.param('topic'));
  const key = c.req.query('key');
  const uniqueKey = c.req.query('uniqueKey');
  if ((key === undefined) === (uniqueKey === undefined) || key === '' || uniqueKey === '') {
    throw new FlareError('INVALID_REQUEST', 'give exactly one of key or uniqueKey (non-empty)');
  }
  const max = intParam(c.req.query('maxMessages'), 'maxMessages', { min: 1, max: MAX_QUERY_MESSAGES, fallback: MAX_QUERY_MESSAGES });
  const begin = intParam(c.req.query('begin'), 'begin', { fallback: 0 });
  const end = intParam(c.req.query('end'), 'end', { fallback: Number.MAX_SAFE_INTEGER });
  if (begin > end) throw new FlareError('INVALID_REQUEST', 'begin must not be after end');
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const route = await requireRoute(c.env, topic);
  const found = await Promise.all(
    allQueues(route).map(async (q) => {
      const stub = queueStub(c.env, topic, q.brokerName, q.queueId);
      const stored = await brokerCall(() => (key !== undefined ? stub.queryByKey(key, begin, end, max) : stub.queryByUniqueKey(uniqueKey!, max)));
      return stored.map(messageViews({ topic, brokerId: MASTER_ID, ...q }, encoding));
    }),
  );
  const views: MessageView[] = found.flat().sort((a, b) => b.storeTimestamp - a.storeTimestamp || b.queueOffset - a.queueOffset);
  return c.json({ topic, messages: views.slice(0, max) });
});

messages.get('/messages/:msgId', async (c) => {
  const loc = decodeMessageId(c.req.param('msgId'));
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const route = await requireRoute(c.env, loc.topic);
  if (loc.brokerId !== MASTER_ID) {
    throw new FlareError('MESSAGE_NOT_FOUND', `message ${c.req.param('msgId')} names brokerId ${loc.brokerId}; messages are read from masters (brokerId 0)`);
  }
  if (!allQueues(route).some((q) => q.brokerName === loc.brokerName && q.queueId === loc.queueId)) {
    throw new FlareError('MESSAGE_NOT_FOUND', `message ${c.req.param('msgId')} not found: topic '${loc.topic}' has no queue ${loc.brokerName}/${loc.queueId} now`);
  }
  const stored = await brokerCall(() => queueStub(c.env, loc.topic, loc.brokerName, loc.queueId).get(loc.queueOffset));
  if (!stored) throw new FlareError('MESSAGE_NOT_FOUND', `message ${c.req.param('msgId')} not found (deleted, or never stored)`);
  return c.json(toMessageView(stored, loc, encoding));
});
