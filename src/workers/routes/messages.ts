import { PUB, SUB } from '../../core/acl';
import { FlareError } from '../../core/errors';
import { MAX_QUERY_MESSAGES } from '../../core/limits';
import { messageViews, toMessageView, type MessageView as View } from '../../core/message';
import { decodeMessageId } from '../../core/msg-id';
import { MASTER_ID, allQueues } from '../../core/route';
import { declareRoute, router } from '../api/declare';
import { BodyEncodingQuery, TopicName, boolText, intText, json, requestBodyNote, z } from '../api/fields';
import { MessageId, MessageView } from '../api/models';
import { OnewayAccepted, SEND_CODES, SendAnswer, SendBody, checkedSendRequest } from '../api/send';
import { issue } from '../api/validation';
import { queueStub, requireRoute } from '../../services/cluster';
import { SEND_RETRIES, send } from '../../services/send';
import { messageIdTopics, onTopic } from '../security/requirements';
import { sendHalfMessage, transactionOf } from '../../services/transactions';
import { log } from '../../log';

/** Sending to a topic, and finding messages by key, unique key and id. */
export const messages = router();

const tags = ['messages'];
const TopicPath = z.object({ topic: TopicName });

declareRoute(
  messages,
  {
    method: 'post',
    path: '/topics/{topic}/messages',
    operationId: 'sendMessages',
    tags,
    summary: 'Send a message or a batch',
    description: [
      'Validates everything, then appends the message or the whole batch atomically to one queue: the explicit `queue`, the queue of `shardingKey`, or the next writable queue in round robin.',
      `A round-robin send that fails on a broker group is retried up to ${SEND_RETRIES} times on another group; sends by shardingKey or to an explicit queue are not moved. A send to a topic that does not exist creates it when the AUTO_CREATE_TOPIC_ENABLE var is on (the default).`,
      `With \`oneway=true\` the Worker answers 202 once the request is valid and sends in the background; a failure after that is only logged. ${requestBodyNote}`,
      'With `delayLevel`, `delayMs` or `deliverAt` (at most one, at the top level) the message or batch waits in the chosen queue until due and only then gets its offset: the answer is a DelayedSendResult per message, with a `timerHandle` to read or cancel it by. A `deliverAt` that is not in the future sends at once.',
      'With `transaction` the send is a half message of that producer group (one message, not delayed, not oneway): it waits invisible in the chosen queue until committed or rolled back by its `transactionHandle`, or checked back. The answer is a HalfSendResult. docs/transactions.md is the guide.',
    ].join('\n\n'),
    need: onTopic(PUB, 'sending'),
    metric: 'send',
    request: {
      params: TopicPath,
      query: z.object({ oneway: boolText('Answer 202 without waiting for the store (not with `transaction`).') }),
      body: {
        schema: SendBody,
        description: 'One message, or `{"messages": [...]}`, or a transactional send.',
        codes: SEND_CODES,
      },
    },
    responses: {
      200: json(
        SendAnswer,
        'Stored: a SendResult for one message, `{"results": [...]}` for a batch; DelayedSendResults for a delayed send; a HalfSendResult for a transactional one.',
      ),
      202: json(OnewayAccepted, 'Accepted (oneway): valid, sending in the background.'),
    },
    errors: [
      'MALFORMED_JSON',
      'UNSUPPORTED_MEDIA_TYPE',
      'JSON_TOO_COMPLEX',
      'INVALID_REQUEST',
      'INVALID_TOPIC_NAME',
      'INVALID_BROKER_NAME',
      'INVALID_GROUP_NAME',
      'INVALID_MESSAGE',
      'RESERVED_PROPERTY',
      'BATCH_MIXED_TOPICS',
      'INVALID_DELAY',
      'NO_PERMISSION',
      'TOPIC_NOT_EXIST',
      'QUEUE_NOT_EXIST',
      'BROKER_NOT_EXIST',
      'MESSAGE_TOO_LARGE',
      'PROPERTIES_TOO_LARGE',
      'BATCH_TOO_LARGE',
      'REQUEST_TOO_LARGE',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { topic }, query: { oneway }, body }) => {
    const req = checkedSendRequest(c.env, topic, body, true);
    const transaction = transactionOf(body);
    if (transaction) {
      if (oneway)
        throw new FlareError(
          'INVALID_REQUEST',
          'a transactional send cannot be oneway: its answer carries the transaction handle',
        );
      return c.json(await sendHalfMessage(c.env, { request: req, transaction }));
    }
    if (oneway) {
      const failed = (err: unknown) =>
        log.error('a oneway send failed', { topic, count: req.messages.length, error: err });
      c.executionCtx.waitUntil(send(c.env, req).catch(failed));
      return c.json({ status: 'ACCEPTED', count: req.messages.length }, 202);
    }
    const results = await send(c.env, req);
    return c.json(req.batch ? { results } : results[0]);
  },
);

