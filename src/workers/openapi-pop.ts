/**
 * The pop and transaction part of the OpenAPI document (merged in openapi.ts):
 * pop consumption (routes/pop.ts), transactions by handle and producer groups
 * (routes/transactions.ts), and the transactional variant of a send. Answers
 * follow src/workers/pop.ts and src/workers/transactions.ts; docs/pop.md and
 * docs/transactions.md are the guides.
 */
import { dlqTopic } from '../core/group-config';
import {
  DEFAULT_INVISIBLE_MS,
  DEFAULT_POP_MESSAGES,
  MAX_ACK_HANDLES,
  MAX_INVISIBLE_MS,
  MAX_POP_MESSAGES,
  MAX_POP_WAIT_MS,
  MAX_PULL_MESSAGES,
  MIN_INVISIBLE_MS,
} from '../core/limits';
import { PROPERTY_SHARDING_KEY } from '../core/system-properties';
import { CHECK_TIMEOUT_MS, MAX_CHECK_URL_LENGTH, MAX_DISCARDED_KEPT } from '../core/transaction';
import { MAX_HELD_BACK } from '../durable-objects/queue/pop';
import { arrayOf, errorResponses, int, jsonBody, millis, obj, ok, param, query, ref, requestBodyNote, str } from './openapi-schemas';

type Json = Record<string, unknown>;

const queueId = { type: 'integer', minimum: 0 };
const hex = { pattern: '^(?:[0-9A-Fa-f]{2})+$', maxLength: 1024 };
const invisibleMs = (description: string, extra: Json = {}) => int(description, { minimum: MIN_INVISIBLE_MS, maximum: MAX_INVISIBLE_MS, ...extra });

export const popTags: Json[] = [
  {
    name: 'pop',
    description:
      "Pop consumption (RocketMQ 5's SimpleConsumer): the broker picks the queues, popped messages stay invisible to the group until acked or until their invisible time lapses. docs/pop.md is the guide.",
  },
  {
    name: 'transactions',
    description: 'Transactional messages: half messages, commit and rollback, check-back (a check URL, or the half-message pop), discarded transactions. docs/transactions.md is the guide.',
  },
];

export const popParameters: Record<string, Json> = {
  transactionHandle: {
    name: 'transactionHandle',
    in: 'path',
    required: true,
    description: 'A transactionHandle from a transactional send, or the receiptHandle of a half-message pop (any case).',
    schema: ref('TransactionHandle'),
  },
  producerGroup: { name: 'producerGroup', in: 'path', required: true, description: 'Producer group name.', schema: ref('GroupName') },
};

