/**
 * TRANSITIONAL (issue 14): the hand-written OpenAPI paths of the routes not
 * declared yet (api/declare.ts), merged by openapi.ts under the generated
 * ones: sends, queries, timers, pulls and offset search, streams (routes-a);
 * consumer groups and offsets (routes-b). Each entry goes when its route is
 * declared; this file goes with the last (and openapi-schemas.ts,
 * openapi-groups.ts and openapi-streams.ts with it).
 */
import { DEFAULT_PULL_MESSAGES, MAX_PULL_MESSAGES, MAX_PULL_WAIT_MS, MAX_QUERY_MESSAGES, MAX_TAGS_IN_EXPRESSION, PULL_SCAN_WINDOW } from '../core/limits';
import { MAX_CHECK_IMMUNITY_MS } from '../core/transaction';
import { streamPaths } from './openapi-streams';
import { errorResponses, int, json, jsonBody, millis, obj, ok, param, parameters, query, ref, requestBodyNote, schemas, type Json } from './openapi-schemas';
import { SEND_RETRIES } from './producer';

const queueId = { type: 'integer', minimum: 0 };
const queuePath = [param('topic'), param('brokerName'), param('queueId')];

/** The send operation's transactional variant: its request body and answer, for openapi.ts to add to POST /topics/{topic}/messages. */
export const transactionalSend = {
  description:
    'With `transaction` the send is a half message of that producer group (one message, not delayed, not oneway): it waits invisible in the chosen queue until committed or rolled back by its `transactionHandle`, or checked back. The answer is a HalfSendResult. docs/transactions.md is the guide.',
  request: ref('TransactionalSendRequest'),
  result: ref('HalfSendResult'),
  errors: ['INVALID_GROUP_NAME'] as const,
};

