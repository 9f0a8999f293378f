import { declareRoute, router } from '../api/declare';
import { BrokerName, GroupName, TopicName, intText, json, requestBodyNote, z, MinutesQuery } from '../api/fields';
import {
  AssignedQueue,
  ClientId,
  GroupConfig,
  GroupConfigPatch,
  GroupPath,
  InstanceName,
  MessageModel,
  QueueIdNumber,
} from '../api/group-models';
import { millis } from '../api/models';
import { groupStub, withNameServer } from '../../services/cluster';
import { groupLag, resetOffsets } from '../../services/offsets';
import { groupStats } from '../../services/group-stats';
import { STATS_KEEP_MINUTES } from '../../core/limits';
import { admin, consumer } from '../security/requirements';

/** Consumer groups for operators: list, config, status, lag, offset reset and skip. */
export const groups = router();
const tags = ['groups'];

declareRoute(
  groups,
  {
    method: 'get',
    path: '/groups',
    operationId: 'listGroups',
    tags,
    summary: 'List consumer groups',
    description: 'Every group that ever had a member or a config, as one NameServer knows them.',
    need: 'authenticated',
    responses: {
      200: json(
        z
          .object({
            groups: z
              .array(GroupName)
              .openapi({ description: 'Every group that registered with the NameServer asked, sorted.' }),
          })
          .openapi('GroupList'),
        'The groups, sorted.',
      ),
    },
    errors: ['NAMESERVER_UNAVAILABLE'],
  },
  async (c) => c.json({ groups: await withNameServer(c.env, (ns) => ns.listGroups()) }),
);

const Subscription = z
  .object({
    topic: TopicName,
    expression: z.string().openapi({ description: 'The tag expression, trimmed: `*` or tags separated by `||`.' }),
  })
  .openapi('Subscription', { description: "A member's subscription to one topic." });

const MemberStatus = z
  .object({
    clientId: ClientId,
    instanceName: InstanceName,
    subscriptions: z.array(Subscription),
    lastHeartbeat: millis('The last heartbeat'),
    joinedAt: millis('The first heartbeat since the member joined'),
    queues: z.array(AssignedQueue).openapi({ description: 'Its queues, by topic, brokerName and queueId.' }),
  })
  .openapi('MemberStatus');

const GroupStatus = z
  .object({
    group: GroupName,
    config: GroupConfig,
    generation: z.number().int().min(0),
    members: z
      .array(MemberStatus)
      .openapi({ description: 'By clientId. A member silent for too long stays here until the group drops it.' }),
    topics: z.array(TopicName).openapi({
      description:
        'Every topic the group consumes or has consumed (the retry topic included, in CLUSTERING, even before it exists), sorted.',
    }),
  })
  .openapi('GroupStatus');

declareRoute(
  groups,
  {
    method: 'get',
    path: '/groups/{group}',
    operationId: 'getGroup',
    tags,
    summary: "A group's config, generation, members and topics",
    need: consumer('reading a group'),
    request: { params: GroupPath },
    responses: { 200: json(GroupStatus, 'The group.') },
    errors: ['INVALID_GROUP_NAME', 'GROUP_NOT_EXIST', 'BROKER_UNAVAILABLE'],
  },
  async (c, { params: { group } }) => c.json(await groupStub(c.env, group).status()),
);

declareRoute(
  groups,
  {
    method: 'put',
    path: '/groups/{group}',
    operationId: 'configureGroup',
    tags,
    summary: 'Create a group or change its config',
    description: `Creates the group (with the defaults) if it does not exist, then sets the fields given. Any change rebalances the group and moves its generation on. Live members that heartbeat with different config fields get GROUP_CONFIG_CONFLICT. The body may be empty (the same as \`{}\`). ${requestBodyNote}`,
    need: admin('configuring a group'),
    request: {
      params: GroupPath,
      body: { schema: GroupConfigPatch, description: 'Config fields to set.', emptyAs: {} },
    },
    responses: { 200: json(GroupStatus, 'The group after the change.') },
    errors: [
      'MALFORMED_JSON',
      'INVALID_REQUEST',
      'INVALID_GROUP_NAME',
      'REQUEST_TOO_LARGE',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group }, body }) => c.json(await groupStub(c.env, group).configure(group, body)),
);

