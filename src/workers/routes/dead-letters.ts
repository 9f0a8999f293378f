import { Hono } from 'hono';
import { parseBodyEncoding } from '../../core/body';
import { FlareError } from '../../core/errors';
import { dlqTopic, retryTopic } from '../../core/group-config';
import { DEFAULT_PULL_MESSAGES, MAX_PULL_MESSAGES } from '../../core/limits';
import { toMessageView, type NewMessage, type StoredMessage } from '../../core/message';
import { decodeMessageId, newUniqueKey, type MessageLocation } from '../../core/msg-id';
import { validateGroup } from '../../core/names';
import { PERM_READ_WRITE } from '../../core/perm';
import { MASTER_ID, allQueues, readableQueues } from '../../core/route';
import type { Env } from '../../env';
import { brokerCall, config, createOrUpdateTopic, getRoute, groupStub, queueStub, requireRoute } from '../cluster';
import { send } from '../producer';
import { intParam, readJson } from '../request';

/** Properties a retried message carries (RocketMQ's names). */
export const PROPERTY_ORIGIN_MESSAGE_ID = 'ORIGIN_MESSAGE_ID';
export const PROPERTY_RETRY_TOPIC = 'RETRY_TOPIC';
export const PROPERTY_RECONSUME_TIME = 'RECONSUME_TIME';

/** A consumer's failed messages: back to the retry topic with a delay, or to the dead-letter topic. */
export const deadLetters = new Hono<{ Bindings: Env }>();

/** The fields of a stored message that make a new one. */
function copyOf(m: StoredMessage): NewMessage {
  return { body: m.body, tags: m.tags, keys: m.keys, properties: m.properties, bornTimestamp: m.bornTimestamp, uniqueKey: m.uniqueKey, reconsumeTimes: m.reconsumeTimes };
}

/** Reads a message by id, or MESSAGE_NOT_FOUND. */
async function readMessage(env: Env, msgId: string): Promise<{ loc: MessageLocation; stored: StoredMessage }> {
  const loc = decodeMessageId(msgId);
  const route = await requireRoute(env, loc.topic);
  if (loc.brokerId !== MASTER_ID || !allQueues(route).some((q) => q.brokerName === loc.brokerName && q.queueId === loc.queueId)) {
    throw new FlareError('MESSAGE_NOT_FOUND', `message ${msgId} is not in a queue of topic '${loc.topic}'`);
  }
  const stored = await brokerCall(() => queueStub(env, loc.topic, loc.brokerName, loc.queueId).get(loc.queueOffset));
  if (!stored) throw new FlareError('MESSAGE_NOT_FOUND', `message ${msgId} not found`);
  return { loc, stored };
}

/** Creates a retry or dead-letter topic (one queue per broker group) unless it exists; true when it was created. */
async function ensureGroupTopic(env: Env, topic: string): Promise<boolean> {
  if (await getRoute(env, topic)) return false;
  await createOrUpdateTopic(env, topic, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_READ_WRITE });
  return true;
}

/**
 * RocketMQ's sendMessageBack: delayLevel 0 means level 3 + reconsumeTimes,
 * -1 means straight to the DLQ. Past the group's maxReconsumeTimes the message
 * goes to %DLQ%{group}; otherwise to %RETRY%{group}, delayed.
 */
