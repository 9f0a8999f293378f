import { SUB } from '../../core/acl';
import { dlqTopic } from '../../core/group-config';
import {
  DEFAULT_INVISIBLE_MS,
  DEFAULT_POP_MESSAGES,
  MAX_ACK_HANDLES,
  MAX_HELD_BACK,
  MAX_INVISIBLE_MS,
  MAX_POP_MESSAGES,
  MAX_POP_WAIT_MS,
  MIN_INVISIBLE_MS,
} from '../../core/limits';
import { PROPERTY_SHARDING_KEY } from '../../core/system-properties';
import { parseTagExpression } from '../../core/tag-filter';
import { declareRoute, router } from '../api/declare';
import {
  BodyEncodingQuery,
  BrokerName,
  ErrorBody,
  GroupName,
  TopicName,
  json,
  requestBodyNote,
  z,
} from '../api/fields';
import { GroupPath } from '../api/group-models';
import { MessageId, MessageView, millis } from '../api/models';
import { ackMessages, changeInvisibleDuration, popMessages, toPoppedMessageView } from '../../services/pop';
import { bodyTopics, consumer, field, receiptHandleTopics } from '../security/requirements';

/** Pop consumption (RocketMQ 5's SimpleConsumer): receive, ack, change invisibility. Logic in ../pop.ts; docs/pop.md is the guide. */
export const pop = router();

const tags = ['pop'];

/** Not checked here: an ack answers a bad handle in its own result, a change of invisibility with INVALID_RECEIPT_HANDLE (../pop.ts). */
const ReceiptHandle = z.string().openapi('ReceiptHandle', {
  pattern: '^(?:[0-9A-Fa-f]{2})+$',
  maxLength: 1024,
  description:
    'Names one delivery of a popped message to one group (upper-case hex of version 3, brokerId, queueId, queue offset, handle sequence, broker name, topic and group; for a retry message a pop of a topic took from the group’s retry topic, group+topic). Only the latest handle of a message acks it.',
});

const invisibleMs = (description: string) =>
  z.number().int().min(MIN_INVISIBLE_MS).max(MAX_INVISIBLE_MS).openapi({ description });

const PopRequest = z
  .object({
    topic: TopicName,
    expression: z
      .string()
      .optional()
      .transform((v) => (parseTagExpression(v), v))
      .openapi({
        type: 'string',
        default: '*',
        description: 'Tag expression: `*` (or empty) for all, or tags separated by `||`.',
      }),
    maxMessages: z
      .number()
      .int()
      .min(1)
      .max(MAX_POP_MESSAGES)
      .default(DEFAULT_POP_MESSAGES)
      .openapi({ description: 'Most messages to return.' }),
    invisibleMs: invisibleMs(
      'How long the popped messages stay invisible to the group unless acked (10 s to 12 h).',
    ).default(DEFAULT_INVISIBLE_MS),
    waitMs: z
      .number()
      .int()
      .min(0)
      .max(MAX_POP_WAIT_MS)
      .default(0)
      .openapi({ description: 'Long polling: how long to wait when no queue has a message for the group.' }),
    orderly: z
      .boolean()
      .default(false)
      .openapi({
        description: `Ordered pop: a message with a sharding key (property \`${PROPERTY_SHARDING_KEY}\`) is not delivered until the one before it with the same key is acked (or moved to the DLQ).`,
      }),
  })
  .openapi('PopRequest');

const PoppedMessage = MessageView.extend({
  receiptHandle: ReceiptHandle,
  popTimestamp: millis('When this delivery was made'),
  firstPopTimestamp: millis('When the message was first delivered to the group'),
  invisibleUntil: millis('When it becomes visible to the group again unless acked (RocketMQ nextVisibleTime)'),
  reconsumeTimes: z
    .number()
    .int()
    .min(0)
    .openapi({ description: "The group's earlier deliveries of the message (deliveries − 1)." }),
}).openapi('PoppedMessage', { description: 'A message view, plus its delivery to the group.' });

declareRoute(
  pop,
  {
    method: 'post',
    path: '/groups/{group}/pop',
    operationId: 'popMessages',
    tags,
    summary: 'Receive messages (pop)',
    description: [
      'Walks the readable queues of the topic from a rotating start and pops from each until it has maxMessages: first the messages of the group whose invisible time lapsed (delivered again, reconsumeTimes + 1), then new ones from where the group last popped (a new group starts where its consumeFromWhere says; it is created with the defaults on its first pop).',
      `A message whose next delivery would pass the group's maxReconsumeTimes is sent to \`${dlqTopic('{group}')}\` and acked instead of being delivered.`,
      `With \`orderly\`, messages of one sharding key come one at a time, in order (at most ${MAX_HELD_BACK} messages per group and queue are held back behind earlier ones).`,
      `With \`waitMs\`, a pop that finds nothing waits until a queue of the topic has something for the group, then pops; an empty list when the wait ends. ${requestBodyNote}`,
    ].join('\n\n'),
    need: consumer('popping', ({ body }) => bodyTopics(body, SUB)),
    request: {
      params: GroupPath,
      query: z.object({ bodyEncoding: BodyEncodingQuery }),
      body: { schema: PopRequest, description: 'The topic and how to pop.' },
    },
    responses: {
      200: json(
        z
          .object({
            group: GroupName,
            topic: TopicName,
            messages: z.array(PoppedMessage).openapi({
              description:
                'Empty when nothing came within waitMs. Redelivered messages first, then new ones, by queue.',
            }),
          })
          .openapi('PopResult'),
        'The popped messages (maybe none).',
      ),
    },
    errors: [
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
    ],
  },
  async (c, { params: { group }, query: { bodyEncoding }, body }) => {
    const { messages } = await popMessages(c.env, { group, ...body });
    return c.json({ group, topic: body.topic, messages: messages.map((m) => toPoppedMessageView(m, bodyEncoding)) });
  },
);

