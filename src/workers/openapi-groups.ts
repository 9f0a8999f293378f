/**
 * The consumer-group part of the OpenAPI document (merged in openapi.ts):
 * groups (routes/groups.ts), the member protocol (routes/members.ts), retry
 * and dead letters (routes/dead-letters.ts). Answers follow
 * src/durable-objects/consumer-group.ts (Assignment, GroupStatus,
 * MemberStatus) and src/core/group-config.ts; docs/consuming.md is the guide.
 */
import { ALLOCATE_STRATEGIES } from '../core/allocation';
import { MAX_DELAY_LEVELS, parseDelayLevels } from '../core/delay-levels';
import { CONSUME_FROM, DEFAULT_RECONSUME_LIMIT, MAX_RECONSUME_TIMES_LIMIT, MESSAGE_MODELS, defaultGroupConfig, dlqTopic, retryTopic } from '../core/group-config';
import { DEFAULT_PULL_MESSAGES, MAX_PULL_BYTES, MAX_PULL_MESSAGES, MAX_PULL_WAIT_MS } from '../core/limits';
import { BROKER_EXPIRY_MS, BROKER_HEARTBEAT_MS, TOPIC_WAIT_HEARTBEAT_MIN_MS } from '../core/timing';
import { LOCK_REWRITE_SLACK_MS, QUEUE_LOCK_MS } from '../durable-objects/queue/locks';
import { arrayOf, errorResponses, int, json, jsonBody, millis, obj, ok, param, query, ref, requestBodyNote, str } from './openapi-schemas';
import { MAX_SUBSCRIPTIONS } from './routes/members';

type Json = Record<string, unknown>;

const DEFAULTS = defaultGroupConfig(0);
/** How long before its creation a group's default consumeTimestamp lies. */
const DEFAULT_TIMESTAMP_LAG_MS = -DEFAULTS.consumeTimestamp;
const DEFAULT_DELAY_LEVELS = parseDelayLevels(undefined).length;

const queueId = { type: 'integer', minimum: 0 };
const optionalBody = (schema: string, description: string) => ({ required: false, description, content: json(ref(schema)) });

const memberPath = [param('group'), param('clientId')];
const memberQueuePath = [...memberPath, param('topic'), param('brokerName'), param('queueId')];
/** What a member's pull can answer (its stream's upgrade too, openapi-streams.ts). */
export const MEMBER_PULL_ERRORS = [
  'INVALID_REQUEST',
  'INVALID_OFFSET',
  'INVALID_GROUP_NAME',
  'INVALID_TOPIC_NAME',
  'INVALID_BROKER_NAME',
  'OFFSET_OUT_OF_RANGE',
  'NO_PERMISSION',
  'GROUP_NOT_EXIST',
  'TOPIC_NOT_EXIST',
  'QUEUE_NOT_EXIST',
  'MEMBER_NOT_FOUND',
  'QUEUE_NOT_ASSIGNED',
  'QUEUE_LOCKED',
  'GENERATION_STALE',
  'BROKER_UNAVAILABLE',
  'NAMESERVER_UNAVAILABLE',
] as const;
/** What renewing or releasing a queue's lock can answer (neither checks the group or the membership). */
const lockErrors = errorResponses(
  'INVALID_REQUEST',
  'INVALID_GROUP_NAME',
  'INVALID_TOPIC_NAME',
  'INVALID_BROKER_NAME',
  'NO_PERMISSION',
  'TOPIC_NOT_EXIST',
  'QUEUE_NOT_EXIST',
  'BROKER_UNAVAILABLE',
  'NAMESERVER_UNAVAILABLE',
);

export const groupParameters: Record<string, Json> = {
  clientId: {
    name: 'clientId',
    in: 'path',
    required: true,
    description: 'The consumer instance, unique per instance (the SDK makes one). INVALID_REQUEST when it does not match the pattern.',
    schema: ref('ClientId'),
  },
};