export const interimPaths: Record<string, Json> = {
  '/api/v1/topics/{topic}/messages': {
    parameters: [param('topic')],
    post: {
      tags: ['messages'],
      operationId: 'sendMessages',
      summary: 'Send a message or a batch',
      description: [
        'Validates everything, then appends the message or the whole batch atomically to one queue: the explicit `queue`, the queue of `shardingKey`, or the next writable queue in round robin.',
        `A round-robin send that fails on a broker group is retried up to ${SEND_RETRIES} times on another group; sends by shardingKey or to an explicit queue are not moved. A send to a topic that does not exist creates it when the AUTO_CREATE_TOPIC_ENABLE var is on (the default).`,
        `With \`oneway=true\` the Worker answers 202 once the request is valid and sends in the background; a failure after that is only logged. ${requestBodyNote}`,
        'With `delayLevel`, `delayMs` or `deliverAt` (at most one, at the top level) the message or batch waits in the chosen queue until due and only then gets its offset: the answer is a DelayedSendResult per message, with a `timerHandle` to read or cancel it by. A `deliverAt` that is not in the future sends at once.',
        transactionalSend.description,
      ].join('\n\n'),
      parameters: [
        query('oneway', 'Answer 202 without waiting for the store.', { type: 'string', enum: ['true', 'false', '1', '0'], default: 'false' }),
      ],
      requestBody: { required: true, description: 'One message, or `{"messages": [...]}`, or a transactional send.', content: json({ anyOf: [ref('SendRequest'), transactionalSend.request] }) },
      responses: {
        '200': {
          description: 'Stored: a SendResult for one message, `{"results": [...]}` for a batch; DelayedSendResults for a delayed send.',
          content: json({ oneOf: [ref('SendResult'), ref('SendBatchResult'), ref('DelayedSendResult'), ref('DelayedSendBatchResult'), transactionalSend.result] }),
        },
        '202': { description: 'Accepted (oneway): valid, sending in the background.', content: json(ref('OnewayAccepted')) },
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_TOPIC_NAME',
          'INVALID_BROKER_NAME',
          'INVALID_MESSAGE',
          'RESERVED_PROPERTY',
          'BATCH_MIXED_TOPICS',
          ...transactionalSend.errors,
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
        ),
      },
    },
    get: {
      tags: ['messages'],
      operationId: 'queryMessages',
      summary: 'Find messages by key or unique key',
      description: 'Asks every queue of the topic (whatever its perm) and answers the newest matches first. Give exactly one of `key` and `uniqueKey`.',
      parameters: [
        query('key', 'A key the message was sent with (one key, no spaces).', { type: 'string', minLength: 1 }),
        query('uniqueKey', "The message's unique key (UNIQ_KEY); a resent message can match more than once.", { type: 'string', minLength: 1 }),
        query('maxMessages', 'Most messages to return.', { type: 'integer', minimum: 1, maximum: MAX_QUERY_MESSAGES, default: MAX_QUERY_MESSAGES }),
        query('begin', 'With `key`: earliest store time, ms since the epoch, inclusive. Ignored with `uniqueKey`.', { type: 'integer', minimum: 0, default: 0 }),
        query('end', 'With `key`: latest store time, ms since the epoch, inclusive. Ignored with `uniqueKey`.', {
          type: 'integer',
          minimum: 0,
          default: Number.MAX_SAFE_INTEGER,
        }),
        param('bodyEncoding'),
      ],
      responses: {
        ...ok('Matches, newest first (by store time, then queue offset).', 'QueryResult'),
        ...errorResponses('INVALID_REQUEST', 'INVALID_TOPIC_NAME', 'TOPIC_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/messages/{msgId}': {
    get: {
      tags: ['messages'],
      operationId: 'getMessage',
      summary: 'Read a message by id',
      description: 'The id names its topic, broker group, queue and offset, so this is one lookup. A message that is no longer stored is MESSAGE_NOT_FOUND; one whose topic was deleted is TOPIC_NOT_EXIST.',
      parameters: [{ name: 'msgId', in: 'path', required: true, description: 'A msgId from a send or a pull.', schema: ref('MessageId') }, param('bodyEncoding')],
      responses: {
        ...ok('The message.', 'MessageView'),
        ...errorResponses('INVALID_MESSAGE_ID', 'INVALID_REQUEST', 'TOPIC_NOT_EXIST', 'MESSAGE_NOT_FOUND', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/timers/{timerHandle}': {
    parameters: [param('timerHandle')],
    get: {
      tags: ['messages'],
      operationId: 'getTimer',
      summary: 'Read a pending delayed message',
      description:
        "The handle names its queue, so this is one lookup. TIMER_NOT_FOUND once the message was delivered (find it by uniqueKey then) or cancelled. While the queue's master does not answer, a slave answers from its copy of the timers.",
      parameters: [param('bodyEncoding')],
      responses: {
        ...ok('The pending message and when it is due.', 'TimerView'),
        ...errorResponses('INVALID_TIMER_HANDLE', 'INVALID_REQUEST', 'TOPIC_NOT_EXIST', 'TIMER_NOT_FOUND', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
      },
    },
    delete: {
      tags: ['messages'],
      operationId: 'cancelTimer',
      summary: 'Cancel a pending delayed message',
      description: 'The message is never delivered. TIMER_NOT_FOUND when it was already delivered or cancelled.',
      responses: {
        ...ok('Cancelled.', 'TimerCancelled'),
        ...errorResponses('INVALID_TIMER_HANDLE', 'TOPIC_NOT_EXIST', 'TIMER_NOT_FOUND', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/topics/{topic}/queues/{brokerName}/{queueId}/messages': {
    parameters: queuePath,
    get: {
      tags: ['consume'],
      operationId: 'pullMessages',
      summary: 'Pull one queue from an offset',
      description: [
        'Reads up to `maxMessages` from `offset` that pass the tag filter. Always continue from `nextBeginOffset`.',
        `A filtered pull scans at most ${PULL_SCAN_WINDOW} offsets; when none of them matches it answers NO_MATCHED_MSG with nextBeginOffset after the window.`,
        `Long polling: with \`waitMs\` > 0 a pull that has reached the end of the queue (NO_NEW_MSG, or NO_MATCHED_MSG at the max offset) waits until a message arrives or the wait ends, then answers; the answer may then be NO_MATCHED_MSG with a larger nextBeginOffset.`,
        'The queue must be readable (queueId < readQueueNums, perm with read).',
      ].join('\n\n'),
      parameters: [
        query('offset', 'Queue offset to read from (INVALID_OFFSET when missing or not an integer >= 0).', { type: 'integer', minimum: 0 }, true),
        query('maxMessages', 'Most messages to return.', { type: 'integer', minimum: 1, maximum: MAX_PULL_MESSAGES, default: DEFAULT_PULL_MESSAGES }),
        query('waitMs', 'Long polling: how long to wait when there is no message.', { type: 'integer', minimum: 0, maximum: MAX_PULL_WAIT_MS, default: 0 }),
        query('tags', `Tag expression: \`*\` (or empty) for all, or tags separated by \`||\` (at most ${MAX_TAGS_IN_EXPRESSION}).`, {
          type: 'string',
          default: '*',
        }),
        param('bodyEncoding'),
      ],
      responses: {
        ...ok('The pull result; the status tells what happened.', 'PullResult'),
        ...errorResponses(
          'INVALID_REQUEST',
          'INVALID_OFFSET',
          'INVALID_TAG_EXPRESSION',
          'INVALID_TOPIC_NAME',
          'INVALID_BROKER_NAME',
          'NO_PERMISSION',
          'TOPIC_NOT_EXIST',
          'QUEUE_NOT_EXIST',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/topics/{topic}/queues/{brokerName}/{queueId}/offset': {
    parameters: queuePath,
    get: {
      tags: ['consume'],
      operationId: 'searchOffset',
      summary: 'The offset of a time in a queue',
      description: "The first offset stored at or after `timestamp`, or the queue's max offset when every message is older. The queue must be readable.",
      parameters: [query('timestamp', 'Store time, ms since the epoch.', { type: 'integer', minimum: 0 }, true)],
      responses: {
        ...ok('The offset.', 'SearchOffsetResult'),
        ...errorResponses(
          'INVALID_REQUEST',
          'INVALID_TOPIC_NAME',
          'INVALID_BROKER_NAME',
          'NO_PERMISSION',
          'TOPIC_NOT_EXIST',
          'QUEUE_NOT_EXIST',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  ...streamPaths,
};

export const interimComponents = {
  schemas: {
    ...schemas,
    TransactionOptions: {
      type: 'object',
      required: ['producerGroup'],
      description: 'Makes the send a half message of this producer group.',
      properties: {
        producerGroup: ref('GroupName'),
        checkImmunityMs: int(
          `First check this long after the send, instead of the TRANSACTION_TIMEOUT_MS var (default 6000). RocketMQ's CHECK_IMMUNITY_TIME_IN_SECONDS, in ms.`,
          { minimum: 1, maximum: MAX_CHECK_IMMUNITY_MS },
        ),
      },
    },
    TransactionalSendRequest: {
      description: 'A transactional send: one message (no `messages`), not delayed, not oneway (INVALID_REQUEST otherwise), with `transaction`.',
      allOf: [ref('MessageInput'), ref('SendTarget'), { type: 'object', required: ['transaction'], properties: { transaction: ref('TransactionOptions') } }],
    },
    HalfSendResult: obj(
      {
        status: { const: 'SEND_OK' },
        transactional: { const: true },
        transactionHandle: ref('TransactionHandle'),
        uniqueKey: { type: 'string' },
        topic: ref('TopicName'),
        brokerName: ref('BrokerName'),
        queueId,
        checkAt: millis('When it is first checked unless committed or rolled back before'),
      },
      { description: 'A half message: stored in its queue, invisible to consumers, until committed or rolled back. It gets its msgId and queueOffset when committed.' },
    ),
  },
  parameters,
};
