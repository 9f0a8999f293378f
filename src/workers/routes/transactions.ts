import { PUB } from '../../core/acl';
import { CHECK_SECRET_PATTERN } from '../../core/check-signing';
import {
  DEFAULT_INVISIBLE_MS,
  DEFAULT_POP_MESSAGES,
  MAX_INVISIBLE_MS,
  MAX_POP_MESSAGES,
  MAX_POP_WAIT_MS,
  MAX_PULL_MESSAGES,
  MIN_INVISIBLE_MS,
} from '../../core/limits';
import { CHECK_TIMEOUT_MS, MAX_CHECK_URL_LENGTH, MAX_DISCARDED_KEPT, parseCheckUrl } from '../../core/transaction';
import { decodeTransactionHandle } from '../../core/transaction-handle';
import { declareRoute, router } from '../api/declare';
import { BodyEncodingQuery, BrokerName, GroupName, TopicName, intText, json, requestBodyNote, z } from '../api/fields';
import { MessageContent, MessageId, TransactionHandle, millis } from '../api/models';
import {
  commitTransaction,
  configureProducerGroup,
  getHalfMessage,
  getProducerGroup,
  listDiscardedTransactions,
  popHalfMessages,
  rollbackTransaction,
  toPendingHalfView,
} from '../../services/transactions';
import { listProducerGroups } from '../../services/producer-groups';
import { admin, bodyTopics, byHandle } from '../security/requirements';

/** Transactions by handle, and producer groups (check URL, half-message pop, discarded transactions). Logic in ../transactions.ts; docs/transactions.md is the guide. */
export const transactions = router();

const tags = ['transactions'];
const queueId = z.number().int().min(0);

// Not checked by the schema: ../transactions.ts decodes it (INVALID_TRANSACTION_HANDLE).
const HandlePath = z.object({
  transactionHandle: TransactionHandle.openapi({
    description:
      'A transactionHandle from a transactional send, or the receiptHandle of a half-message pop (any case).',
  }),
});
const ProducerGroupPath = z.object({ producerGroup: GroupName.openapi({ description: 'Producer group name.' }) });
const handleErrors = [
  'INVALID_TRANSACTION_HANDLE',
  'TRANSACTION_NOT_FOUND',
  'TOPIC_NOT_EXIST',
  'BROKER_UNAVAILABLE',
  'NAMESERVER_UNAVAILABLE',
] as const;

const HalfMessageView = MessageContent.omit({ reconsumeTimes: true })
  .extend({
    transactionHandle: TransactionHandle,
    producerGroup: GroupName,
    topic: TopicName,
    brokerName: BrokerName,
    queueId,
    preparedAt: millis('When the half message was stored'),
    checkTimes: z
      .number()
      .int()
      .min(0)
      .openapi({ description: 'Checks so far (TRANSACTION_CHECK_MAX, default 15, then it is discarded).' }),
    nextCheckAt: millis('When it is next checked, or discarded after the last check'),
  })
  .openapi('HalfMessageView', {
    description: 'A pending half message. This is also the JSON body POSTed to a check URL.',
  });

declareRoute(
  transactions,
  {
    method: 'get',
    path: '/transactions/{transactionHandle}',
    operationId: 'getHalfMessage',
    tags,
    summary: 'A pending half message',
    description: "While the queue's master does not answer, a slave answers from its copy of the half messages.",
    need: byHandle(decodeTransactionHandle, 'transactionHandle', 'reading a transaction'),
    request: { params: HandlePath, query: z.object({ bodyEncoding: BodyEncodingQuery }) },
    responses: { 200: json(HalfMessageView, 'The half message.') },
    errors: ['INVALID_REQUEST', ...handleErrors],
  },
  async (c, { params, query }) => c.json(toPendingHalfView(await getHalfMessage(c.env, params), query.bodyEncoding)),
);

declareRoute(
  transactions,
  {
    method: 'post',
    path: '/transactions/{transactionHandle}/commit',
    operationId: 'commitTransaction',
    tags,
    summary: 'Commit a half message',
    description:
      'Appends the half message to its queue, where consumers see it; it gets its msgId and queueOffset. TRANSACTION_NOT_FOUND once it was committed, rolled back or discarded.',
    need: byHandle(decodeTransactionHandle, 'transactionHandle', 'committing a transaction'),
    request: { params: HandlePath },
    responses: {
      200: json(
        z
          .object({
            status: z.literal('COMMITTED'),
            transactionHandle: TransactionHandle,
            msgId: MessageId,
            uniqueKey: z.string(),
            topic: TopicName,
            brokerName: BrokerName,
            queueId,
            queueOffset: z.number().int().min(0),
          })
          .openapi('CommitResult'),
        'Committed.',
      ),
    },
    errors: handleErrors,
  },
  async (c, { params }) => c.json(await commitTransaction(c.env, params)),
);