deadLetters.post('/groups/:group/retry', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const body = await readJson(c);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object');
  const raw = body as Record<string, unknown>;
  if (typeof raw.msgId !== 'string') throw new FlareError('INVALID_REQUEST', 'msgId is required');
  const levels = config(c.env).delayLevels;
  const requested = raw.delayLevel === undefined ? 0 : raw.delayLevel;
  if (!Number.isInteger(requested) || (requested as number) < -1 || (requested as number) > levels.length) {
    throw new FlareError('INVALID_REQUEST', `delayLevel must be -1 (to the DLQ), 0 (3 + reconsumeTimes) or a level from 1 to ${levels.length}`);
  }
  const view = await brokerCall(() => groupStub(c.env, group).view());
  const { stored } = await readMessage(c.env, raw.msgId);
  const reconsumeTimes = stored.reconsumeTimes + 1;
  const toDlq = requested === -1 || stored.reconsumeTimes >= view.config.maxReconsumeTimes;
  const level = Math.min(requested === 0 ? 3 + stored.reconsumeTimes : (requested as number), levels.length);
  const originTopic = stored.properties[PROPERTY_RETRY_TOPIC] ?? decodeMessageId(raw.msgId).topic;
  const message: NewMessage = {
    ...copyOf(stored),
    reconsumeTimes,
    bornTimestamp: Date.now(),
    properties: {
      ...stored.properties,
      [PROPERTY_ORIGIN_MESSAGE_ID]: stored.properties[PROPERTY_ORIGIN_MESSAGE_ID] ?? raw.msgId,
      [PROPERTY_RETRY_TOPIC]: originTopic,
      [PROPERTY_RECONSUME_TIME]: String(reconsumeTimes),
    },
  };
  const topic = toDlq ? dlqTopic(group) : retryTopic(group);
  const created = await ensureGroupTopic(c.env, topic);
  if (created && !toDlq) await brokerCall(() => groupStub(c.env, group).refresh());
  const deliverAt = toDlq ? undefined : Date.now() + levels[level - 1];
  const [result] = await send(c.env, { topic, batch: false, messages: [message], deliverAt });
  return c.json({ status: toDlq ? 'DLQ' : 'RETRY', topic, reconsumeTimes, delayLevel: toDlq ? undefined : level, deliverAt, result });
});

/** The newest dead letters of the group, at most maxMessages, newest first. */
deadLetters.get('/groups/:group/dlq', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const max = intParam(c.req.query('maxMessages'), 'maxMessages', { min: 1, max: MAX_PULL_MESSAGES, fallback: DEFAULT_PULL_MESSAGES });
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const topic = dlqTopic(group);
  const route = await getRoute(c.env, topic);
  if (!route) return c.json({ group, topic, messages: [], total: 0 });
  const perQueue = await Promise.all(
    readableQueues(route).map(async (q) => {
      const stub = queueStub(c.env, topic, q.brokerName, q.queueId);
      const status = await brokerCall(() => stub.status());
      const latest = await brokerCall(() => stub.latest(max));
      const views = latest.map((m) => toMessageView(m, { topic, brokerName: q.brokerName, brokerId: MASTER_ID, queueId: q.queueId }, encoding));
      return { views, count: status.maxOffset - status.minOffset };
    }),
  );
  const messages = perQueue.flatMap((p) => p.views).sort((a, b) => b.storeTimestamp - a.storeTimestamp || b.queueOffset - a.queueOffset);
  return c.json({ group, topic, messages: messages.slice(0, max), total: perQueue.reduce((sum, p) => sum + p.count, 0) });
});

/** Sends a dead letter back to its original topic as a new message (reconsumeTimes 0). */
deadLetters.post('/groups/:group/dlq/:msgId/resend', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const msgId = c.req.param('msgId');
  if (decodeMessageId(msgId).topic !== dlqTopic(group)) {
    throw new FlareError('INVALID_REQUEST', `message ${msgId} is not in ${dlqTopic(group)}`);
  }
  const { stored } = await readMessage(c.env, msgId);
  const topic = stored.properties[PROPERTY_RETRY_TOPIC];
  if (!topic) throw new FlareError('INVALID_REQUEST', `message ${msgId} does not say its original topic (${PROPERTY_RETRY_TOPIC})`);
  const { [PROPERTY_RECONSUME_TIME]: _dropped, ...properties } = stored.properties;
  const message: NewMessage = { ...copyOf(stored), properties, reconsumeTimes: 0, bornTimestamp: Date.now(), uniqueKey: newUniqueKey() };
  const [result] = await send(c.env, { topic, batch: false, messages: [message] });
  return c.json({ group, resentFrom: msgId, ...result });
});
