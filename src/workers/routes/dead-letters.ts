import { MAX_DELAY_LEVELS, parseDelayLevels } from '../../core/delay-levels';
import { FlareError } from '../../core/errors';
import { dlqTopic, reconsumeLimit, retryTopic } from '../../core/group-config';
import { DEFAULT_PULL_MESSAGES, MAX_PULL_BYTES, MAX_PULL_MESSAGES } from '../../core/limits';
import { messageViews } from '../../core/message';
import { MASTER_ID, readableQueues } from '../../core/route';
import { declareRoute, router } from '../api/declare';
import { BodyEncodingQuery, GroupName, intText, json, requestBodyNote, z } from '../api/fields';
import { GroupPath } from '../api/group-models';
import { MessageId, MessageView, millis } from '../api/models';
import { DelayedSendResult, SendResult } from '../api/send';
import { config, getRoute, groupStub, queueStub } from '../../services/cluster';
import { failedMessage, resendDeadLetter, sendMessageBack } from '../../services/dead-letters';
import { admin, consumer, field, messageIdTopics } from '../security/requirements';

/** A consumer's failed messages: back to the retry topic with a delay, or to the dead-letter topic. */
export const deadLetters = router();
const tags = ['groups'];

const delayLevelText = `-1: straight to the dead-letter topic. 0: level 3 + the message's reconsumeTimes. Otherwise a level from 1 to the number of levels of the MESSAGE_DELAY_LEVEL var (default ${parseDelayLevels(undefined).length}, at most ${MAX_DELAY_LEVELS}). Levels above the last are capped to it. INVALID_REQUEST outside -1 to the number of levels.`;

const RetryRequest = z
  .object({
    // An absent msgId is INVALID_REQUEST, a malformed one INVALID_MESSAGE_ID (core/msg-id).
    msgId: z
      .custom<string>((v) => typeof v === 'string', {
        params: { code: 'INVALID_REQUEST' },
        error: 'msgId is required: the id of the failed message',
      })
      .pipe(MessageId)
      .openapi({
        type: 'string',
        description: 'The msgId of the failed message (a MessageId; INVALID_MESSAGE_ID when it is not one).',
      }),
    // INVALID_REQUEST rather than the INVALID_DELAY of a send's delayLevel (its field name's code); the upper bound is the deployment's (checked below).
    delayLevel: z
      .custom<number>((v) => Number.isSafeInteger(v) && (v as number) >= -1, {
        params: { code: 'INVALID_REQUEST' },
        error: 'delayLevel must be -1 (to the DLQ), 0 (3 + reconsumeTimes) or a level >= 1',
      })
      .default(0)
      .openapi({ type: 'integer', minimum: -1, maximum: MAX_DELAY_LEVELS, description: delayLevelText }),
    message: z.unknown().optional().openapi({
      description:
        "The consumer's copy of the message (a message as a send takes it (MessageInput), plus `reconsumeTimes`, failed deliveries so far, default 0), sent instead of the original when the original cannot be read: retention deleted it, its master is down, or its topic is gone (RocketMQ's sendMessageBackAsNormalMessage). Read only then; INVALID_MESSAGE and the send's other codes when it is malformed.",
    }),
  })
  .openapi('RetryRequest');

const reconsumed = z.number().int().min(1).openapi({ description: "The message's reconsumeTimes + 1." });
const RetryResult = z
  .union([
    z
      .object({
        status: z.literal('RETRY'),
        topic: z.string().openapi({ description: `The retry topic, \`${retryTopic('{group}')}\`.` }),
        reconsumeTimes: reconsumed,
        delayLevel: z.number().int().min(1).max(MAX_DELAY_LEVELS).openapi({ description: 'The level used.' }),
        deliverAt: millis('When the retry becomes due'),
        result: z
          .union([DelayedSendResult, SendResult])
          .openapi({ description: 'The send result: delayed (a SendResult if it was already due when sent).' }),
      })
      .openapi({ title: 'RETRY' }),
    z
      .object({
        status: z.literal('DLQ'),
        topic: z.string().openapi({ description: `The dead-letter topic, \`${dlqTopic('{group}')}\`.` }),
        reconsumeTimes: reconsumed,
        result: SendResult,
      })
      .openapi({ title: 'DLQ' }),
  ])
  .openapi('RetryResult', {
    description:
      "Where the failed message went: the retry topic, delayed, or the dead-letter topic once its reconsumeTimes reach the group's maxReconsumeTimes (or with delayLevel -1).",
  });