declareRoute(
  transactions,
  {
    method: 'post',
    path: '/transactions/{transactionHandle}/rollback',
    operationId: 'rollbackTransaction',
    tags,
    summary: 'Roll back a half message',
    description: 'Discards the half message. TRANSACTION_NOT_FOUND once it was committed, rolled back or discarded.',
    need: byHandle(decodeTransactionHandle, 'transactionHandle', 'rolling back a transaction'),
    request: { params: HandlePath },
    responses: {
      200: json(
        z
          .object({
            status: z.literal('ROLLED_BACK'),
            transactionHandle: TransactionHandle,
            uniqueKey: z.string(),
            topic: TopicName,
            brokerName: BrokerName,
            queueId,
          })
          .openapi('RollbackResult'),
        'Rolled back.',
      ),
    },
    errors: handleErrors,
  },
  async (c, { params }) => c.json(await rollbackTransaction(c.env, params)),
);

const ProducerGroupStatus = z
  .object({
    group: GroupName,
    checkUrl: z.string().nullable(),
    updatedAt: millis('When checkUrl was last set (0: never)'),
    discardedTotal: z
      .number()
      .int()
      .min(0)
      .openapi({ description: 'Transactions discarded after their last check, ever.' }),
  })
  .openapi('ProducerGroupStatus');

declareRoute(
  transactions,
  {
    method: 'get',
    path: '/producer-groups/{producerGroup}',
    operationId: 'getProducerGroup',
    tags,
    summary: "A producer group's check URL and discarded count",
    description: 'A group never configured answers checkUrl null.',
    // The check URL (a token often lives in it) is the admin's configuration.
    need: admin('reading a producer group'),
    request: { params: ProducerGroupPath },
    responses: { 200: json(ProducerGroupStatus, 'The producer group.') },
    errors: ['INVALID_GROUP_NAME', 'BROKER_UNAVAILABLE'],
  },
  async (c, { params }) => c.json(await getProducerGroup(c.env, { group: params.producerGroup })),
);

declareRoute(
  transactions,
  {
    method: 'get',
    path: '/producer-groups',
    operationId: 'listProducerGroups',
    tags,
    summary: 'List producer groups with their check URL and discarded count',
    description:
      'Every producer group that was configured (PUT /producer-groups/{producerGroup}) or discarded a transaction, sorted by name. A group that only sent half messages is not listed.',
    need: admin('reading producer groups'),
    responses: {
      200: json(
        z.object({ producerGroups: z.array(ProducerGroupStatus) }).openapi('ProducerGroupList'),
        'The producer groups.',
      ),
    },
    errors: ['BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'],
  },
  async (c) => c.json({ producerGroups: await listProducerGroups(c.env) }),
);

const ProducerGroupRequest = z
  .object({
    checkUrl: z
      .string()
      .nullable()
      .transform((url) => parseCheckUrl(url))
      .openapi({
        type: ['string', 'null'],
        format: 'uri',
        maxLength: MAX_CHECK_URL_LENGTH,
        description: `Required: an http(s) URL of at most ${MAX_CHECK_URL_LENGTH} characters, or null (or "") to remove it. The queue objects POST each half message due for a check to it (a HalfMessageView) and act on \`{"status": "COMMIT" | "ROLLBACK" | "UNKNOWN"}\`; no answer within ${CHECK_TIMEOUT_MS} ms, a non-2xx answer or anything else counts as UNKNOWN.`,
      }),
    checkSecret: z
      .string()
      .regex(
        CHECK_SECRET_PATTERN,
        "checkSecret must be 16 to 256 printable ASCII characters (no spaces); leave it out to keep the group's, or have one drawn",
      )
      .optional()
      .openapi({
        description:
          'The secret that signs check callbacks (X-Flaremq-Signature, docs/transactions.md#signed-checks). Default: the group keeps its own, or one is drawn (64 hex digits).',
      }),
  })
  .openapi('ProducerGroupRequest');

declareRoute(
  transactions,
  {
    method: 'put',
    path: '/producer-groups/{producerGroup}',
    operationId: 'configureProducerGroup',
    tags,
    summary: "Set a producer group's check URL",
    description: `Half messages of the group that are neither committed nor rolled back by their check time are POSTed to the check URL by their queue's alarm. ${requestBodyNote}`,
    need: admin('configuring a producer group'),
    request: {
      params: ProducerGroupPath,
      body: { schema: ProducerGroupRequest, description: 'The check URL, or null; optionally the check secret.' },
    },
    responses: {
      200: json(
        ProducerGroupStatus.extend({
          checkSecret: z
            .string()
            .openapi({ description: "The secret that signs check callbacks: keep it with the check URL's receiver." }),
        }).openapi('ProducerGroupConfigured'),
        'The producer group, with its checkSecret (shown only here).',
      ),
    },
    errors: ['MALFORMED_JSON', 'INVALID_REQUEST', 'INVALID_GROUP_NAME', 'REQUEST_TOO_LARGE', 'BROKER_UNAVAILABLE'],
  },
  async (c, { params, body }) => c.json(await configureProducerGroup(c.env, { group: params.producerGroup, ...body })),
);

