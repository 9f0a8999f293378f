/**
 * TRANSITIONAL (issue 14): reusable parts of the hand-written OpenAPI paths
 * of the routes not declared yet (openapi-interim.ts): component schemas,
 * parameters and the error responses. Limits come from src/core so that the
 * document cannot drift from what the Worker enforces.
 */
import { MAX_MESSAGE_SIZE_LIMIT } from '../core/config';
import { DEFAULT_MESSAGE_DELAY_LEVEL, DEFAULT_TIMER_MAX_DELAY_MS } from '../core/delay-levels';
import { ERROR_CODES, type ErrorCode } from '../core/errors';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_COUNT,
  MAX_KEYS_LENGTH,
  MAX_PROPERTIES_BYTES,
  MAX_PROPERTIES_COUNT,
  MAX_PULL_BYTES,
  MAX_TAG_LENGTH,
  MAX_QUEUE_ID,
  MAX_UNIQUE_KEY_LENGTH,
  MAX_SHARDING_KEY_LENGTH,
  MAX_OFFSET_COMMITS,
  MAX_REQUEST_BYTES,
} from '../core/limits';

export type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
export const param = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
export const json = (schema: Json): Json => ({ 'application/json': { schema } });

/** An object schema whose properties are all required. */
export const obj = (properties: Record<string, Json>, extra: Json = {}): Json => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
  ...extra,
});
export const int = (description: string, extra: Json = {}): Json => ({ type: 'integer', description, ...extra });
export const str = (description: string, extra: Json = {}): Json => ({ type: 'string', description, ...extra });
export const arrayOf = (items: Json, extra: Json = {}): Json => ({ type: 'array', items, ...extra });

export const millis = (what: string): Json => int(`${what}, in milliseconds since the epoch.`, { minimum: 0 });

/** A 200 answer with a component schema. */
export const ok = (description: string, schema: string) => ({ '200': { description, content: json(ref(schema)) } });
/** A required JSON request body with a component schema. */
export const jsonBody = (schema: string, description: string) => ({ required: true, description, content: json(ref(schema)) });
/** A query parameter. */
export const query = (name: string, description: string, schema: Record<string, unknown>, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});
/** Said of every operation that reads a JSON body. */
export const requestBodyNote = `The body is JSON, at most ${MAX_REQUEST_BYTES} bytes (REQUEST_TOO_LARGE beyond).`;

/** Codes any /api/v1 operation may answer, whatever it does. */
const ALWAYS: readonly ErrorCode[] = ['CONFIG_INVALID', 'SERVER_MISCONFIGURED', 'INTERNAL_ERROR'];

/**
 * The error responses of an operation, one per HTTP status, each listing the
 * codes it may carry (CONFIG_INVALID, SERVER_MISCONFIGURED and INTERNAL_ERROR are added to all).
 */
export function errorResponses(...codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...codes, ...ALWAYS])) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`${ERROR_CODES[c].retriable ? ' (retriable)' : ''}: ${ERROR_CODES[c].description}`).join('\n\n'),
      content: json({ allOf: [ref('ErrorResponse'), { properties: { error: { properties: { code: { enum: list } } } } }] }),
    };
  }
  return out;
}

const bodyEncodingDescription =
  'How `body` is written in JSON: `utf8` (the default; `text` is accepted as a synonym) or `base64` (standard alphabet, with padding).';

export const parameters: Record<string, Json> = {
  topic: {
    name: 'topic',
    in: 'path',
    required: true,
    description: 'Topic name. Percent-encode `%` as `%25` (and preferably `|` as `%7C`), e.g. `%25RETRY%25group`.',
    schema: ref('TopicName'),
  },
  group: { name: 'group', in: 'path', required: true, description: 'Consumer group name.', schema: ref('GroupName') },
  brokerName: { name: 'brokerName', in: 'path', required: true, description: 'Broker group hosting the queue.', schema: ref('BrokerName') },
  queueId: {
    name: 'queueId',
    in: 'path',
    required: true,
    description: 'Queue id within the broker group.',
    schema: { type: 'integer', minimum: 0, maximum: MAX_QUEUE_ID },
  },
  // Transitional, for the member stream's entry (openapi-streams.ts) until it is declared: the member routes declare ClientId (api/group-models.ts).
  clientId: { name: 'clientId', in: 'path', required: true, description: 'The consumer instance, unique per instance (the SDK makes one).', schema: ref('ClientId') },
  timerHandle: {
    name: 'timerHandle',
    in: 'path',
    required: true,
    description: 'A timerHandle from a delayed send (any case).',
    schema: ref('TimerHandle'),
  },
  bodyEncoding: {
    name: 'bodyEncoding',
    in: 'query',
    description: `How to return message bodies. With \`utf8\` (the default) a body that is not valid UTF-8 is returned in base64 all the same; each message's \`bodyEncoding\` says which was used. ${bodyEncodingDescription}`,
    schema: { type: 'string', enum: ['utf8', 'base64', 'text'], default: 'utf8' },
  },
};