const QueryParams = z
  .object({
    key: z
      .string()
      .optional()
      .openapi({ description: 'A key the message was sent with (one key, no spaces).', minLength: 1 }),
    uniqueKey: z.string().optional().openapi({
      description: "The message's unique key (UNIQ_KEY); a resent message can match more than once.",
      minLength: 1,
    }),
    maxMessages: intText({
      min: 1,
      max: MAX_QUERY_MESSAGES,
      default: MAX_QUERY_MESSAGES,
      description: 'Most messages to return.',
    }),
    begin: intText({
      default: 0,
      description: 'With `key`: earliest store time, ms since the epoch, inclusive. Ignored with `uniqueKey`.',
    }),
    end: intText({
      default: Number.MAX_SAFE_INTEGER,
      description: 'With `key`: latest store time, ms since the epoch, inclusive. Ignored with `uniqueKey`.',
    }),
    bodyEncoding: BodyEncodingQuery,
  })
  .superRefine((q, ctx) => {
    if ((q.key === undefined) === (q.uniqueKey === undefined) || q.key === '' || q.uniqueKey === '') {
      ctx.addIssue(issue('INVALID_REQUEST', 'give exactly one of key or uniqueKey (non-empty)'));
    } else if (q.begin > q.end) ctx.addIssue(issue('INVALID_REQUEST', 'begin must not be after end'));
  });

declareRoute(
  messages,
  {
    method: 'get',
    path: '/topics/{topic}/messages',
    operationId: 'queryMessages',
    tags,
    summary: 'Find messages by key or unique key',
    description:
      'Asks every queue of the topic (whatever its perm) and answers the newest matches first. Give exactly one of `key` and `uniqueKey`.',
    need: onTopic(SUB, 'querying messages'),
    request: { params: TopicPath, query: QueryParams },
    responses: {
      200: json(
        z
          .object({ topic: TopicName, messages: z.array(MessageView).openapi({ description: 'Newest first.' }) })
          .openapi('QueryResult'),
        'Matches, newest first (by store time, then queue offset).',
      ),
    },
    errors: [
      'INVALID_REQUEST',
      'INVALID_TOPIC_NAME',
      'TOPIC_NOT_EXIST',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { topic }, query: { key, uniqueKey, maxMessages: max, begin, end, bodyEncoding } }) => {
    const route = await requireRoute(c.env, topic);
    const found = await Promise.all(
      allQueues(route).map(async (q) => {
        const stub = queueStub(c.env, topic, q.brokerName, q.queueId);
        const stored = await (key !== undefined
          ? stub.queryByKey(key, begin, end, max)
          : stub.queryByUniqueKey(uniqueKey!, max));
        return stored.map(messageViews({ topic, brokerId: MASTER_ID, ...q }, bodyEncoding));
      }),
    );
    const views: View[] = found
      .flat()
      .sort((a, b) => b.storeTimestamp - a.storeTimestamp || b.queueOffset - a.queueOffset);
    return c.json({ topic, messages: views.slice(0, max) });
  },
);

declareRoute(
  messages,
  {
    method: 'get',
    path: '/messages/{msgId}',
    operationId: 'getMessage',
    tags,
    summary: 'Read a message by id',
    description:
      'The id names its topic, broker group, queue and offset, so this is one lookup. A message that is no longer stored is MESSAGE_NOT_FOUND; one whose topic was deleted is TOPIC_NOT_EXIST.',
    // SUB on the topic the id names; a malformed id needs nothing more (the route answers INVALID_MESSAGE_ID).
    need: ({ params }) => {
      const topics = messageIdTopics(params.msgId);
      return topics.length === 0 ? 'authenticated' : { action: 'reading a message', topics };
    },
    request: {
      params: z.object({
        msgId: MessageId.transform((id) => ({ id, ...decodeMessageId(id) })).openapi({
          description: 'A msgId from a send or a pull.',
        }),
      }),
      query: z.object({ bodyEncoding: BodyEncodingQuery }),
    },
    responses: { 200: json(MessageView, 'The message.') },
    errors: [
      'INVALID_MESSAGE_ID',
      'INVALID_REQUEST',
      'TOPIC_NOT_EXIST',
      'MESSAGE_NOT_FOUND',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { msgId: loc }, query: { bodyEncoding } }) => {
    const route = await requireRoute(c.env, loc.topic);
    if (loc.brokerId !== MASTER_ID) {
      throw new FlareError(
        'MESSAGE_NOT_FOUND',
        `message ${loc.id} names brokerId ${loc.brokerId}; messages are read from masters (brokerId 0)`,
      );
    }
    if (!allQueues(route).some((q) => q.brokerName === loc.brokerName && q.queueId === loc.queueId)) {
      throw new FlareError(
        'MESSAGE_NOT_FOUND',
        `message ${loc.id} not found: topic '${loc.topic}' has no queue ${loc.brokerName}/${loc.queueId} now`,
      );
    }
    const stored = await queueStub(c.env, loc.topic, loc.brokerName, loc.queueId).get(loc.queueOffset);
    if (!stored) throw new FlareError('MESSAGE_NOT_FOUND', `message ${loc.id} not found (deleted, or never stored)`);
    return c.json(toMessageView(stored, loc, bodyEncoding));
  },
);