export const popSchemas: Record<string, Json> = {
  ReceiptHandle: str(
    'Names one delivery of a popped message to one group (upper-case hex of version 3, brokerId, queueId, queue offset, handle sequence, broker name, topic and group; for a retry message a pop of a topic took from the group’s retry topic, group+topic). Only the latest handle of a message acks it.',
    hex,
  ),
  TransactionHandle: str('Self-locating handle of a half message (upper-case hex of version 4, brokerId, queueId, half-message id, broker name and topic).', hex),
  PopRequest: {
    type: 'object',
    required: ['topic'],
    properties: {
      topic: ref('TopicName'),
      expression: str('Tag expression: `*` (or empty) for all, or tags separated by `||`.', { default: '*' }),
      maxMessages: int('Most messages to return.', { minimum: 1, maximum: MAX_POP_MESSAGES, default: DEFAULT_POP_MESSAGES }),
      invisibleMs: invisibleMs('How long the popped messages stay invisible to the group unless acked (10 s to 12 h).', { default: DEFAULT_INVISIBLE_MS }),
      waitMs: int('Long polling: how long to wait when no queue has a message for the group.', { minimum: 0, maximum: MAX_POP_WAIT_MS, default: 0 }),
      orderly: {
        type: 'boolean',
        default: false,
        description: `Ordered pop: a message with a sharding key (property \`${PROPERTY_SHARDING_KEY}\`) is not delivered until the one before it with the same key is acked (or moved to the DLQ).`,
      },
    },
  },
  PoppedMessage: {
    description: 'A message view, plus its delivery to the group.',
    allOf: [
      ref('MessageView'),
      obj({
        receiptHandle: ref('ReceiptHandle'),
        popTimestamp: millis('When this delivery was made'),
        firstPopTimestamp: millis('When the message was first delivered to the group'),
        invisibleUntil: millis('When it becomes visible to the group again unless acked (RocketMQ nextVisibleTime)'),
        reconsumeTimes: int("The group's earlier deliveries of the message (deliveries − 1).", { minimum: 0 }),
      }),
    ],
  },
  PopResult: obj({
    group: ref('GroupName'),
    topic: ref('TopicName'),
    messages: arrayOf(ref('PoppedMessage'), { description: 'Empty when nothing came within waitMs. Redelivered messages first, then new ones, by queue.' }),
  }),
  AckRequest: obj({ receiptHandles: arrayOf(ref('ReceiptHandle'), { minItems: 1, maxItems: MAX_ACK_HANDLES }) }),
  AckResult: obj({
    group: ref('GroupName'),
    acked: int('Handles acked.', { minimum: 0 }),
    results: arrayOf(
      {
        type: 'object',
        required: ['receiptHandle', 'acked'],
        properties: {
          receiptHandle: { type: 'string' },
          acked: { type: 'boolean' },
          error: {
            ...obj({ code: ref('ErrorCode'), message: { type: 'string' }, retriable: { type: 'boolean' } }),
            description:
              'Why this handle was not acked: INVALID_RECEIPT_HANDLE (not a handle of this group), RECEIPT_HANDLE_EXPIRED (delivered again, its invisibility changed, or acked more than 5 minutes ago: a repeated ack within them is acked again), TOPIC_NOT_EXIST, BROKER_UNAVAILABLE.',
          },
        },
      },
      { description: 'One per handle, in request order.' },
    ),
  }),
  ChangeInvisibleRequest: obj({ receiptHandle: ref('ReceiptHandle'), invisibleMs: invisibleMs('Visible again this long from now (10 s to 12 h).') }),
  ChangeInvisibleResult: obj({
    group: ref('GroupName'),
    receiptHandle: { ...ref('ReceiptHandle'), description: 'The new handle; the old one no longer acks.' },
    invisibleUntil: millis('When the message becomes visible again'),
    msgId: ref('MessageId'),
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId,
    queueOffset: { type: 'integer', minimum: 0 },
    popTimestamp: millis('The current delivery'),
    firstPopTimestamp: millis('The first delivery'),
    reconsumeTimes: { type: 'integer', minimum: 0 },
  }),
  CommitResult: obj({
    status: { const: 'COMMITTED' },
    transactionHandle: ref('TransactionHandle'),
    msgId: ref('MessageId'),
    uniqueKey: { type: 'string' },
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId,
    queueOffset: { type: 'integer', minimum: 0 },
  }),
  RollbackResult: obj({
    status: { const: 'ROLLED_BACK' },
    transactionHandle: ref('TransactionHandle'),
    uniqueKey: { type: 'string' },
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId,
  }),
  HalfMessageView: obj(
    {
      transactionHandle: ref('TransactionHandle'),
      producerGroup: ref('GroupName'),
      topic: ref('TopicName'),
      brokerName: ref('BrokerName'),
      queueId,
      tags: str('The tag, or "" for none.'),
      keys: str('Space separated keys, or "".'),
      properties: { type: 'object', additionalProperties: { type: 'string' } },
      body: { type: 'string' },
      bodyEncoding: { type: 'string', enum: ['utf8', 'base64'] },
      bornTimestamp: millis('When the producer made the message'),
      uniqueKey: { type: 'string' },
      preparedAt: millis('When the half message was stored'),
      checkTimes: int('Checks so far (TRANSACTION_CHECK_MAX, default 15, then it is discarded).', { minimum: 0 }),
      nextCheckAt: millis('When it is next checked, or discarded after the last check'),
    },
    { description: 'A pending half message. This is also the JSON body POSTed to a check URL.' },
  ),
  PoppedHalfMessage: {
    allOf: [ref('HalfMessageView'), obj({ receiptHandle: { ...ref('TransactionHandle'), description: 'The same as transactionHandle: commit or roll back with it.' } })],
  },
  HalfPopRequest: {
    type: 'object',
    required: ['topic'],
    properties: {
      topic: ref('TopicName'),
      maxMessages: int('Most half messages to return.', { minimum: 1, maximum: MAX_POP_MESSAGES, default: DEFAULT_POP_MESSAGES }),
      invisibleMs: invisibleMs('How long the popped half messages stay out of the next half pops.', { default: DEFAULT_INVISIBLE_MS }),
      waitMs: int('Long polling: how long to wait when none is due for a check.', { minimum: 0, maximum: MAX_POP_WAIT_MS, default: 0 }),
    },
  },
  HalfPopResult: obj({
    producerGroup: ref('GroupName'),
    topic: ref('TopicName'),
    messages: arrayOf(ref('PoppedHalfMessage'), { description: 'Half messages checked at least once and still unresolved, oldest first per queue.' }),
  }),
  ProducerGroupRequest: obj({
    checkUrl: {
      description: `An http(s) URL of at most ${MAX_CHECK_URL_LENGTH} characters, or null (or "") to remove it. The queue objects POST each half message due for a check to it (a HalfMessageView) and act on \`{"status": "COMMIT" | "ROLLBACK" | "UNKNOWN"}\`; no answer within ${CHECK_TIMEOUT_MS} ms, a non-2xx answer or anything else counts as UNKNOWN.`,
      oneOf: [{ type: 'string', format: 'uri', maxLength: MAX_CHECK_URL_LENGTH }, { type: 'null' }],
    },
    checkSecret: {
      type: 'string',
      pattern: '^[\\x21-\\x7e]{16,256}$',
      description: 'The secret that signs check callbacks (X-Flaremq-Signature, docs/transactions.md#signed-checks). Default: the group keeps its own, or one is drawn (64 hex digits).',
    },
  }),
  ProducerGroupStatus: obj({
    group: ref('GroupName'),
    checkUrl: { oneOf: [{ type: 'string' }, { type: 'null' }] },
    updatedAt: millis('When checkUrl was last set (0: never)'),
    discardedTotal: int('Transactions discarded after their last check, ever.', { minimum: 0 }),
  }),
  ProducerGroupConfigured: {
    allOf: [ref('ProducerGroupStatus'), obj({ checkSecret: { type: 'string', description: 'The secret that signs check callbacks: keep it with the check URL\'s receiver.' } })],
  },
  DiscardedTransactions: obj({
    group: ref('GroupName'),
    total: int('Discarded ever.', { minimum: 0 }),
    kept: int(`Discarded transactions kept (the newest ${MAX_DISCARDED_KEPT}).`, { minimum: 0 }),
    transactions: arrayOf({ allOf: [ref('HalfMessageView'), obj({ discardedAt: millis('When it was discarded') })] }, { description: 'Newest first.' }),
  }),
};