const GroupLag = z
  .object({
    group: GroupName,
    messageModel: MessageModel,
    queues: z
      .array(
        z.object({
          topic: TopicName,
          brokerName: BrokerName,
          queueId: QueueIdNumber,
          clientId: ClientId.optional().openapi({ description: 'BROADCASTING only: whose offset this is.' }),
          offset: z.number().int().min(-1).openapi({ description: 'Committed offset; -1 when none is committed.' }),
          minOffset: z.number().int().min(0),
          maxOffset: z.number().int().min(0),
          lag: z.number().int().min(0).openapi({ description: 'maxOffset - max(offset, minOffset).' }),
        }),
      )
      .openapi({
        description:
          "Per readable queue of every topic in the group's `topics` (GroupStatus) that still exists, by topic. In BROADCASTING, one row per member and queue (none when the group has no member).",
      }),
    totalLag: z.number().int().min(0),
  })
  .openapi('GroupLag');

declareRoute(
  groups,
  {
    method: 'get',
    path: '/groups/{group}/lag',
    operationId: 'getGroupLag',
    tags,
    summary: "A group's lag on every topic it consumes",
    description:
      "Committed offset, min and max offset and lag per readable queue of every topic in the group's `topics`; topics that no longer exist are left out. In BROADCASTING, one row per member and queue. TOPIC_NOT_EXIST only when a topic is deleted while it is read.",
    need: consumer('reading lag'),
    request: { params: GroupPath },
    responses: { 200: json(GroupLag, 'Lag per queue, and the total.') },
    errors: [
      'INVALID_GROUP_NAME',
      'GROUP_NOT_EXIST',
      'TOPIC_NOT_EXIST',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group } }) => c.json(await groupLag(c.env, group)),
);

const TopicStored = z.object({
  messages: z
    .number()
    .int()
    .min(0)
    .openapi({ description: 'Messages stored in its queues (max - min offset, summed).' }),
  delayed: z.number().int().min(0).openapi({ description: 'Messages waiting for their delay (no offset yet).' }),
});

const GroupStats = z
  .object({
    group: GroupName,
    messageModel: MessageModel,
    consumeOrderly: z.boolean(),
    memberCount: z
      .number()
      .int()
      .min(0)
      .openapi({ description: "Members in the group's status (RocketMQ's quantity)." }),
    generation: z.number().int().min(0),
    consumeTps: z.number().min(0).openapi({
      description: 'Messages consumed per second over the last minute and what passed of the current one.',
    }),
    diffTotal: z.number().int().min(0).openapi({ description: 'The lag now, as in GET /groups/{group}/lag.' }),
    retry: TopicStored.openapi({ description: 'The retry topic %RETRY%{group}: zeros when it does not exist.' }),
    dlq: z.number().int().min(0).openapi({ description: 'Messages in the dead-letter topic %DLQ%{group}.' }),
    minutes: z
      .array(
        z.object({
          minute: z.number().int().openapi({ description: 'Start of the minute, ms since the epoch.' }),
          consumed: z.number().int().min(0).openapi({
            description: 'Messages the committed offsets moved over in the minute (a skip or a reset forward counts).',
          }),
          lag: z.number().int().min(0).openapi({ description: "The lag at the minute's end (the current one: now)." }),
        }),
      )
      .openapi({ description: 'Every minute, oldest first; the current minute is the last.' }),
  })
  .openapi('GroupStats');

