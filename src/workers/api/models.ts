/**
 * Answer schemas that several route files share (routes and brokers). A
 * schema used by one route file lives in that file.
 */
import { REGIONS } from '../../core/config';
import { MAX_PULL_BYTES } from '../../core/limits';
import { BrokerName, TopicName, z } from './fields';

export const millis = (what: string) =>
  z
    .number()
    .int()
    .min(0)
    .openapi({ description: `${what}, in milliseconds since the epoch.` });

export const Perm = z
  .union([z.literal(0), z.literal(2), z.literal(4), z.literal(6)])
  .openapi('Perm', { description: 'RocketMQ permission bits: 6 read and write, 4 read, 2 write, 0 none.' });
export const PermName = z
  .enum(['RW', 'R-', '-W', '--'])
  .openapi('PermName', { description: 'The permission as mqadmin prints it.' });
export const BrokerRole = z.enum(['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE']).openapi('BrokerRole');
export const FlushDiskType = z.enum(['SYNC_FLUSH', 'ASYNC_FLUSH']).openapi('FlushDiskType');
export const Region = z
  .enum(REGIONS as unknown as [string, ...string[]])
  .openapi('Region', { description: "Location hint of the broker's objects." });

export const QueueData = z
  .object({
    brokerName: BrokerName,
    readQueueNums: z.number().int().min(0),
    writeQueueNums: z.number().int().min(0),
    perm: Perm,
  })
  .openapi('QueueData');

export const BrokerInstance = z
  .object({
    brokerId: z.number().int().min(0).openapi({ description: '0 for the master, > 0 for slaves.' }),
    brokerRole: BrokerRole,
    flushDiskType: FlushDiskType,
    region: Region,
    lastUpdateTimestamp: millis('When a NameServer last heard from the broker'),
  })
  .openapi('BrokerInstance');

export const BrokerData = z
  .object({ cluster: z.string(), brokerName: BrokerName, brokers: z.array(BrokerInstance) })
  .openapi('BrokerData');

export const TopicRoute = z
  .object({ topic: TopicName, queueDatas: z.array(QueueData), brokerDatas: z.array(BrokerData) })
  .openapi('TopicRoute', {
    description: "A topic's route (RocketMQ's TopicRouteData): the broker groups hosting it and their live brokers.",
  });

/** A self-locating id or handle: upper-case hex (any case is read) of what it names. */
const hexId = (name: string, names: string) =>
  z
    .string()
    .openapi(name, { pattern: '^(?:[0-9A-Fa-f]{2})+$', maxLength: 1024, description: `Self-locating ${names}.` });

export const MessageId = hexId(
  'MessageId',
  'message id (upper-case hex of version, brokerId, queueId, queue offset, broker name and topic)',
);
export const TimerHandle = hexId(
  'TimerHandle',
  'handle of a pending delayed message (upper-case hex of version 2, brokerId, queueId, timer id, broker name and topic)',
);
export const TransactionHandle = hexId(
  'TransactionHandle',
  'handle of a half message (upper-case hex of version 4, brokerId, queueId, half-message id, broker name and topic)',
);

/** Fields of a message as every read answers them (core/message.ts MessageView; timers leave out where it is stored). */
export const MessageContent = z.object({
  tags: z.string().openapi({ description: 'The tag, or "" for none.' }),
  keys: z.string().openapi({ description: 'Space separated keys, or "".' }),
  properties: z.record(z.string(), z.string()),
  body: z.string(),
  bodyEncoding: z.enum(['utf8', 'base64']),
  bornTimestamp: millis('When the producer made the message'),
  uniqueKey: z.string(),
  reconsumeTimes: z.number().int().min(0),
});

/** A stored message as reads answer it (core/message.ts MessageView): pulls, queries, pops, dead letters. */
export const MessageView = MessageContent.extend({
  msgId: MessageId,
  topic: TopicName,
  brokerName: BrokerName,
  queueId: z.number().int().min(0),
  queueOffset: z.number().int().min(0),
  storeTimestamp: millis('When the queue stored the message'),
}).openapi('MessageView');

const offset = z.number().int().min(0);

/** What a pull of a queue answers (a topic's queue, or a member's). */
export const PullResult = z
  .object({
    status: z.enum(['FOUND', 'NO_NEW_MSG', 'NO_MATCHED_MSG', 'OFFSET_ILLEGAL']).openapi({
      description:
        'FOUND: messages returned. NO_NEW_MSG: offset is the max offset. NO_MATCHED_MSG: no message passed the tag filter in the scanned window. OFFSET_ILLEGAL: offset is below minOffset or above maxOffset.',
    }),
    messages: z.array(MessageView).openapi({
      description: `In offset order; empty unless FOUND. Stops at maxMessages or once bodies pass ${MAX_PULL_BYTES} bytes (at least one message).`,
    }),
    nextBeginOffset: offset.openapi({ description: 'The offset to pull next, whatever the status.' }),
    minOffset: offset,
    maxOffset: offset,
  })
  .openapi('PullResult');
