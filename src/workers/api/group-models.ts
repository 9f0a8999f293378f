/**
 * Schemas of consumer groups that several route files share (groups,
 * members, offsets, dead letters): the group path, a consumer instance id,
 * the group config and its patch, an assigned queue, and an offset commit.
 * Answers follow the consumer-group object's (src/durable-objects/consumer-group.ts)
 * without importing it; docs/consuming.md is the guide.
 */
import { ALLOCATE_STRATEGIES } from '../../core/allocation';
import {
  CLIENT_ID,
  CONSUME_FROM,
  DEFAULT_RECONSUME_LIMIT,
  MAX_RECONSUME_TIMES_LIMIT,
  MESSAGE_MODELS,
  defaultGroupConfig,
  dlqTopic,
  validateClientId,
} from '../../core/group-config';
import type { ErrorCode } from '../../core/errors';
import { MAX_OFFSET_COMMITS, MAX_QUEUE_ID } from '../../core/limits';
import { BrokerName, GroupName, TopicName, z } from './fields';
import { millis } from './models';
import { issue } from './validation';

export const GroupPath = z.object({ group: GroupName });

const clientIdText = 'A consumer instance id: 1 to 128 letters, digits, `_`, `.`, `:`, `@` or `-`.';
export const ClientId = z
  .string()
  .transform((s) => validateClientId(s))
  .openapi('ClientId', {
    type: 'string',
    pattern: CLIENT_ID.source,
    description: `${clientIdText} The SDK makes one per instance. INVALID_REQUEST otherwise.`,
  });

export const InstanceName = z.string().openapi('InstanceName', {
  pattern: CLIENT_ID.source,
  description:
    'A consumer’s stable identity (RocketMQ’s instanceName), the pattern of a clientId. In BROADCASTING a member’s offsets are kept under it (`group#instanceName`), so they outlive the process; members running at the same time with the same instanceName share them.',
});

/** A member's routes: `/groups/{group}/members/{clientId}`. */
export const MemberPath = GroupPath.extend({ clientId: ClientId });

export const MessageModel = z.enum(MESSAGE_MODELS).openapi('MessageModel', {
  description:
    '`CLUSTERING`: each queue of a subscribed topic goes to exactly one live member, and the group shares one offset per queue. `BROADCASTING`: every member gets every queue, with its own offsets.',
});
const AllocateStrategy = z.enum(ALLOCATE_STRATEGIES).openapi('AllocateStrategy', {
  description:
    'How CLUSTERING divides queues: `AVG` (contiguous ranges), `AVG_BY_CIRCLE` (round robin), `CONSISTENT_HASH`.',
});
const ConsumeFromWhere = z.enum(CONSUME_FROM).openapi('ConsumeFromWhere', {
  description:
    'Where a queue with no committed offset starts: the max offset (only new messages), the min offset, or the first message stored at or after consumeTimestamp. The retry topic always starts at its min offset.',
});

const DEFAULTS = defaultGroupConfig(0);
const maxReconsumeText = `Failures after which a message goes to the dead-letter topic \`${dlqTopic('{group}')}\` instead of the retry topic. -1 (the default) means RocketMQ's default: ${DEFAULT_RECONSUME_LIMIT} for concurrent consumption and pop, no limit for orderly consumption (the head of a queue is retried in place until it succeeds).`;
const MaxReconsumeTimes = z.number().int().min(-1).max(MAX_RECONSUME_TIMES_LIMIT);
const consumeOrderlyText =
  'Orderly consumption (by the SDK): one batch at a time per queue, a failed message retried in place.';

export const GroupConfig = z
  .object({
    messageModel: MessageModel,
    allocateStrategy: AllocateStrategy,
    consumeFromWhere: ConsumeFromWhere,
    consumeTimestamp: millis('For CONSUME_FROM_TIMESTAMP: the time to start from'),
    maxReconsumeTimes: MaxReconsumeTimes.openapi({ description: maxReconsumeText }),
    consumeOrderly: z.boolean().openapi({ description: consumeOrderlyText }),
  })
  .openapi('GroupConfig', { description: "A consumer group's settings, which every member shares." });

/** The config fields to set (a heartbeat's or an operator's); absent fields stay absent. */
export const GroupConfigPatch = z
  .object({
    messageModel: MessageModel.optional().openapi({ default: DEFAULTS.messageModel }),
    allocateStrategy: AllocateStrategy.optional().openapi({ default: DEFAULTS.allocateStrategy }),
    consumeFromWhere: ConsumeFromWhere.optional().openapi({ default: DEFAULTS.consumeFromWhere }),
    consumeTimestamp: z
      .number()
      .int()
      .min(0)
      .optional()
      .openapi({
        description: `Milliseconds since the epoch. Default: ${-DEFAULTS.consumeTimestamp} ms before the group was created.`,
      }),
    maxReconsumeTimes: MaxReconsumeTimes.optional().openapi({
      description: maxReconsumeText,
      default: DEFAULTS.maxReconsumeTimes,
    }),
    consumeOrderly: z
      .boolean()
      .optional()
      .openapi({ description: consumeOrderlyText, default: DEFAULTS.consumeOrderly }),
  })
  .openapi('GroupConfigPatch', {
    description:
      'Config fields to set; every field is optional and absent fields keep their value. A new group starts from the defaults. INVALID_REQUEST for a value outside its type or range.',
  });

