/**
 * The send's request and answers (POST /topics/{topic}/messages, and each
 * frame of a producer stream): one message, a batch, a delayed or a
 * transactional send. The schemas check the shape with the codes a send
 * answers (SEND_CODES); core/message.ts parseSendRequest, which every send
 * surface shares, then checks what needs the cluster's config (sizes, delay
 * levels, the maximum delay) and the batch's totals.
 */
import { MAX_MESSAGE_SIZE_LIMIT } from '../../core/config';
import { DEFAULT_MESSAGE_DELAY_LEVEL, DEFAULT_TIMER_MAX_DELAY_MS } from '../../core/delay-levels';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_COUNT,
  MAX_KEYS_LENGTH,
  MAX_PROPERTIES_BYTES,
  MAX_PROPERTIES_COUNT,
  MAX_QUEUE_ID,
  MAX_SHARDING_KEY_LENGTH,
  MAX_TAG_LENGTH,
  MAX_UNIQUE_KEY_LENGTH,
} from '../../core/limits';
import { DELAY_FIELDS, parseSendRequest, type SendRequest } from '../../core/message';
import { refuseReservedProperties } from '../../core/system-properties';
import { MAX_CHECK_IMMUNITY_MS } from '../../core/transaction';
import type { Env } from '../../env';
import { config } from '../../services/cluster';
import { BrokerName, GroupName, TopicName, bodyEncodingText, z } from './fields';
import { MessageId, TimerHandle, TransactionHandle, millis } from './models';
import { issue, parseWith, type FieldCodes } from './validation';

/** A property name: no control character (they would corrupt the stored properties). */
// eslint-disable-next-line no-control-regex
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f]+$/;

/** A message's own fields are INVALID_MESSAGE (its bodyEncoding, as everywhere, INVALID_REQUEST); a path's topic named again, INVALID_REQUEST. */
export const SEND_CODES: FieldCodes = {
  body: 'INVALID_MESSAGE',
  tags: 'INVALID_MESSAGE',
  keys: 'INVALID_MESSAGE',
  properties: 'INVALID_MESSAGE',
  bornTimestamp: 'INVALID_MESSAGE',
  uniqueKey: 'INVALID_MESSAGE',
  bodyEncoding: 'INVALID_REQUEST',
  topic: 'INVALID_REQUEST',
};

/** One message's fields, as a send (and a send back of a consumer's copy) gives them. */
export const MessageInput = z
  .looseObject({
    body: z
      .string()
      .min(1)
      .openapi({
        description: `The body, not empty. At most the cluster's MAX_MESSAGE_SIZE bytes once decoded (default 1 MiB, configurable up to ${MAX_MESSAGE_SIZE_LIMIT}).`,
      }),
    bodyEncoding: z
      .enum(['utf8', 'base64', 'text'])
      .nullish()
      .openapi({ default: 'utf8', description: bodyEncodingText }),
    tags: z
      .string()
      .max(MAX_TAG_LENGTH)
      .regex(/^[^\s|*]*$/)
      .nullish()
      .openapi({
        description:
          "One tag (RocketMQ stores one tag per message), without whitespace, '|' or '*'; empty or absent for none.",
      }),
    keys: z
      .union([z.string(), z.array(z.string().regex(/^\S+$/))])
      .nullish()
      .openapi({
        description: `Keys for queries by key: a space separated string or an array. Duplicates are dropped; together at most ${MAX_KEYS_LENGTH} characters.`,
      }),
    properties: z
      .record(z.string().regex(NO_CONTROL_CHARACTERS), z.string())
      .nullish()
      .openapi({
        description: `User properties, string values (names RocketMQ reserves are refused: RESERVED_PROPERTY). At most ${MAX_PROPERTIES_COUNT} and ${MAX_PROPERTIES_BYTES} bytes as JSON (PROPERTIES_TOO_LARGE).`,
        maxProperties: MAX_PROPERTIES_COUNT,
      }),
    bornTimestamp: millis('When the producer made the message; default: when the Worker received it').optional(),
    uniqueKey: z
      .string()
      .regex(new RegExp(`^[A-Za-z0-9_-]{1,${MAX_UNIQUE_KEY_LENGTH}}$`))
      .optional()
      .openapi({
        description: 'The client-side message id (UNIQ_KEY). Default: generated (32 upper-case hex digits).',
      }),
  })
  .openapi('MessageInput');