declareRoute(
  deadLetters,
  {
    method: 'post',
    path: '/groups/{group}/retry',
    operationId: 'retryMessage',
    tags,
    summary: 'Send a failed message back',
    description: [
      `RocketMQ's sendMessageBack. The message is copied with reconsumeTimes + 1 and the properties ORIGIN_MESSAGE_ID, RETRY_TOPIC (the original topic) and RECONSUME_TIME. It goes to the retry topic \`${retryTopic('{group}')}\`, delayed by the level; when its reconsumeTimes already reach the group's maxReconsumeTimes, or with delayLevel -1, it goes to the dead-letter topic \`${dlqTopic('{group}')}\` instead.`,
      'Both topics are created on first use, with one queue per broker group whose master answers; a new retry topic rebalances the group.',
      "When the original cannot be read (retention deleted it, its master is down), the request's `message`, the consumer's copy, is sent instead; without one the original's error is answered.",
      requestBodyNote,
    ].join('\n\n'),
    // The id's topic whether the original or the consumer's copy (`message`) is sent back: the copy goes to the group's own topics only.
    need: consumer('sending a message back', ({ body }) => messageIdTopics(field(body, 'msgId'))),
    request: { params: GroupPath, body: { schema: RetryRequest, description: 'The message id and the delay level.' } },
    responses: { 200: json(RetryResult, 'Where the message went.') },
    errors: [
      'MALFORMED_JSON',
      'INVALID_REQUEST',
      'INVALID_GROUP_NAME',
      'INVALID_MESSAGE_ID',
      'NO_PERMISSION',
      'GROUP_NOT_EXIST',
      'TOPIC_NOT_EXIST',
      'MESSAGE_NOT_FOUND',
      'INVALID_MESSAGE',
      'MESSAGE_TOO_LARGE',
      'PROPERTIES_TOO_LARGE',
      'REQUEST_TOO_LARGE',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group }, body: { msgId, delayLevel: requested, message } }) => {
    const levels = config(c.env).delayLevels;
    if (requested > levels.length)
      throw new FlareError(
        'INVALID_REQUEST',
        `delayLevel must be -1 (to the DLQ), 0 (3 + reconsumeTimes) or a level from 1 to ${levels.length}`,
      );
    const view = await groupStub(c.env, group).view();
    const stored = await failedMessage(c.env, msgId, message);
    const toDlq = requested === -1 || stored.reconsumeTimes >= reconsumeLimit(view.config.maxReconsumeTimes, false);
    const delayLevel = Math.min(requested === 0 ? 3 + stored.reconsumeTimes : requested, levels.length);
    return c.json(
      await sendMessageBack(c.env, {
        group,
        msgId,
        message: stored,
        reconsumeTimes: stored.reconsumeTimes + 1,
        toDlq,
        delayLevel,
      }),
    );
  },
);

const DeadLetters = z
  .object({
    group: GroupName,
    topic: z.string().openapi({ description: `The dead-letter topic, \`${dlqTopic('{group}')}\`.` }),
    messages: z
      .array(MessageView)
      .openapi({ description: 'At most maxMessages, newest first (by store time, then queue offset).' }),
    total: z.number().int().min(0).openapi({ description: 'Messages the dead-letter topic holds.' }),
  })
  .openapi('DeadLetters');