declareRoute(
  pop,
  {
    method: 'post',
    path: '/groups/{group}/ack',
    operationId: 'ackMessages',
    tags,
    summary: 'Ack popped messages',
    description: `Acks each receipt handle on its own and answers one result per handle: a handle that fails does not fail the others (200 all the same). The same ack repeated (a retry after a lost answer) gets the same answer. ${requestBodyNote}`,
    need: consumer('acking', ({ body }) => receiptHandleTopics(field(body, 'receiptHandles'))),
    request: {
      params: GroupPath,
      body: {
        schema: z.object({ receiptHandles: z.array(ReceiptHandle).min(1).max(MAX_ACK_HANDLES) }).openapi('AckRequest'),
        description: 'The receipt handles.',
      },
    },
    responses: {
      200: json(
        z
          .object({
            group: GroupName,
            acked: z.number().int().min(0).openapi({ description: 'Handles acked.' }),
            results: z
              .array(
                z.object({
                  receiptHandle: z.string(),
                  acked: z.boolean(),
                  error: ErrorBody.optional().openapi({
                    description:
                      'Why this handle was not acked: INVALID_RECEIPT_HANDLE (not a handle of this group), RECEIPT_HANDLE_EXPIRED (delivered again, its invisibility changed, or acked more than 5 minutes ago: a repeated ack within them is acked again), TOPIC_NOT_EXIST, BROKER_UNAVAILABLE.',
                  }),
                }),
              )
              .openapi({ description: 'One per handle, in request order.' }),
          })
          .openapi('AckResult'),
        'One result per handle.',
      ),
    },
    errors: ['MALFORMED_JSON', 'INVALID_REQUEST', 'INVALID_GROUP_NAME', 'REQUEST_TOO_LARGE'],
  },
  async (c, { params: { group }, body: { receiptHandles } }) => {
    const results = await ackMessages(c.env, { group, receiptHandles });
    return c.json({ group, acked: results.filter((r) => r.acked).length, results });
  },
);

declareRoute(
  pop,
  {
    method: 'post',
    path: '/groups/{group}/invisible',
    operationId: 'changeInvisibleDuration',
    tags,
    summary: "Change a popped message's invisible time",
    description: `RocketMQ's changeInvisibleDuration: the message becomes visible again invisibleMs from now, under a new receipt handle; the old one no longer acks. It does not count as a delivery. The same call repeated (same handle and invisibleMs, a retry after a lost answer) gets the same answer, new handle included. ${requestBodyNote}`,
    need: consumer('changing invisibility', ({ body }) => receiptHandleTopics(field(body, 'receiptHandle'))),
    request: {
      params: GroupPath,
      body: {
        schema: z
          .object({
            receiptHandle: ReceiptHandle,
            invisibleMs: invisibleMs('Visible again this long from now (10 s to 12 h).'),
          })
          .openapi('ChangeInvisibleRequest'),
        description: 'The handle and the new invisible time.',
      },
    },
    responses: {
      200: json(
        z
          .object({
            group: GroupName,
            receiptHandle: ReceiptHandle.openapi({ description: 'The new handle; the old one no longer acks.' }),
            invisibleUntil: millis('When the message becomes visible again'),
            msgId: MessageId,
            topic: TopicName,
            brokerName: BrokerName,
            queueId: z.number().int().min(0),
            queueOffset: z.number().int().min(0),
            popTimestamp: millis('The current delivery'),
            firstPopTimestamp: millis('The first delivery'),
            reconsumeTimes: z.number().int().min(0),
          })
          .openapi('ChangeInvisibleResult'),
        'The new handle.',
      ),
    },
    errors: [
      'MALFORMED_JSON',
      'INVALID_REQUEST',
      'INVALID_GROUP_NAME',
      'INVALID_RECEIPT_HANDLE',
      'RECEIPT_HANDLE_EXPIRED',
      'TOPIC_NOT_EXIST',
      'REQUEST_TOO_LARGE',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group }, body }) =>
    c.json({ group, ...(await changeInvisibleDuration(c.env, { group, ...body })) }),
);