const SendTarget = {
  shardingKey: z.string().min(1).max(MAX_SHARDING_KEY_LENGTH).optional().openapi({
    description:
      "Ordered messages: the queue is |Java hashCode(shardingKey)| mod the number of writable queues, as RocketMQ's SelectMessageQueueByHash. Not with `queue`.",
  }),
  queue: z
    .object({ brokerName: BrokerName, queueId: z.number().int().min(0).max(MAX_QUEUE_ID) })
    .optional()
    .openapi({
      description:
        'An explicit, writable queue. Not with `shardingKey`. Neither: round robin over the writable queues.',
    }),
};

const SendDelay = {
  delayLevel: z
    .number()
    .int()
    .min(1)
    .nullish()
    .openapi({
      description: `A delay level: 1 to the number of levels of the MESSAGE_DELAY_LEVEL var (default RocketMQ's 18: ${DEFAULT_MESSAGE_DELAY_LEVEL}).`,
    }),
  delayMs: z
    .number()
    .int()
    .min(1)
    .nullish()
    .openapi({
      description: `Milliseconds to wait, at most the TIMER_MAX_DELAY_MS var (default ${DEFAULT_TIMER_MAX_DELAY_MS}, 3 days).`,
    }),
  deliverAt: millis('When to deliver, at most TIMER_MAX_DELAY_MS ahead; now or in the past sends at once').nullish(),
};
const delayText =
  'A delay (`delayLevel`, `delayMs` or `deliverAt`: at most one, at the top level, INVALID_DELAY otherwise) holds the message or the whole batch in the chosen queue until due: it is appended, and gets its offset, then.';

const TransactionOptions = z
  .object({
    producerGroup: GroupName,
    checkImmunityMs: z.number().int().min(1).max(MAX_CHECK_IMMUNITY_MS).nullish().openapi({
      description:
        "First check this long after the send, instead of the TRANSACTION_TIMEOUT_MS var (default 6000). RocketMQ's CHECK_IMMUNITY_TIME_IN_SECONDS, in ms.",
    }),
  })
  .openapi('TransactionOptions', {
    description:
      'Makes the send a half message of this producer group: one message, not delayed, not oneway (INVALID_REQUEST otherwise). It waits invisible in its queue until committed or rolled back by its `transactionHandle`, or checked back (docs/transactions.md).',
  });

const OneMessage = z
  .looseObject({
    // First, so that a body with a `messages` that is not an array is refused for it (INVALID_REQUEST), not for a missing body.
    messages: z
      .any()
      .refine(() => false, {
        error: 'messages must be a non-empty array of messages (or leave it out to send one message)',
      })
      .optional()
      .openapi({ not: {}, description: 'Absent: this is one message.' }),
    ...MessageInput.shape,
    topic: z.string().optional().openapi({ description: "If given, the path's topic." }),
    ...SendTarget,
    ...SendDelay,
    transaction: TransactionOptions.optional(),
  })
  .superRefine((v, ctx) => {
    const delay = v.transaction && DELAY_FIELDS.find((f) => v[f] !== undefined && v[f] !== null);
    if (delay) ctx.addIssue(issue('INVALID_REQUEST', `a transactional message cannot be delayed (${delay})`));
  })
  .openapi('SendMessageRequest', {
    title: 'One message',
    description: `One message to the path's topic. ${delayText}`,
  });