export const groupSchemas: Record<string, Json> = {
  ClientId: str('A consumer instance id: 1 to 128 letters, digits, `_`, `.`, `:`, `@` or `-`.', { pattern: '^[a-zA-Z0-9_.:@-]{1,128}$' }),
  InstanceName: str(
    'A consumer’s stable identity (RocketMQ’s instanceName), the pattern of a clientId. In BROADCASTING a member’s offsets are kept under it (`group#instanceName`), so they outlive the process; members running at the same time with the same instanceName share them.',
    { pattern: '^[a-zA-Z0-9_.:@-]{1,128}$' },
  ),
  MessageModel: str(
    '`CLUSTERING`: each queue of a subscribed topic goes to exactly one live member, and the group shares one offset per queue. `BROADCASTING`: every member gets every queue, with its own offsets.',
    { enum: [...MESSAGE_MODELS] },
  ),
  AllocateStrategy: str('How CLUSTERING divides queues: `AVG` (contiguous ranges), `AVG_BY_CIRCLE` (round robin), `CONSISTENT_HASH`.', {
    enum: [...ALLOCATE_STRATEGIES],
  }),
  ConsumeFromWhere: str(
    'Where a queue with no committed offset starts: the max offset (only new messages), the min offset, or the first message stored at or after consumeTimestamp. The retry topic always starts at its min offset.',
    { enum: [...CONSUME_FROM] },
  ),
  GroupConfig: obj(
    {
      messageModel: ref('MessageModel'),
      allocateStrategy: ref('AllocateStrategy'),
      consumeFromWhere: ref('ConsumeFromWhere'),
      consumeTimestamp: millis('For CONSUME_FROM_TIMESTAMP: the time to start from'),
      maxReconsumeTimes: int(`Failures after which a message goes to the dead-letter topic \`${dlqTopic('{group}')}\` instead of the retry topic. -1 (the default) means RocketMQ's default: ${DEFAULT_RECONSUME_LIMIT} for concurrent consumption and pop, no limit for orderly consumption (the head of a queue is retried in place until it succeeds).`, {
        minimum: -1,
        maximum: MAX_RECONSUME_TIMES_LIMIT,
      }),
      consumeOrderly: { type: 'boolean', description: 'Orderly consumption (by the SDK): one batch at a time per queue, a failed message retried in place.' },
    },
    { description: "A consumer group's settings, which every member shares." },
  ),
  GroupConfigPatch: {
    type: 'object',
    description:
      'Config fields to set; every field is optional and absent fields keep their value. A new group starts from the defaults. INVALID_REQUEST for a value outside its type or range.',
    properties: {
      messageModel: { ...ref('MessageModel'), default: DEFAULTS.messageModel },
      allocateStrategy: { ...ref('AllocateStrategy'), default: DEFAULTS.allocateStrategy },
      consumeFromWhere: { ...ref('ConsumeFromWhere'), default: DEFAULTS.consumeFromWhere },
      consumeTimestamp: int(`Milliseconds since the epoch. Default: ${DEFAULT_TIMESTAMP_LAG_MS} ms before the group was created.`, {
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
      }),
      maxReconsumeTimes: int(`Failures before a message goes to the dead-letter topic. -1 (the default) means RocketMQ's default: ${DEFAULT_RECONSUME_LIMIT} for concurrent consumption and pop, no limit for orderly consumption (the head of a queue is retried in place until it succeeds).`, {
        minimum: -1,
        maximum: MAX_RECONSUME_TIMES_LIMIT,
        default: DEFAULTS.maxReconsumeTimes,
      }),
      consumeOrderly: { type: 'boolean', default: DEFAULTS.consumeOrderly },
    },
  },
  GroupList: obj({ groups: arrayOf(ref('GroupName'), { description: 'Every group that registered with the NameServer asked, sorted.' }) }),
  Subscription: obj(
    {
      topic: ref('TopicName'),
      expression: str('The tag expression, trimmed: `*` or tags separated by `||`.'),
    },
    { description: "A member's subscription to one topic." },
  ),
  SubscriptionInput: {
    type: 'object',
    required: ['topic'],
    properties: {
      topic: ref('TopicName'),
      expression: str('Tag expression: `*` (or empty) for all, or tags separated by `||`. INVALID_TAG_EXPRESSION when it does not parse or is not a string.', {
        default: '*',
      }),
    },
  },
  AssignedQueue: obj(
    {
      topic: ref('TopicName'),
      brokerName: ref('BrokerName'),
      queueId,
      expression: str("The member's tag expression for the topic (`*` for the retry topic)."),
    },
    { description: 'A queue assigned to a member.' },
  ),
  Assignment: obj(
    {
      group: ref('GroupName'),
      clientId: ref('ClientId'),
      instanceName: { ...ref('InstanceName'), description: 'The member’s stable identity, as its heartbeat declared it (its clientId when it declared none).' },
      generation: int('Goes up with each new assignment and each offset reset or skip.', { minimum: 0 }),
      messageModel: ref('MessageModel'),
      consumeOrderly: { type: 'boolean' },
      maxReconsumeTimes: int('The group’s maxReconsumeTimes, for consumers that retry in place (-1: 16, or no limit in orderly mode).', { minimum: -1 }),
      heartbeatIntervalMs: int(
        `When to heartbeat next: ${BROKER_HEARTBEAT_MS}, or sooner (${TOPIC_WAIT_HEARTBEAT_MIN_MS} ms, backing off to ${BROKER_HEARTBEAT_MS}) while a subscribed topic has no queues yet; a member silent for ${BROKER_EXPIRY_MS} ms is dropped.`,
        { minimum: 1 },
      ),
      queues: arrayOf(ref('AssignedQueue'), {
        description: `The member's queues, by topic, brokerName and queueId. In CLUSTERING they include the queues of the retry topic \`${retryTopic('{group}')}\`, which a CLUSTERING member's heartbeat creates if it does not exist.`,
      }),
    },
    { description: "A member's current assignment, as a heartbeat answers it." },
  ),
  MemberStatus: obj({
    clientId: ref('ClientId'),
    instanceName: ref('InstanceName'),
    subscriptions: arrayOf(ref('Subscription')),
    lastHeartbeat: millis('The last heartbeat'),
    joinedAt: millis('The first heartbeat since the member joined'),
    queues: arrayOf(ref('AssignedQueue'), { description: 'Its queues, by topic, brokerName and queueId.' }),
  }),
  GroupStatus: obj({
    group: ref('GroupName'),
    config: ref('GroupConfig'),
    generation: { type: 'integer', minimum: 0 },
    members: arrayOf(ref('MemberStatus'), { description: 'By clientId. A member silent for too long stays here until the group drops it.' }),
    topics: arrayOf(ref('TopicName'), {
      description: 'Every topic the group consumes or has consumed (the retry topic included, in CLUSTERING, even before it exists), sorted.',
    }),
  }),
  HeartbeatRequest: {
    description: 'Subscriptions and, optionally, config fields. The body may be empty (the same as `{}`).',
    allOf: [
      ref('GroupConfigPatch'),
      {
        type: 'object',
        properties: {
          instanceName: { ...ref('InstanceName'), description: 'The member’s stable identity (absent or null: its clientId). In BROADCASTING its offsets are this instance’s, so a process that restarts with the same instanceName resumes where it stopped.' },
          subscriptions: arrayOf(ref('SubscriptionInput'), {
            maxItems: MAX_SUBSCRIPTIONS,
            default: [],
            description: `Every subscription of the member, each time: they replace the ones it had (absent or null: none). At most ${MAX_SUBSCRIPTIONS}, one per topic (INVALID_REQUEST otherwise). A topic that does not exist yet is kept, with no queues until it is created.`,
          }),
        },
      },
    ],
  },
  MemberLeft: obj({ group: ref('GroupName'), clientId: ref('ClientId'), left: { const: true } }),
  MemberPullResult: {
    description: 'A pull answer plus where it read from and the group generation.',
    allOf: [
      ref('PullResult'),
      obj({
        offset: int('Where this pull read from: `offset` if given, else the committed offset, else the start offset (which this pull committed).', { minimum: 0 }),
        generation: int(
          "The group's generation (read when the wait ended, for a long poll that found nothing): when it differs from the member's, heartbeat to get the current assignment and reload offsets.",
          { minimum: 0 },
        ),
      }),
      {
        type: 'object',
        properties: {
          lock: {
            ...ref('LockGrant'),
            description: 'CLUSTERING (pulls from the master): the lock this pull took or renewed for the member. Absent in BROADCASTING and on pulls served by a slave, which take no lock.',
          },
        },
      },
    ],
  },
  LockGrant: obj(
    {
      expiresAt: millis('When the lock expires unless renewed, by the server’s clock'),
      durationMs: int(
        `How long the lock lasts from the moment the server took the request (${QUEUE_LOCK_MS} when it was written now; a pull by the holder answers a lock with more than ${QUEUE_LOCK_MS - LOCK_REWRITE_SLACK_MS} ms left as stored, without writing it): added to the time the client sent the request, a bound on the lock’s end that holds whatever the client’s clock says.`,
        { minimum: 1 },
      ),
    },
    { description: 'A queue lock taken or renewed for the member.' },
  ),
  LockRenewed: {
    description: 'Whether the member holds the lock now; with `expiresAt` and `durationMs` when it does.',
    allOf: [
      obj({
        group: ref('GroupName'),
        clientId: ref('ClientId'),
        topic: ref('TopicName'),
        brokerName: ref('BrokerName'),
        queueId,
        locked: { type: 'boolean', description: 'true: renewed. false: the lock is another member’s, or was released (take it again by pulling, if the queue is assigned to you).' },
      }),
      { type: 'object', properties: { expiresAt: millis('When the lock expires unless renewed, by the server’s clock'), durationMs: int('As in LockGrant.', { minimum: 1 }) } },
    ],
  },
  LockReleased: obj({
    group: ref('GroupName'),
    clientId: ref('ClientId'),
    topic: ref('TopicName'),
    brokerName: ref('BrokerName'),
    queueId,
    released: { type: 'boolean', description: 'Whether the member held the lock (false: it did not, or it had expired).' },
  }),
  MemberCommitRequest: {
    description: 'A commit, as for PUT /api/v1/groups/{group}/offsets, with an optional generation.',
    allOf: [
      ref('CommitOffsetsRequest'),
      {
        type: 'object',
        properties: {
          generation: int("The generation the offsets were read in. GENERATION_STALE when the group's offsets of the topic were reset or skipped after it; INVALID_REQUEST unless an integer >= 0.", {
            minimum: 0,
          }),
        },
      },
    ],
  },
  MemberCommittedOffsets: { allOf: [ref('CommittedOffsets'), obj({ clientId: ref('ClientId') })] },
  GroupLag: obj({
    group: ref('GroupName'),
    messageModel: ref('MessageModel'),
    queues: arrayOf(
      {
        type: 'object',
        required: ['topic', 'brokerName', 'queueId', 'offset', 'minOffset', 'maxOffset', 'lag'],
        properties: {
          topic: ref('TopicName'),
          brokerName: ref('BrokerName'),
          queueId,
          clientId: { ...ref('ClientId'), description: 'BROADCASTING only: whose offset this is.' },
          offset: int('Committed offset; -1 when none is committed.', { minimum: -1 }),
          minOffset: { type: 'integer', minimum: 0 },
          maxOffset: { type: 'integer', minimum: 0 },
          lag: int('maxOffset - max(offset, minOffset).', { minimum: 0 }),
        },
      },
      {
        description:
          "Per readable queue of every topic in the group's `topics` (GroupStatus) that still exists, by topic. In BROADCASTING, one row per member and queue (none when the group has no member).",
      },
    ),
    totalLag: { type: 'integer', minimum: 0 },
  }),
  OffsetResetRequest: obj({
    topic: ref('TopicName'),
    timestamp: {
      description: 'Store time, ms since the epoch (a JSON integer, or a string of digits). INVALID_REQUEST when missing or not an integer >= 0.',
      oneOf: [
        { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        { type: 'string', pattern: '^\\d+$' },
      ],
    },
  }),
  OffsetSkipRequest: obj({ topic: ref('TopicName') }),
  OffsetsSkipped: obj({
    group: ref('GroupName'),
    topic: ref('TopicName'),
    generation: int('The new generation; commits on the topic made for an older one are refused (GENERATION_STALE).', { minimum: 1 }),
    offsets: arrayOf(obj({ brokerName: ref('BrokerName'), queueId, offset: { type: 'integer', minimum: 0 } }), {
      description: 'The new offset of every readable queue of the topic.',
    }),
  }),
  OffsetsReset: { allOf: [obj({ timestamp: { type: 'integer', minimum: 0 } }), ref('OffsetsSkipped')] },
  RetryRequest: {
    type: 'object',
    required: ['msgId'],
    properties: {
      msgId: ref('MessageId'),
      delayLevel: int(
        `-1: straight to the dead-letter topic. 0: level 3 + the message's reconsumeTimes. Otherwise a level from 1 to the number of levels of the MESSAGE_DELAY_LEVEL var (default ${DEFAULT_DELAY_LEVELS}, at most ${MAX_DELAY_LEVELS}). Levels above the last are capped to it. INVALID_REQUEST outside -1 to the number of levels.`,
        { minimum: -1, maximum: MAX_DELAY_LEVELS, default: 0 },
      ),
      message: {
        description:
          "The consumer's copy of the message (a message as a send takes it, plus reconsumeTimes), sent instead of the original when the original cannot be read: retention deleted it, its master is down, or its topic is gone (RocketMQ's sendMessageBackAsNormalMessage). Read only then; INVALID_MESSAGE and the send's other codes when it is malformed.",
        allOf: [ref('MessageInput'), { type: 'object', properties: { reconsumeTimes: int('Failed deliveries so far, as the consumer counts them.', { minimum: 0, default: 0 }) } }],
      },
    },
  },
  RetryResult: {
    description: "Where the failed message went: the retry topic, delayed, or the dead-letter topic once its reconsumeTimes reach the group's maxReconsumeTimes (or with delayLevel -1).",
    oneOf: [
      {
        title: 'RETRY',
        ...obj({
          status: { const: 'RETRY' },
          topic: str(`The retry topic, \`${retryTopic('{group}')}\`.`),
          reconsumeTimes: int("The message's reconsumeTimes + 1.", { minimum: 1 }),
          delayLevel: int('The level used.', { minimum: 1, maximum: MAX_DELAY_LEVELS }),
          deliverAt: millis('When the retry becomes due'),
          result: { description: 'The send result: delayed (a SendResult if it was already due when sent).', oneOf: [ref('DelayedSendResult'), ref('SendResult')] },
        }),
      },
      {
        title: 'DLQ',
        ...obj({
          status: { const: 'DLQ' },
          topic: str(`The dead-letter topic, \`${dlqTopic('{group}')}\`.`),
          reconsumeTimes: int("The message's reconsumeTimes + 1.", { minimum: 1 }),
          result: ref('SendResult'),
        }),
      },
    ],
  },
  DeadLetters: obj({
    group: ref('GroupName'),
    topic: str(`The dead-letter topic, \`${dlqTopic('{group}')}\`.`),
    messages: arrayOf(ref('MessageView'), { description: 'At most maxMessages, newest first (by store time, then queue offset).' }),
    total: int('Messages the dead-letter topic holds.', { minimum: 0 }),
  }),
  DeadLetterResent: {
    description: 'The send result of the new message, with the group and the dead letter it was made from.',
    allOf: [ref('SendResult'), obj({ group: ref('GroupName'), resentFrom: ref('MessageId') })],
  },
};

export const groupPaths: Record<string, Json> = {
  '/api/v1/groups': {
    get: {
      tags: ['groups'],
      operationId: 'listGroups',
      summary: 'List consumer groups',
      description: 'Every group that ever had a member or a config, as one NameServer knows them.',
      responses: { ...ok('The groups, sorted.', 'GroupList'), ...errorResponses('NAMESERVER_UNAVAILABLE') },
    },
  },
  '/api/v1/groups/{group}': {
    parameters: [param('group')],
    get: {
      tags: ['groups'],
      operationId: 'getGroup',
      summary: "A group's config, generation, members and topics",
      responses: {
        ...ok('The group.', 'GroupStatus'),
        ...errorResponses('INVALID_GROUP_NAME', 'GROUP_NOT_EXIST', 'BROKER_UNAVAILABLE'),
      },
    },
    put: {
      tags: ['groups'],
      operationId: 'configureGroup',
      summary: 'Create a group or change its config',
      description: `Creates the group (with the defaults) if it does not exist, then sets the fields given. Any change rebalances the group and moves its generation on. Live members that heartbeat with different config fields get GROUP_CONFIG_CONFLICT. The body may be empty (the same as \`{}\`). ${requestBodyNote}`,
      requestBody: optionalBody('GroupConfigPatch', 'Config fields to set.'),
      responses: {
        ...ok('The group after the change.', 'GroupStatus'),
        ...errorResponses('MALFORMED_JSON', 'INVALID_REQUEST', 'INVALID_GROUP_NAME', 'REQUEST_TOO_LARGE', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/groups/{group}/lag': {
    parameters: [param('group')],
    get: {
      tags: ['groups'],
      operationId: 'getGroupLag',
      summary: "A group's lag on every topic it consumes",
      description: "Committed offset, min and max offset and lag per readable queue of every topic in the group's `topics`; topics that no longer exist are left out. In BROADCASTING, one row per member and queue. TOPIC_NOT_EXIST only when a topic is deleted while it is read.",
      responses: {
        ...ok('Lag per queue, and the total.', 'GroupLag'),
        ...errorResponses('INVALID_GROUP_NAME', 'GROUP_NOT_EXIST', 'TOPIC_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/groups/{group}/offsets/reset': {
    parameters: [param('group')],
    post: {
      tags: ['groups'],
      operationId: 'resetGroupOffsets',
      summary: 'Move every queue of a topic to the offset of a time',
      description: `Commits, on every readable queue of the topic, the first offset stored at or after \`timestamp\` (the max offset when every message is older): the group's offset in CLUSTERING, every member's in BROADCASTING. Each queue object refuses, atomically with that commit, commits of the topic made for an older generation; only then does the group's generation move on (to the answer's \`generation\`), so that members reload their offsets. Commits on the group's other topics are not affected. A rebalance during the reset makes it start again (GROUP_REBALANCING after 5 attempts); a failed reset is made whole by sending it again (docs/consuming.md, Offset reset guarantees). The topic need not be one the group consumes. ${requestBodyNote}`,
      requestBody: jsonBody('OffsetResetRequest', 'The topic and the time.'),
      responses: {
        ...ok('The new offsets and generation.', 'OffsetsReset'),
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_TOPIC_NAME',
          'REQUEST_TOO_LARGE',
          'GROUP_NOT_EXIST',
          'TOPIC_NOT_EXIST',
          'GROUP_REBALANCING',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/groups/{group}/offsets/skip': {
    parameters: [param('group')],
    post: {
      tags: ['groups'],
      operationId: 'skipGroupOffsets',
      summary: "Skip a topic's backlog",
      description: `As the reset, to every readable queue's max offset. ${requestBodyNote}`,
      requestBody: jsonBody('OffsetSkipRequest', 'The topic.'),
      responses: {
        ...ok('The new offsets and generation.', 'OffsetsSkipped'),
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_TOPIC_NAME',
          'REQUEST_TOO_LARGE',
          'GROUP_NOT_EXIST',
          'TOPIC_NOT_EXIST',
          'GROUP_REBALANCING',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/groups/{group}/members/{clientId}/heartbeat': {
    parameters: memberPath,
    post: {
      tags: ['groups'],
      operationId: 'heartbeat',
      summary: 'Join a group or stay in it',
      description: [
        `Records the member alive with its subscriptions and answers its assignment; the group is created on the first heartbeat. Heartbeat every \`heartbeatIntervalMs\` (${BROKER_HEARTBEAT_MS} ms, sooner while a subscribed topic has no queues yet): a member silent for ${BROKER_EXPIRY_MS} ms is dropped.`,
        'Config fields are optional. One that differs from the group config is refused with GROUP_CONFIG_CONFLICT while other members are alive; the only member sets it.',
        `The group rebalances, and its generation goes up, when a member joins, leaves or expires, changes its subscriptions or config, or a subscribed topic's readable queues change. In CLUSTERING each queue goes to one member (the retry topic \`${retryTopic('{group}')}\` included, expression \`*\`); in BROADCASTING every member gets every queue. NAMESERVER_UNAVAILABLE when the route of a topic the group has never seen cannot be read.`,
        requestBodyNote,
      ].join('\n\n'),
      requestBody: optionalBody('HeartbeatRequest', 'Subscriptions and config fields.'),
      responses: {
        ...ok("The member's assignment.", 'Assignment'),
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_TOPIC_NAME',
          'INVALID_TAG_EXPRESSION',
          'REQUEST_TOO_LARGE',
          'GROUP_CONFIG_CONFLICT',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/groups/{group}/members/{clientId}': {
    parameters: memberPath,
    delete: {
      tags: ['groups'],
      operationId: 'leaveGroup',
      summary: 'Leave a group',
      description: 'Removes the member at once, rebalances, and releases the locks of the queues it had, so that their new owners start without waiting.',
      parameters: [
        query(
          'releaseLocks',
          'false: keep the member’s queue locks; it renews (PUT .../lock) and releases them itself, as the SDK does for a queue whose handler still runs when it stops (the new owner waits until then). INVALID_REQUEST unless true, false, 1 or 0.',
          { type: 'boolean', default: true },
        ),
      ],
      responses: {
        ...ok('Left.', 'MemberLeft'),
        ...errorResponses('INVALID_REQUEST', 'INVALID_GROUP_NAME', 'GROUP_NOT_EXIST', 'MEMBER_NOT_FOUND', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/groups/{group}/members/{clientId}/queues/{topic}/{brokerName}/{queueId}/messages': {
    parameters: memberQueuePath,
    get: {
      tags: ['groups'],
      operationId: 'memberPull',
      summary: 'Pull an assigned queue as a member',
      description: [
        "The queue must be in the member's current assignment (QUEUE_NOT_ASSIGNED: heartbeat again) and readable. The tag filter is the member's subscription expression for the topic.",
        `In CLUSTERING the pull takes or renews the group's lock on the queue for this member for ${QUEUE_LOCK_MS} ms; while another member holds it the pull answers QUEUE_LOCKED (retriable).`,
        '`commitOffset`, if given, is committed after the lock is taken and before reading (GENERATION_STALE when `generation` is given too and is older than the topic’s last offset reset or skip).',
        "Without `offset` the pull reads from the committed offset (the group's, or the member's own in BROADCASTING); when none is committed, from where consumeFromWhere says (the min offset for the retry topic), and commits that offset.",
        'Long polling and the scan window are as for the plain pull.',
      ].join('\n\n'),
      parameters: [
        query('offset', 'Queue offset to read from (INVALID_OFFSET unless an integer >= 0). Default: the committed offset.', { type: 'integer', minimum: 0 }),
        query('commitOffset', 'An offset to commit before reading (INVALID_OFFSET unless an integer >= 0; OFFSET_OUT_OF_RANGE past the max offset).', {
          type: 'integer',
          minimum: 0,
        }),
        query('generation', 'The generation `commitOffset` belongs to; checked only with `commitOffset` (INVALID_REQUEST unless an integer >= 0).', {
          type: 'integer',
          minimum: 0,
        }),
        query('maxMessages', 'Most messages to return.', { type: 'integer', minimum: 1, maximum: MAX_PULL_MESSAGES, default: DEFAULT_PULL_MESSAGES }),
        query('waitMs', 'Long polling: how long to wait when there is no message.', { type: 'integer', minimum: 0, maximum: MAX_PULL_WAIT_MS, default: 0 }),
        param('bodyEncoding'),
      ],
      responses: {
        ...ok('The pull answer, with `offset` and `generation`.', 'MemberPullResult'),
        ...errorResponses(...MEMBER_PULL_ERRORS),
      },
    },
  },
  '/api/v1/groups/{group}/members/{clientId}/queues/{topic}/{brokerName}/{queueId}/lock': {
    parameters: memberQueuePath,
    put: {
      tags: ['groups'],
      operationId: 'renewQueueLock',
      summary: "Renew a queue's lock",
      description: [
        `Renews the group's lock on the queue for ${QUEUE_LOCK_MS} ms if it names this member: held, or expired with no other member having taken it since (RocketMQ's lockBatchMQ, sent every 20 s by RebalanceImpl.lockAll). It never takes a lock another member holds or that was released; pulls take locks.`,
        'Neither the group, the membership nor the assignment is checked, so that a member whose handler still runs on a queue it was reassigned away from keeps the lock until the handler ends (the new owner’s pulls answer QUEUE_LOCKED meanwhile). On the master only: BROKER_UNAVAILABLE while it does not answer.',
      ].join('\n\n'),
      responses: {
        ...ok('Whether the member holds the lock now.', 'LockRenewed'),
        ...lockErrors,
      },
    },
    delete: {
      tags: ['groups'],
      operationId: 'unlockQueue',
      summary: "Release a queue's lock",
      description: "Releases the group's lock on the queue if this member holds it (commit what was processed first). The queue must exist and be readable; neither the group nor the membership is checked.",
      responses: {
        ...ok('Whether the lock was released.', 'LockReleased'),
        ...lockErrors,
      },
    },
  },
  '/api/v1/groups/{group}/members/{clientId}/offsets': {
    parameters: memberPath,
    put: {
      tags: ['groups'],
      operationId: 'memberCommitOffsets',
      summary: "A member's commit",
      description: `Stores the offsets, the next offset to consume of each queue: the group's in CLUSTERING, the member's own in BROADCASTING. The member must be live (MEMBER_NOT_FOUND); the queues need not be assigned to it. Checked as the group-level commit: every offset before any is stored. ${requestBodyNote}`,
      requestBody: jsonBody('MemberCommitRequest', 'The topic, one or more (brokerName, queueId, offset), and optionally the generation.'),
      responses: {
        ...ok('The stored offsets.', 'MemberCommittedOffsets'),
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_TOPIC_NAME',
          'INVALID_BROKER_NAME',
          'INVALID_OFFSET',
          'OFFSET_OUT_OF_RANGE',
          'NO_PERMISSION',
          'GROUP_NOT_EXIST',
          'TOPIC_NOT_EXIST',
          'QUEUE_NOT_EXIST',
          'MEMBER_NOT_FOUND',
          'GENERATION_STALE',
          'REQUEST_TOO_LARGE',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/groups/{group}/retry': {
    parameters: [param('group')],
    post: {
      tags: ['groups'],
      operationId: 'retryMessage',
      summary: 'Send a failed message back',
      description: [
        `RocketMQ's sendMessageBack. The message is copied with reconsumeTimes + 1 and the properties ORIGIN_MESSAGE_ID, RETRY_TOPIC (the original topic) and RECONSUME_TIME. It goes to the retry topic \`${retryTopic('{group}')}\`, delayed by the level; when its reconsumeTimes already reach the group's maxReconsumeTimes, or with delayLevel -1, it goes to the dead-letter topic \`${dlqTopic('{group}')}\` instead.`,
        'Both topics are created on first use, with one queue per broker group whose master answers; a new retry topic rebalances the group.',
        "When the original cannot be read (retention deleted it, its master is down), the request's `message`, the consumer's copy, is sent instead; without one the original's error is answered.",
        requestBodyNote,
      ].join('\n\n'),
      requestBody: jsonBody('RetryRequest', 'The message id and the delay level.'),
      responses: {
        ...ok('Where the message went.', 'RetryResult'),
        ...errorResponses(
          'MALFORMED_JSON',
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_MESSAGE_ID',
          'NO_PERMISSION',
          'GROUP_NOT_EXIST',
          'TOPIC_NOT_EXIST',
          'MESSAGE_NOT_FOUND',
          'INVALID_MESSAGE',
          'MESSAGE_TOO_LARGE',
          'PROPERTIES_TOO_LARGE',
          'REQUEST_TOO_LARGE',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
  '/api/v1/groups/{group}/dlq': {
    parameters: [param('group')],
    get: {
      tags: ['groups'],
      operationId: 'listDeadLetters',
      summary: "A group's newest dead letters",
      description: `Pulls the last maxMessages offsets of each queue of \`${dlqTopic('{group}')}\` and answers the newest maxMessages of them. Each queue's pull stops once bodies pass ${MAX_PULL_BYTES} bytes, so with large bodies it may return fewer, older messages of that window. An empty list when the topic does not exist; the group itself is not checked.`,
      parameters: [
        query('maxMessages', 'Most messages to return.', { type: 'integer', minimum: 1, maximum: MAX_PULL_MESSAGES, default: DEFAULT_PULL_MESSAGES }),
        param('bodyEncoding'),
      ],
      responses: {
        ...ok('The dead letters and how many there are.', 'DeadLetters'),
        ...errorResponses('INVALID_REQUEST', 'INVALID_GROUP_NAME', 'TOPIC_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/groups/{group}/dlq/{msgId}/resend': {
    parameters: [
      param('group'),
      { name: 'msgId', in: 'path', required: true, description: `A msgId of a message in \`${dlqTopic('{group}')}\` (INVALID_REQUEST otherwise).`, schema: ref('MessageId') },
    ],
    post: {
      tags: ['groups'],
      operationId: 'resendDeadLetter',
      summary: 'Send a dead letter back to its group',
      description: `Sends a copy to the group's retry topic \`${retryTopic('{group}')}\` (created on demand), consumable at once, so that the group that dead-lettered it consumes it again and no other group of its topic does (as RocketMQ's dashboard, which hands it to a client of the group). The copy is a new message: reconsumeTimes 0, a new uniqueKey, RECONSUME_TIME dropped, ORIGIN_MESSAGE_ID and RETRY_TOPIC (the original topic, shown as the message's topic by the SDK) kept. The dead letter stays in the DLQ.`,
      responses: {
        ...ok('The send result of the new message.', 'DeadLetterResent'),
        ...errorResponses(
          'INVALID_REQUEST',
          'INVALID_GROUP_NAME',
          'INVALID_MESSAGE_ID',
          'NO_PERMISSION',
          'TOPIC_NOT_EXIST',
          'MESSAGE_NOT_FOUND',
          'BROKER_UNAVAILABLE',
          'NAMESERVER_UNAVAILABLE',
        ),
      },
    },
  },
};