export const QueueIdNumber = z.number().int().min(0).max(MAX_QUEUE_ID);

export const AssignedQueue = z
  .object({
    topic: TopicName,
    brokerName: BrokerName,
    queueId: QueueIdNumber,
    expression: z
      .string()
      .openapi({ description: "The member's tag expression for the topic (`*` for the retry topic)." }),
  })
  .openapi('AssignedQueue', { description: 'A queue assigned to a member.' });

/** A queue offset in a body: an integer >= 0 (INVALID_OFFSET otherwise, by its field name). */
const Offset = z.number().int().min(0);
const OffsetCommit = z
  .object({ brokerName: BrokerName, queueId: QueueIdNumber, offset: Offset })
  .openapi('OffsetCommit');

/** `{topic, brokerName, queueId, offset}` or `{topic, offsets: [{brokerName, queueId, offset}, ...]}` (one per queue). */
export const CommitFields = z.object({
  topic: TopicName,
  brokerName: BrokerName.optional().openapi({
    description: 'One queue: its broker group (with queueId and offset; without `offsets`).',
  }),
  queueId: QueueIdNumber.optional(),
  offset: Offset.optional().openapi({ description: 'One queue: the next offset to consume.' }),
  offsets: z
    .array(OffsetCommit)
    .min(1)
    .max(MAX_OFFSET_COMMITS)
    .optional()
    .openapi({
      description: `Several queues, one offset each (at most ${MAX_OFFSET_COMMITS}); used instead of brokerName, queueId and offset when given.`,
    }),
});
type CommitFields = z.output<typeof CommitFields>;

/** A commit body (CommitFields, and what `fields` adds to them) read as `{topic, commits, ...}`: one commit or several, no queue twice. */
export function commitRequest<T extends CommitFields>(fields: z.ZodType<T>, description: string) {
  return fields
    .superRefine((b, ctx) => {
      if (b.offsets === undefined) {
        if (b.brokerName === undefined)
          ctx.addIssue(
            issue('INVALID_BROKER_NAME', 'brokerName is required (or give offsets: [{brokerName, queueId, offset}])', [
              'brokerName',
            ]),
          );
        else if (b.queueId === undefined)
          ctx.addIssue(
            issue('INVALID_REQUEST', `queueId is required: an integer from 0 to ${MAX_QUEUE_ID}`, ['queueId']),
          );
        else if (b.offset === undefined)
          ctx.addIssue(issue('INVALID_OFFSET', 'offset is required: an integer >= 0', ['offset']));
        return;
      }
      const seen = new Set<string>();
      for (const { brokerName, queueId } of b.offsets) {
        const key = `${brokerName}/${queueId}`;
        if (seen.has(key))
          ctx.addIssue(
            issue('INVALID_REQUEST', `offsets names queue ${key} twice; give one offset per queue`, ['offsets']),
          );
        seen.add(key);
      }
    })
    .transform(({ brokerName, queueId, offset, offsets, ...rest }) => ({
      ...rest,
      commits: offsets ?? [{ brokerName: brokerName!, queueId: queueId!, offset: offset! }],
    }))
    .openapi({ description: `${description} Every offset is checked before any is stored.` });
}

/** What a commit may answer (a member's adds its membership and generation). */
export const COMMIT_ERRORS: readonly ErrorCode[] = [
  'MALFORMED_JSON',
  'INVALID_REQUEST',
  'INVALID_GROUP_NAME',
  'INVALID_TOPIC_NAME',
  'INVALID_BROKER_NAME',
  'INVALID_OFFSET',
  'OFFSET_OUT_OF_RANGE',
  'NO_PERMISSION',
  'TOPIC_NOT_EXIST',
  'QUEUE_NOT_EXIST',
  'REQUEST_TOO_LARGE',
  'BROKER_UNAVAILABLE',
  'NAMESERVER_UNAVAILABLE',
];

const offsetRow = {
  brokerName: BrokerName,
  queueId: QueueIdNumber,
  offset: z.number().int().min(0),
  updatedAt: millis('Commit time'),
};
export const CommittedOffsets = z
  .object({ group: GroupName, topic: TopicName, offsets: z.array(z.object(offsetRow)) })
  .openapi('CommittedOffsets');
