import { Hono } from 'hono';
import { parseBodyEncoding } from '../../core/body';
import { FlareError } from '../../core/errors';
import { dlqTopic, reconsumeLimit } from '../../core/group-config';
import { DEFAULT_PULL_MESSAGES, MAX_PULL_MESSAGES } from '../../core/limits';
import { messageViews } from '../../core/message';
import { validateGroup } from '../../core/names';
import { MASTER_ID, readableQueues } from '../../core/route';
import type { Env } from '../../env';
import { brokerCall, config, getRoute, groupStub, queueStub } from '../cluster';
import { failedMessage, resendDeadLetter, sendMessageBack } from '../dead-letters';
import { intParam, readJson } from '../request';

/** A consumer's failed messages: back to the retry topic with a delay, or to the dead-letter topic. */
export const deadLetters = new Hono<{ Bindings: Env }>();

/**
 * RocketMQ's sendMessageBack: delayLevel 0 means level 3 + reconsumeTimes,
 * -1 means straight to the DLQ. Past the group's maxReconsumeTimes the message
 * goes to %DLQ%{group}; otherwise to %RETRY%{group}, delayed. `message`, the
 * consumer's copy, is sent instead when the original cannot be read (see failedMessage).
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
  const stored = await failedMessage(c.env, raw.msgId, raw.message);
  const toDlq = requested === -1 || stored.reconsumeTimes >= reconsumeLimit(view.config.maxReconsumeTimes, false);
  const delayLevel = Math.min(requested === 0 ? 3 + stored.reconsumeTimes : (requested as number), levels.length);
  return c.json(await sendMessageBack(c.env, { group, msgId: raw.msgId, message: stored, reconsumeTimes: stored.reconsumeTimes + 1, toDlq, delayLevel }));
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
      const views = latest.map(messageViews({ topic, brokerName: q.brokerName, brokerId: MASTER_ID, queueId: q.queueId }, encoding));
      return { views, count: status.maxOffset - status.minOffset };
    }),
  );
  const messages = perQueue.flatMap((p) => p.views).sort((a, b) => b.storeTimestamp - a.storeTimestamp || b.queueOffset - a.queueOffset);
  return c.json({ group, topic, messages: messages.slice(0, max), total: perQueue.reduce((sum, p) => sum + p.count, 0) });
});

/** Sends a dead letter back to the group that dead-lettered it only, through its retry topic (see resendDeadLetter). */
deadLetters.post('/groups/:group/dlq/:msgId/resend', async (c) => {
  const group = validateGroup(c.req.param('group'));
  return c.json(await resendDeadLetter(c.env, group, c.req.param('msgId')));
});
