/**
 * Reusable parts of the OpenAPI document (see openapi.ts): component schemas,
 * parameters and the error responses. Limits come from src/core so that the
 * document cannot drift from what the Worker enforces.
 */
import { MAX_MESSAGE_SIZE_LIMIT, REGIONS } from '../core/config';
import { DEFAULT_MESSAGE_DELAY_LEVEL, DEFAULT_TIMER_MAX_DELAY_MS } from '../core/delay-levels';
import { ERROR_CODES, type ErrorCode } from '../core/errors';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_COUNT,
  MAX_KEYS_LENGTH,
  MAX_PROPERTIES_BYTES,
  MAX_PROPERTIES_COUNT,
  MAX_PULL_BYTES,
  MAX_QUEUES_PER_BROKER,
  MAX_TAG_LENGTH,
  MAX_TAGS_IN_EXPRESSION,
  MAX_QUEUE_ID,
  MAX_UNIQUE_KEY_LENGTH,
  MAX_SHARDING_KEY_LENGTH,
  MAX_OFFSET_COMMITS,
  MAX_REQUEST_BYTES,
} from '../core/limits';
import { MAX_BROKER_NAME_LENGTH, MAX_GROUP_LENGTH, MAX_TOPIC_LENGTH } from '../core/names';

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

/** The error code table as Markdown, generated from ERROR_CODES. */
export const errorCodeTable = [
  '| code | status | retriable | meaning |',
  '| --- | --- | --- | --- |',
  ...Object.entries(ERROR_CODES).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.retriable ? 'yes' : 'no'} | ${e.description.replace(/\|/g, '\\|')} |`),
].join('\n');

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
  TopicName: str(`A topic: letters, digits, \`%\`, \`|\`, \`_\` and \`-\`.`, { pattern: '^[%|a-zA-Z0-9_-]+$', minLength: 1, maxLength: MAX_TOPIC_LENGTH }),
  GroupName: str('A consumer group: letters, digits, `%`, `|`, `_` and `-`.', { pattern: '^[%|a-zA-Z0-9_-]+$', minLength: 1, maxLength: MAX_GROUP_LENGTH }),
  BrokerName: str('A broker group: letters, digits, `_` and `-`.', { pattern: '^[a-zA-Z0-9_-]+$', minLength: 1, maxLength: MAX_BROKER_NAME_LENGTH }),
  Perm: int('RocketMQ permission bits: 6 read and write, 4 read, 2 write, 0 none.', { enum: [0, 2, 4, 6] }),
  PermName: str('The permission as mqadmin prints it.', { enum: ['RW', 'R-', '-W', '--'] }),

  ErrorCode: str('A stable error code; see the table in info.description (src/core/errors.ts is the source of truth).', {
    enum: Object.keys(ERROR_CODES),
  }),
  ErrorResponse: obj(
    {
      error: obj({
        code: ref('ErrorCode'),
        message: str('What went wrong, for humans; not stable.'),
        retriable: { type: 'boolean', description: 'Whether the same request may be sent again as it is.' },
      }),
    },
    { description: `Every error has this shape.\n\n${errorCodeTable}` },
  ),

  Index: obj({ name: { const: 'flaremq' }, api: { const: '/api/v1' }, openapi: { const: '/api/v1/openapi.json' }, dashboard: { const: '/' }, metrics: { const: '/metrics' } }),
  TopicList: obj({ topics: arrayOf(ref('TopicName'), { description: 'Every topic a live broker group hosts, sorted.' }) }),
  TopicSpec: {
    type: 'object',
    description: 'A topic on one or more broker groups. Every field is optional: `{}` creates a topic with the defaults.',
    properties: {
      queueNums: int('Sets both readQueueNums and writeQueueNums. Default: the DEFAULT_TOPIC_QUEUE_NUMS var (4).', { minimum: 0, maximum: MAX_QUEUES_PER_BROKER }),
      readQueueNums: int('Queues consumers read, per broker group. Default: queueNums.', { minimum: 0, maximum: MAX_QUEUES_PER_BROKER }),
      writeQueueNums: int('Queues producers write, per broker group. Default: queueNums.', { minimum: 0, maximum: MAX_QUEUES_PER_BROKER }),
      perm: {
        description: 'Permission, as a number 0 to 7 (only the read 4 and write 2 bits are kept) or as letters, any case. Default 6 ("RW").',
        oneOf: [
          { type: 'integer', minimum: 0, maximum: 7 },
          { type: 'string', pattern: '^([Rr][Ww]|[Ww][Rr]|[Rr]|[Ww]|)$' },
        ],
        default: 6,
      },
      brokerNames: arrayOf(ref('BrokerName'), {
        minItems: 1,
        description: 'Broker groups (masters) to create or update the topic on. Default: every broker group of the cluster. Groups not named keep what they had.',
      }),
    },
  },
  QueueData: obj({
    brokerName: ref('BrokerName'),
    readQueueNums: { type: 'integer', minimum: 0 },
    writeQueueNums: { type: 'integer', minimum: 0 },
    perm: ref('Perm'),
  }),
  BrokerInstance: obj({
    brokerId: int('0 for the master, > 0 for slaves.', { minimum: 0 }),
    brokerRole: ref('BrokerRole'),
    flushDiskType: ref('FlushDiskType'),
    region: ref('Region'),
    lastUpdateTimestamp: millis('When a NameServer last heard from the broker'),
  }),
  BrokerData: obj({ cluster: { type: 'string' }, brokerName: ref('BrokerName'), brokers: arrayOf(ref('BrokerInstance')) }),
  TopicRoute: obj(
    { topic: ref('TopicName'), queueDatas: arrayOf(ref('QueueData')), brokerDatas: arrayOf(ref('BrokerData')) },
    { description: "A topic's route (RocketMQ's TopicRouteData): the broker groups hosting it and their live brokers." },
  ),
  TopicRouteView: obj({
    topic: ref('TopicName'),
    queueDatas: arrayOf({ allOf: [ref('QueueData'), obj({ permName: ref('PermName') })] }),
    brokerDatas: arrayOf(ref('BrokerData')),
  }),
  TopicDeleted: obj({ topic: ref('TopicName'), deleted: { const: true } }),
  QueueStatus: obj({
    brokerName: ref('BrokerName'),
    queueId: { type: 'integer', minimum: 0 },
    minOffset: int('Offset of the oldest stored message (maxOffset when the queue is empty).', { minimum: 0 }),
    maxOffset: int('Offset the next message will take.', { minimum: 0 }),
    lastUpdateTimestamp: millis('Store time of the last message (0: none yet)'),
    pendingTimers: int('Delayed messages waiting in the queue; they take offsets when due, so they are not in maxOffset.', { minimum: 0 }),
    writes: obj({
      writable: { type: 'boolean', description: 'False while messages the queue holds (ASYNC_FLUSH) cannot be written to its log: it refuses requests (503 BROKER_UNAVAILABLE) until a write succeeds.' },
      heldMessages: int('Messages answered and held in local storage, not yet in the log (ASYNC_FLUSH; 0 right after a status, which writes them, unless writing fails).', { minimum: 0 }),
      failedWrites: int('Writes of sent messages that failed since the queue object started (each logged).', { minimum: 0 }),
    }),
    storage: obj({
      rowsWritten: int('Rows the queue object\'s SQL wrote since it started, as the runtime counts them (rowsWritten of its cursors: table and index rows). docs/storage.md.', { minimum: 0 }),
      messagesAppended: int('Messages appended to its log since it started (sends, delayed and transactional messages, replication).', { minimum: 0 }),
      bytesWritten: int('Bytes of the log rows and key index rows it wrote since it started.', { minimum: 0 }),
      databaseBytes: int('Size of the queue object\'s database now (sql.databaseSize).', { minimum: 0 }),
    }),
  }, { required: ['brokerName', 'queueId', 'minOffset', 'maxOffset', 'lastUpdateTimestamp', 'pendingTimers', 'writes'] }), // storage: only with ?counters=true
  TopicStatus: obj({ topic: ref('TopicName'), queues: arrayOf(ref('QueueStatus')) }),

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

  BrokerRole: { type: 'string', enum: ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'] },
  FlushDiskType: { type: 'string', enum: ['SYNC_FLUSH', 'ASYNC_FLUSH'] },
  Region: { type: 'string', enum: [...REGIONS], description: "Location hint of the broker's objects." },
  ClusterView: obj({
    clusterName: str('CLUSTER_NAME of this deployment.'),
    nameServerCount: { type: 'integer', minimum: 1 },
    clusters: arrayOf(obj({ clusterName: { type: 'string' }, brokerNames: arrayOf(ref('BrokerName')) }), {
      description: 'As one NameServer sees them: live broker groups by cluster.',
    }),
    brokerDatas: arrayOf(ref('BrokerData')),
  }),
  BrokerConfig: obj({
    brokerName: ref('BrokerName'),
    brokerId: { type: 'integer', minimum: 0 },
    brokerRole: ref('BrokerRole'),
    flushDiskType: ref('FlushDiskType'),
    deleteWhen: str('Hours when retention runs, two digits, ";"-separated.', { pattern: '^([01]\\d|2[0-3])(;([01]\\d|2[0-3]))*$' }),
    fileReservedTime: int('Hours a message is kept.', { minimum: 1 }),
    region: ref('Region'),
  }),
  BrokerStatus: obj({
    config: ref('BrokerConfig'),
    dataVersion: str('Changes whenever the broker topic config changes.'),
    topicCount: { type: 'integer', minimum: 0 },
    lastRegistrationTimestamp: millis('When a registration last reached a NameServer (0: never)'),
    nameServersReached: int('NameServers that took the last registration made by this instance of the object (0 after it restarts, until its next heartbeat).', {
      minimum: 0,
    }),
    nameServerCount: { type: 'integer', minimum: 1 },
    faultInjection: ref('FaultInjection'),
    replication: ref('ReplicationStatus'),
  }),
  BrokerList: obj({ brokers: arrayOf(ref('BrokerStatus'), { description: 'Every broker of the layout (masters and slaves), in layout order.' }) }),
};

/** Limits quoted in the document's text. */
export const limitsText = [
  `Tag expression: at most ${MAX_TAGS_IN_EXPRESSION} tags.`,
  `Batch: at most ${MAX_BATCH_COUNT} messages and ${MAX_BATCH_BYTES} bytes.`,
  `Properties: at most ${MAX_PROPERTIES_COUNT}, ${MAX_PROPERTIES_BYTES} bytes as JSON.`,
].join(' ');