const SendBatchRequest = z
  .looseObject({
    messages: z
      .array(
        MessageInput.extend({
          topic: z
            .string()
            .optional()
            .openapi({ description: "If given, the path's topic (BATCH_MIXED_TOPICS otherwise)." }),
        }),
      )
      .min(1)
      .openapi({
        maxItems: MAX_BATCH_COUNT,
        description: `At most ${MAX_BATCH_COUNT} messages and ${MAX_BATCH_BYTES} bytes (BATCH_TOO_LARGE), appended atomically to one queue.`,
      }),
    ...SendTarget,
    ...SendDelay,
  })
  .openapi('SendBatchRequest', {
    title: 'Batch',
    description: `A batch, all to the path's topic and one queue. ${delayText}`,
  });

/**
 * A send's body: one message (possibly transactional) or a batch. Unknown
 * fields are kept (and ignored): parseSendRequest refuses what only it knows
 * to refuse, e.g. a delay inside a batch's message.
 */
export const SendBody = z.union([OneMessage, SendBatchRequest]).openapi('SendRequest', {
  description: `One message, or a batch in \`messages\` (at most ${MAX_BATCH_COUNT} messages and ${MAX_BATCH_BYTES} bytes), all to the path's topic and one queue: the explicit \`queue\`, the queue of \`shardingKey\`, or the next writable queue in round robin.`,
});

const placed = { uniqueKey: z.string(), topic: TopicName, brokerName: BrokerName, queueId: z.number().int().min(0) };

export const SendResult = z
  .object({
    status: z.enum(['SEND_OK', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']).openapi({
      description:
        'Stored on the master in every case. On a SYNC_MASTER with slaves: FLUSH_SLAVE_TIMEOUT when no slave confirmed within SLAVE_TIMEOUT_MS, SLAVE_NOT_AVAILABLE when none could be reached.',
    }),
    msgId: MessageId,
    ...placed,
    queueOffset: z.number().int().min(0),
  })
  .openapi('SendResult');

export const DelayedSendResult = z
  .object({
    status: z.literal('SEND_OK'),
    delayed: z.literal(true),
    timerHandle: TimerHandle,
    deliverAt: millis('When the message becomes due'),
    ...placed,
  })
  .openapi('DelayedSendResult', {
    description:
      'A delayed message, held by its queue until deliverAt. It gets its msgId and queueOffset when it is delivered.',
  });

const HalfSendResult = z
  .object({
    status: z.literal('SEND_OK'),
    transactional: z.literal(true),
    transactionHandle: TransactionHandle,
    ...placed,
    checkAt: millis('When it is first checked unless committed or rolled back before'),
  })
  .openapi('HalfSendResult', {
    description:
      'A half message: stored in its queue, invisible to consumers, until committed or rolled back. It gets its msgId and queueOffset when committed.',
  });

/** What a send answers with 200. */
export const SendAnswer = z.union([
  SendResult,
  z
    .object({
      results: z
        .array(SendResult)
        .openapi({ description: 'One per message, in order; consecutive offsets of one queue.' }),
    })
    .openapi('SendBatchResult'),
  DelayedSendResult,
  z
    .object({
      results: z
        .array(DelayedSendResult)
        .openapi({ description: 'One per message, in order, all with the same deliverAt.' }),
    })
    .openapi('DelayedSendBatchResult'),
  HalfSendResult,
]);

/** What a oneway send answers with 202. */
export const OnewayAccepted = z
  .object({
    status: z.literal('ACCEPTED'),
    count: z.number().int().min(1).openapi({ description: 'Messages accepted for sending.' }),
  })
  .openapi('OnewayAccepted');

/**
 * A send's body, checked as every send of the REST API is (a request, a
 * producer stream's frame): its shape (SendBody, unless the route's
 * declaration checked it already), then its limits, then reserved properties.
 */
export function checkedSendRequest(env: Env, topic: string, body: unknown, shaped = false): SendRequest {
  const req = parseSendRequest(topic, shaped ? body : parseWith(SendBody, body, SEND_CODES), config(env));
  req.messages.forEach((m, i) => refuseReservedProperties(m.properties, req.batch ? `messages[${i}].` : ''));
  return req;
}