declareRoute(
  deadLetters,
  {
    method: 'get',
    path: '/groups/{group}/dlq',
    operationId: 'listDeadLetters',
    tags,
    summary: "A group's newest dead letters",
    description: `Pulls the last maxMessages offsets of each queue of \`${dlqTopic('{group}')}\` and answers the newest maxMessages of them. Each queue's pull stops once bodies pass ${MAX_PULL_BYTES} bytes, so with large bodies it may return fewer, older messages of that window. An empty list when the topic does not exist; the group itself is not checked.`,
    need: consumer('reading dead letters'),
    request: {
      params: GroupPath,
      query: z.object({
        maxMessages: intText({
          min: 1,
          max: MAX_PULL_MESSAGES,
          default: DEFAULT_PULL_MESSAGES,
          description: 'Most messages to return.',
        }),
        bodyEncoding: BodyEncodingQuery,
      }),
    },
    responses: { 200: json(DeadLetters, 'The dead letters and how many there are.') },
    errors: [
      'INVALID_REQUEST',
      'INVALID_GROUP_NAME',
      'TOPIC_NOT_EXIST',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group }, query: { maxMessages: max, bodyEncoding } }) => {
    const topic = dlqTopic(group);
    const route = await getRoute(c.env, topic);
    if (!route) return c.json({ group, topic, messages: [], total: 0 });
    const perQueue = await Promise.all(
      readableQueues(route).map(async (q) => {
        const stub = queueStub(c.env, topic, q.brokerName, q.queueId);
        const status = await stub.status();
        const latest = await stub.latest(max);
        const views = latest.map(
          messageViews({ topic, brokerName: q.brokerName, brokerId: MASTER_ID, queueId: q.queueId }, bodyEncoding),
        );
        return { views, count: status.maxOffset - status.minOffset };
      }),
    );
    const messages = perQueue
      .flatMap((p) => p.views)
      .sort((a, b) => b.storeTimestamp - a.storeTimestamp || b.queueOffset - a.queueOffset);
    return c.json({
      group,
      topic,
      messages: messages.slice(0, max),
      total: perQueue.reduce((sum, p) => sum + p.count, 0),
    });
  },
);

declareRoute(
  deadLetters,
  {
    method: 'post',
    path: '/groups/{group}/dlq/{msgId}/resend',
    operationId: 'resendDeadLetter',
    tags,
    summary: 'Send a dead letter back to its group',
    description: `Sends a copy to the group's retry topic \`${retryTopic('{group}')}\` (created on demand), consumable at once, so that the group that dead-lettered it consumes it again and no other group of its topic does (as RocketMQ's dashboard, which hands it to a client of the group). The copy is a new message: reconsumeTimes 0, a new uniqueKey, RECONSUME_TIME dropped, ORIGIN_MESSAGE_ID and RETRY_TOPIC (the original topic, shown as the message's topic by the SDK) kept. The dead letter stays in the DLQ.`,
    need: admin('resending a dead letter'),
    request: {
      params: GroupPath.extend({
        msgId: MessageId.openapi({
          description: `A msgId of a message in \`${dlqTopic('{group}')}\` (INVALID_REQUEST otherwise).`,
        }),
      }),
    },
    responses: {
      200: json(
        SendResult.extend({ group: GroupName, resentFrom: MessageId }).openapi('DeadLetterResent', {
          description: 'The send result of the new message, with the group and the dead letter it was made from.',
        }),
        'The send result of the new message.',
      ),
    },
    errors: [
      'INVALID_REQUEST',
      'INVALID_GROUP_NAME',
      'INVALID_MESSAGE_ID',
      'NO_PERMISSION',
      'TOPIC_NOT_EXIST',
      'MESSAGE_NOT_FOUND',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group, msgId } }) => c.json(await resendDeadLetter(c.env, group, msgId)),
);