export const schemas: Record<string, Json> = {
  MessageInput: {
    type: 'object',
    required: ['body'],
    properties: {
      body: str(
        `The body, not empty. At most the cluster's MAX_MESSAGE_SIZE bytes once decoded (default 1 MiB, configurable up to ${MAX_MESSAGE_SIZE_LIMIT}).`,
        { minLength: 1 },
      ),
      bodyEncoding: { type: 'string', enum: ['utf8', 'base64', 'text'], default: 'utf8', description: bodyEncodingDescription },
      tags: str('One tag (RocketMQ stores one tag per message); empty or absent for none.', { maxLength: MAX_TAG_LENGTH, pattern: '^[^\\s|*]*$' }),
      keys: {
        description: `Keys for queries by key: a space separated string or an array. Duplicates are dropped; together at most ${MAX_KEYS_LENGTH} characters.`,
        oneOf: [{ type: 'string' }, arrayOf({ type: 'string', pattern: '^\\S+$' })],
      },
      properties: {
        type: 'object',
        description: `User properties, string values. At most ${MAX_PROPERTIES_COUNT} and ${MAX_PROPERTIES_BYTES} bytes as JSON.`,
        additionalProperties: { type: 'string' },
        maxProperties: MAX_PROPERTIES_COUNT,
        propertyNames: { minLength: 1, pattern: '^[^\\u0000-\\u001f]+$' },
      },
      bornTimestamp: millis('When the producer made the message; default: when the Worker received it'),
      uniqueKey: str('The client-side message id (UNIQ_KEY). Default: generated (32 upper-case hex digits).', { pattern: `^[A-Za-z0-9_-]{1,${MAX_UNIQUE_KEY_LENGTH}}$` }),
    },
  },
  SendTarget: {
    type: 'object',
    description: 'Where the message or batch goes: round robin over writable queues (neither field), by sharding key, or to one queue. Not both.',
    properties: {
      shardingKey: str("Ordered messages: the queue is |Java hashCode(shardingKey)| mod the number of writable queues, as RocketMQ's SelectMessageQueueByHash.", {
        minLength: 1,
        maxLength: MAX_SHARDING_KEY_LENGTH,
      }),
      queue: obj({ brokerName: ref('BrokerName'), queueId: { type: 'integer', minimum: 0, maximum: MAX_QUEUE_ID } }, { description: 'An explicit, writable queue.' }),
    },
    not: { required: ['shardingKey', 'queue'] },
  },
  SendDelay: {
    type: 'object',
    description:
      'Delayed delivery of the message or the whole batch: at most one of these, at the top level. The messages wait in the chosen queue and are appended (and get their offsets) when due. INVALID_DELAY otherwise.',
    properties: {
      delayLevel: int(`A delay level: 1 to the number of levels of the MESSAGE_DELAY_LEVEL var (default RocketMQ's 18: ${DEFAULT_MESSAGE_DELAY_LEVEL}).`, { minimum: 1 }),
      delayMs: int(`Milliseconds to wait, at most the TIMER_MAX_DELAY_MS var (default ${DEFAULT_TIMER_MAX_DELAY_MS}, 3 days).`, { minimum: 1 }),
      deliverAt: millis('When to deliver, at most TIMER_MAX_DELAY_MS ahead; now or in the past sends at once'),
    },
  },
  SendRequest: {
    description: `One message, or a batch in \`messages\` (at most ${MAX_BATCH_COUNT} messages and ${MAX_BATCH_BYTES} bytes), all to the path's topic and one queue.`,
    oneOf: [
      { title: 'One message', allOf: [ref('MessageInput'), ref('SendTarget'), ref('SendDelay')], not: { required: ['messages'] } },
      {
        title: 'Batch',
        allOf: [
          ref('SendTarget'),
          ref('SendDelay'),
          {
            type: 'object',
            required: ['messages'],
            properties: {
              messages: arrayOf(
                { allOf: [ref('MessageInput'), { properties: { topic: { ...ref('TopicName'), description: "If given, the path's topic." } } }] },
                { minItems: 1, maxItems: MAX_BATCH_COUNT },
              ),
            },
          },
        ],
      },
    ],
  },
  SendResult: obj({
    status: {
      type: 'string',
      enum: ['SEND_OK', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE'],
      description: 'Stored on the master in every case. On a SYNC_MASTER with slaves: FLUSH_SLAVE_TIMEOUT when no slave confirmed within SLAVE_TIMEOUT_MS, SLAVE_NOT_AVAILABLE when none could be reached.',
    },
    msgId: ref('MessageId'),
    uniqueKey: { type: 'string' },
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId: { type: 'integer', minimum: 0 },
    queueOffset: { type: 'integer', minimum: 0 },
  }),
  SendBatchResult: obj({ results: arrayOf(ref('SendResult'), { description: 'One per message, in order; consecutive offsets of one queue.' }) }),
  OnewayAccepted: obj({ status: { const: 'ACCEPTED' }, count: int('Messages accepted for sending.', { minimum: 1 }) }),
  DelayedSendResult: obj(
    {
      status: { const: 'SEND_OK' },
      delayed: { const: true },
      timerHandle: ref('TimerHandle'),
      deliverAt: millis('When the message becomes due'),
      uniqueKey: { type: 'string' },
      topic: ref('TopicName'),
      brokerName: ref('BrokerName'),
      queueId: { type: 'integer', minimum: 0 },
    },
    { description: 'A delayed message, held by its queue until deliverAt. It gets its msgId and queueOffset when it is delivered.' },
  ),
  DelayedSendBatchResult: obj({ results: arrayOf(ref('DelayedSendResult'), { description: 'One per message, in order, all with the same deliverAt.' }) }),
  TimerHandle: str('Self-locating handle of a pending delayed message (upper-case hex of version 2, brokerId, queueId, timer id, broker name and topic).', {
    pattern: '^(?:[0-9A-Fa-f]{2})+$',
    maxLength: 1024,
  }),
  TimerView: obj({
    timerHandle: ref('TimerHandle'),
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId: { type: 'integer', minimum: 0 },
    deliverAt: millis('When the message becomes due'),
    scheduledAt: millis('When it was sent'),
    tags: str('The tag, or "" for none.'),
    keys: str('Space separated keys, or "".'),
    properties: { type: 'object', additionalProperties: { type: 'string' } },
    body: { type: 'string' },
    bodyEncoding: { type: 'string', enum: ['utf8', 'base64'] },
    bornTimestamp: millis('When the producer made the message'),
    uniqueKey: { type: 'string' },
    reconsumeTimes: { type: 'integer', minimum: 0 },
  }),
  TimerCancelled: obj({
    cancelled: { const: true },
    timerHandle: ref('TimerHandle'),
    deliverAt: millis('When the message would have been due'),
    uniqueKey: { type: 'string' },
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId: { type: 'integer', minimum: 0 },
  }),

  MessageId: str('Self-locating message id (upper-case hex of version, brokerId, queueId, queue offset, broker name and topic).', {
    pattern: '^(?:[0-9A-Fa-f]{2})+$',
    maxLength: 1024,
  }),
  MessageView: obj({
    msgId: ref('MessageId'),
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId: { type: 'integer', minimum: 0 },
    queueOffset: { type: 'integer', minimum: 0 },
    tags: str('The tag, or "" for none.'),
    keys: str('Space separated keys, or "".'),
    properties: { type: 'object', additionalProperties: { type: 'string' } },
    body: { type: 'string' },
    bodyEncoding: { type: 'string', enum: ['utf8', 'base64'] },
    bornTimestamp: millis('When the producer made the message'),
    storeTimestamp: millis('When the queue stored the message'),
    uniqueKey: { type: 'string' },
    reconsumeTimes: { type: 'integer', minimum: 0 },
  }),
  QueryResult: obj({ topic: ref('TopicName'), messages: arrayOf(ref('MessageView'), { description: 'Newest first.' }) }),
  PullResult: obj({
    status: str(
      'FOUND: messages returned. NO_NEW_MSG: offset is the max offset. NO_MATCHED_MSG: no message passed the tag filter in the scanned window. OFFSET_ILLEGAL: offset is below minOffset or above maxOffset.',
      { enum: ['FOUND', 'NO_NEW_MSG', 'NO_MATCHED_MSG', 'OFFSET_ILLEGAL'] },
    ),
    messages: arrayOf(ref('MessageView'), {
      description: `In offset order; empty unless FOUND. Stops at maxMessages or once bodies pass ${MAX_PULL_BYTES} bytes (at least one message).`,
    }),
    nextBeginOffset: int('The offset to pull next, whatever the status.', { minimum: 0 }),
    minOffset: { type: 'integer', minimum: 0 },
    maxOffset: { type: 'integer', minimum: 0 },
  }),
  SearchOffsetResult: obj({
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId: { type: 'integer', minimum: 0 },
    timestamp: { type: 'integer', minimum: 0 },
    offset: int('First offset stored at or after timestamp; the max offset when there is none.', { minimum: 0 }),
  }),

};