const HalfPopRequest = z
  .object({
    topic: TopicName,
    maxMessages: z
      .number()
      .int()
      .min(1)
      .max(MAX_POP_MESSAGES)
      .default(DEFAULT_POP_MESSAGES)
      .openapi({ description: 'Most half messages to return.' }),
    invisibleMs: z
      .number()
      .int()
      .min(MIN_INVISIBLE_MS)
      .max(MAX_INVISIBLE_MS)
      .default(DEFAULT_INVISIBLE_MS)
      .openapi({ description: 'How long the popped half messages stay out of the next half pops (10 s to 12 h).' }),
    waitMs: z
      .number()
      .int()
      .min(0)
      .max(MAX_POP_WAIT_MS)
      .default(0)
      .openapi({ description: 'Long polling: how long to wait when none is due for a check.' }),
  })
  .openapi('HalfPopRequest');

declareRoute(
  transactions,
  {
    method: 'post',
    path: '/producer-groups/{producerGroup}/half-messages/pop',
    operationId: 'popHalfMessages',
    tags,
    summary: 'Half messages due for a check (check-back by pop)',
    description: `Half messages of the producer group on the topic that were checked at least once (TRANSACTION_TIMEOUT_MS or checkImmunityMs after the send, then every TRANSACTION_CHECK_INTERVAL_MS) and are still unresolved. Each is left out of the next half pops for invisibleMs; commit or roll it back with its receiptHandle. The RocketMQ HTTP protocol's consumeHalfMessage sits on this. ${requestBodyNote}`,
    need: ({ body }) => ({ action: 'checking half messages', topics: bodyTopics(body, PUB) }),
    request: {
      params: ProducerGroupPath,
      query: z.object({ bodyEncoding: BodyEncodingQuery }),
      body: { schema: HalfPopRequest, description: 'The topic and how to pop.' },
    },
    responses: {
      200: json(
        z
          .object({
            producerGroup: GroupName,
            topic: TopicName,
            messages: z
              .array(
                HalfMessageView.extend({
                  receiptHandle: TransactionHandle.openapi({
                    description: 'The same as transactionHandle: commit or roll back with it.',
                  }),
                }).openapi('PoppedHalfMessage'),
              )
              .openapi({
                description: 'Half messages checked at least once and still unresolved, oldest first per queue.',
              }),
          })
          .openapi('HalfPopResult'),
        'The half messages (maybe none).',
      ),
    },
    errors: [
      'MALFORMED_JSON',
      'INVALID_REQUEST',
      'INVALID_GROUP_NAME',
      'INVALID_TOPIC_NAME',
      'TOPIC_NOT_EXIST',
      'REQUEST_TOO_LARGE',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { producerGroup }, query: { bodyEncoding }, body }) => {
    const { messages } = await popHalfMessages(c.env, { producerGroup, ...body });
    return c.json({
      producerGroup,
      topic: body.topic,
      messages: messages.map((m) => ({ ...toPendingHalfView(m, bodyEncoding), receiptHandle: m.transactionHandle })),
    });
  },
);

declareRoute(
  transactions,
  {
    method: 'get',
    path: '/producer-groups/{producerGroup}/discarded',
    operationId: 'listDiscardedTransactions',
    tags,
    summary: 'Transactions discarded after their last check',
    // Bodies of discarded transactions: all of them for an admin; those of one topic (?topic=) with PUB on it, as the half-message pop.
    need: ({ query }) => {
      const topic = query('topic');
      return topic === undefined
        ? admin('listing every discarded transaction of a producer group (or give ?topic= with PUB on it)')
        : { action: 'listing discarded transactions', topics: bodyTopics({ topic }, PUB) };
    },
    request: {
      params: ProducerGroupPath,
      query: z.object({
        maxMessages: intText({ min: 1, max: MAX_PULL_MESSAGES, default: 32, description: 'Most to return.' }),
        bodyEncoding: BodyEncodingQuery,
        topic: TopicName.optional().openapi({
          description:
            'Only the transactions of this topic (with accounts: PUB on it is enough; without topic, admin).',
        }),
      }),
    },
    responses: {
      200: json(
        z
          .object({
            group: GroupName,
            total: z.number().int().min(0).openapi({ description: 'Discarded ever.' }),
            kept: z
              .number()
              .int()
              .min(0)
              .openapi({ description: `Discarded transactions kept (the newest ${MAX_DISCARDED_KEPT}).` }),
            transactions: z
              .array(HalfMessageView.extend({ discardedAt: millis('When it was discarded') }))
              .openapi({ description: 'Newest first.' }),
          })
          .openapi('DiscardedTransactions'),
        'Newest first.',
      ),
    },
    errors: ['INVALID_REQUEST', 'INVALID_GROUP_NAME', 'INVALID_TOPIC_NAME', 'BROKER_UNAVAILABLE'],
  },
  async (c, { params, query }) =>
    c.json(await listDiscardedTransactions(c.env, { group: params.producerGroup, ...query })),
);