declareRoute(
  groups,
  {
    method: 'get',
    path: '/groups/{group}/stats',
    operationId: 'getGroupStats',
    tags,
    summary: "A group's consume TPS, lag over time, retry and DLQ counts",
    description: `RocketMQ Dashboard's consumer figures: members, message model, consume TPS, lag (diffTotal) now and at the end of each of the last \`minutes\` minutes (1 to ${STATS_KEEP_MINUTES}), messages consumed per minute, and the messages in the group's retry and dead-letter topics. Read from what each queue object keeps per minute (its appends, and each committed offset at the end of every minute it moved); the lag of a past minute takes today's min offset. In BROADCASTING, summed over the members.`,
    need: consumer('reading lag'),
    request: {
      params: GroupPath,
      query: MinutesQuery,
    },
    responses: { 200: json(GroupStats, 'The figures, and per minute.') },
    errors: [
      'INVALID_GROUP_NAME',
      'INVALID_REQUEST',
      'GROUP_NOT_EXIST',
      'TOPIC_NOT_EXIST',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group }, query: { minutes } }) => c.json(await groupStats(c.env, group, minutes)),
);

const OffsetsSkipped = z
  .object({
    group: GroupName,
    topic: TopicName,
    generation: z.number().int().min(1).openapi({
      description: 'The new generation; commits on the topic made for an older one are refused (GENERATION_STALE).',
    }),
    offsets: z
      .array(z.object({ brokerName: BrokerName, queueId: QueueIdNumber, offset: z.number().int().min(0) }))
      .openapi({ description: 'The new offset of every readable queue of the topic.' }),
  })
  .openapi('OffsetsSkipped');

const resetErrors = [
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
] as const;

declareRoute(
  groups,
  {
    method: 'post',
    path: '/groups/{group}/offsets/reset',
    operationId: 'resetGroupOffsets',
    tags,
    summary: 'Move every queue of a topic to the offset of a time',
    description: `Commits, on every readable queue of the topic, the first offset stored at or after \`timestamp\` (the max offset when every message is older): the group's offset in CLUSTERING, every member's in BROADCASTING. Each queue object refuses, atomically with that commit, commits of the topic made for an older generation; only then does the group's generation move on (to the answer's \`generation\`), so that members reload their offsets. Commits on the group's other topics are not affected. A rebalance during the reset makes it start again (GROUP_REBALANCING after 5 attempts); a failed reset is made whole by sending it again (docs/consuming.md, Offset reset guarantees). The topic need not be one the group consumes. ${requestBodyNote}`,
    need: admin('resetting offsets'),
    request: {
      params: GroupPath,
      body: {
        schema: z
          .object({
            topic: TopicName,
            timestamp: intText({
              description:
                'Store time, ms since the epoch (a JSON integer, or a string of digits). INVALID_REQUEST when missing or not an integer >= 0.',
            }),
          })
          .openapi('OffsetResetRequest'),
        description: 'The topic and the time.',
      },
    },
    responses: {
      200: json(
        OffsetsSkipped.extend({ timestamp: z.number().int().min(0) }).openapi('OffsetsReset'),
        'The new offsets and generation.',
      ),
    },
    errors: resetErrors,
  },
  async (c, { params: { group }, body: { topic, timestamp } }) =>
    c.json({ timestamp, ...(await resetOffsets(c.env, group, topic, (stub) => stub.searchOffset(timestamp))) }),
);

declareRoute(
  groups,
  {
    method: 'post',
    path: '/groups/{group}/offsets/skip',
    operationId: 'skipGroupOffsets',
    tags,
    summary: "Skip a topic's backlog",
    description: `As the reset, to every readable queue's max offset. ${requestBodyNote}`,
    need: admin('skipping offsets'),
    request: {
      params: GroupPath,
      body: { schema: z.object({ topic: TopicName }).openapi('OffsetSkipRequest'), description: 'The topic.' },
    },
    responses: { 200: json(OffsetsSkipped, 'The new offsets and generation.') },
    errors: resetErrors,
  },
  async (c, { params: { group }, body: { topic } }) =>
    c.json(await resetOffsets(c.env, group, topic, async (stub) => (await stub.status()).maxOffset)),
);
