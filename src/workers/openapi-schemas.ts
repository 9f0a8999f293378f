/**
 * Reusable parts of the OpenAPI document (see openapi.ts): component schemas,
 * parameters and the error responses. Limits come from src/core so that the
 * document cannot drift from what the Worker enforces.
 */
import { REGIONS } from '../core/config';
import { ERROR_CODES, type ErrorCode } from '../core/errors';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_COUNT,
  MAX_PROPERTIES_BYTES,
  MAX_PROPERTIES_COUNT,
  MAX_QUEUES_PER_BROKER,
  MAX_TAGS_IN_EXPRESSION,
  MAX_QUEUE_ID,
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

  GroupOffsets: obj({
    group: ref('GroupName'),
    topic: ref('TopicName'),
    offsets: arrayOf(
      obj({
        brokerName: ref('BrokerName'),
        queueId: { type: 'integer', minimum: 0 },
        offset: int('Committed offset; -1 when the group has committed none on this queue.', { minimum: -1 }),
        minOffset: { type: 'integer', minimum: 0 },
        maxOffset: { type: 'integer', minimum: 0 },
        lag: int('maxOffset - max(offset, minOffset).', { minimum: 0 }),
        updatedAt: millis('When the offset was committed (0: never)'),
      }),
      { description: 'One per readable queue of the topic.' },
    ),
    totalLag: { type: 'integer', minimum: 0 },
  }),
  OffsetCommit: obj({ brokerName: ref('BrokerName'), queueId: { type: 'integer', minimum: 0 }, offset: { type: 'integer', minimum: 0 } }),
  CommitOffsetsRequest: {
    description: 'One offset, or several in `offsets` (which wins when both are given). Every offset is checked before any is stored.',
    oneOf: [
      { title: 'One queue', allOf: [ref('OffsetCommit'), obj({ topic: ref('TopicName') })], not: { required: ['offsets'] } },
      { title: 'Several queues', ...obj({ topic: ref('TopicName'), offsets: arrayOf(ref('OffsetCommit'), { minItems: 1, maxItems: MAX_OFFSET_COMMITS }) }) },
    ],
  },
  CommittedOffsets: obj({
    group: ref('GroupName'),
    topic: ref('TopicName'),
    offsets: arrayOf(obj({ brokerName: ref('BrokerName'), queueId: { type: 'integer' }, offset: { type: 'integer' }, updatedAt: millis('Commit time') })),
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