const handleErrors = ['INVALID_TRANSACTION_HANDLE', 'TRANSACTION_NOT_FOUND', 'TOPIC_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'] as const;

export const popPaths: Record<string, Json> = {
  '/api/v1/groups/{group}/pop': {
    parameters: [param('group')],
    post: {
      tags: ['pop'],
      operationId: 'popMessages',
      summary: 'Receive messages (pop)',
      description: [
        'Walks the readable queues of the topic from a rotating start and pops from each until it has maxMessages: first the messages of the group whose invisible time lapsed (delivered again, reconsumeTimes + 1), then new ones from where the group last popped (a new group starts where its consumeFromWhere says; it is created with the defaults on its first pop).',
        `A message whose next delivery would pass the group's maxReconsumeTimes is sent to \`${dlqTopic('{group}')}\` and acked instead of being delivered.`,
        `With \`orderly\`, messages of one sharding key come one at a time, in order (at most ${MAX_HELD_BACK} messages per group and queue are held back behind earlier ones).`,
        `With \`waitMs\`, a pop that finds nothing waits until a queue of the topic has something for the group, then pops; an empty list when the wait ends. ${requestBodyNote}`,
      ].join('\n\n'),
      parameters: [param('bodyEncoding')],
      requestBody: jsonBody('PopRequest', 'The topic and how to pop.'),
      responses: {
        ...ok('The popped messages (maybe none).', 'PopResult'),
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_TOPIC_NAME',
          'INVALID_TAG_EXPRESSION',
          'NO_PERMISSION',
          'TOPIC_NOT_EXIST',
          'REQUEST_TOO_LARGE',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/groups/{group}/ack': {
    parameters: [param('group')],
    post: {
      tags: ['pop'],
      operationId: 'ackMessages',
      summary: 'Ack popped messages',
      description: `Acks each receipt handle on its own and answers one result per handle: a handle that fails does not fail the others (200 all the same). The same ack repeated (a retry after a lost answer) gets the same answer. ${requestBodyNote}`,
      requestBody: jsonBody('AckRequest', 'The receipt handles.'),
      responses: {
        ...ok('One result per handle.', 'AckResult'),
        ...errorResponses('MALFORMED_JSON', 'INVALID_REQUEST', 'INVALID_GROUP_NAME', 'REQUEST_TOO_LARGE'),
      },
    },
  },
  '/api/v1/groups/{group}/invisible': {
    parameters: [param('group')],
    post: {
      tags: ['pop'],
      operationId: 'changeInvisibleDuration',
      summary: "Change a popped message's invisible time",
      description: `RocketMQ's changeInvisibleDuration: the message becomes visible again invisibleMs from now, under a new receipt handle; the old one no longer acks. It does not count as a delivery. The same call repeated (same handle and invisibleMs, a retry after a lost answer) gets the same answer, new handle included. ${requestBodyNote}`,
      requestBody: jsonBody('ChangeInvisibleRequest', 'The handle and the new invisible time.'),
      responses: {
        ...ok('The new handle.', 'ChangeInvisibleResult'),
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_RECEIPT_HANDLE',
          'RECEIPT_HANDLE_EXPIRED',
          'TOPIC_NOT_EXIST',
          'REQUEST_TOO_LARGE',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/transactions/{transactionHandle}': {
    parameters: [param('transactionHandle')],
    get: {
      tags: ['transactions'],
      operationId: 'getHalfMessage',
      summary: 'A pending half message',
      description: "While the queue's master does not answer, a slave answers from its copy of the half messages.",
      parameters: [param('bodyEncoding')],
      responses: { ...ok('The half message.', 'HalfMessageView'), ...errorResponses('INVALID_REQUEST', ...handleErrors) },
    },
  },
  '/api/v1/transactions/{transactionHandle}/commit': {
    parameters: [param('transactionHandle')],
    post: {
      tags: ['transactions'],
      operationId: 'commitTransaction',
      summary: 'Commit a half message',
      description: 'Appends the half message to its queue, where consumers see it; it gets its msgId and queueOffset. TRANSACTION_NOT_FOUND once it was committed, rolled back or discarded.',
      responses: { ...ok('Committed.', 'CommitResult'), ...errorResponses(...handleErrors) },
    },
  },
  '/api/v1/transactions/{transactionHandle}/rollback': {
    parameters: [param('transactionHandle')],
    post: {
      tags: ['transactions'],
      operationId: 'rollbackTransaction',
      summary: 'Roll back a half message',
      description: 'Discards the half message. TRANSACTION_NOT_FOUND once it was committed, rolled back or discarded.',
      responses: { ...ok('Rolled back.', 'RollbackResult'), ...errorResponses(...handleErrors) },
    },
  },
  '/api/v1/producer-groups/{producerGroup}': {
    parameters: [param('producerGroup')],
    get: {
      tags: ['transactions'],
      operationId: 'getProducerGroup',
      summary: "A producer group's check URL and discarded count",
      description: 'A group never configured answers checkUrl null.',
      responses: { ...ok('The producer group.', 'ProducerGroupStatus'), ...errorResponses('INVALID_GROUP_NAME', 'BROKER_UNAVAILABLE') },
    },
    put: {
      tags: ['transactions'],
      operationId: 'configureProducerGroup',
      summary: "Set a producer group's check URL",
      description: `Half messages of the group that are neither committed nor rolled back by their check time are POSTed to the check URL by their queue's alarm. ${requestBodyNote}`,
      requestBody: jsonBody('ProducerGroupRequest', 'The check URL, or null; optionally the check secret.'),
      responses: {
        ...ok('The producer group, with its checkSecret (shown only here).', 'ProducerGroupConfigured'),
        ...errorResponses('MALFORMED_JSON', 'INVALID_REQUEST', 'INVALID_GROUP_NAME', 'REQUEST_TOO_LARGE', 'BROKER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/producer-groups/{producerGroup}/half-messages/pop': {
    parameters: [param('producerGroup')],
    post: {
      tags: ['transactions'],
      operationId: 'popHalfMessages',
      summary: 'Half messages due for a check (check-back by pop)',
      description: `Half messages of the producer group on the topic that were checked at least once (TRANSACTION_TIMEOUT_MS or checkImmunityMs after the send, then every TRANSACTION_CHECK_INTERVAL_MS) and are still unresolved. Each is left out of the next half pops for invisibleMs; commit or roll it back with its receiptHandle. The RocketMQ HTTP protocol's consumeHalfMessage sits on this. ${requestBodyNote}`,
      parameters: [param('bodyEncoding')],
      requestBody: jsonBody('HalfPopRequest', 'The topic and how to pop.'),
      responses: {
        ...ok('The half messages (maybe none).', 'HalfPopResult'),
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_TOPIC_NAME',
          'TOPIC_NOT_EXIST',
          'REQUEST_TOO_LARGE',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/producer-groups/{producerGroup}/discarded': {
    parameters: [param('producerGroup')],
    get: {
      tags: ['transactions'],
      operationId: 'listDiscardedTransactions',
      summary: 'Transactions discarded after their last check',
      parameters: [
        query('maxMessages', 'Most to return.', { type: 'integer', minimum: 1, maximum: MAX_PULL_MESSAGES, default: 32 }),
        param('bodyEncoding'),
        query('topic', 'Only the transactions of this topic (with accounts: PUB on it is enough; without topic, admin).', { type: 'string' }),
      ],
      responses: { ...ok('Newest first.', 'DiscardedTransactions'), ...errorResponses('INVALID_REQUEST', 'INVALID_GROUP_NAME', 'BROKER_UNAVAILABLE') },
    },
  },
};
