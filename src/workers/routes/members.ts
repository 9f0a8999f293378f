import { SUB } from '../../core/acl';
import { retryTopic, startFromOf, validateClientId } from '../../core/group-config';
import { messageViews } from '../../core/message';
import { MASTER_ID, requireReadableQueue } from '../../core/route';
import { parseTagExpression } from '../../core/tag-filter';
import { BROKER_EXPIRY_MS, BROKER_HEARTBEAT_MS, TOPIC_WAIT_HEARTBEAT_MIN_MS } from '../../core/timing';
import { FlareError, type ErrorCode } from '../../core/errors';
import { declareRoute, router } from '../api/declare';
import {
  BrokerName,
  GroupName,
  QUEUE_ERRORS,
  TopicName,
  boolText,
  json,
  pullWindow,
  requestBodyNote,
  z,
} from '../api/fields';
import {
  AssignedQueue,
  ClientId,
  GroupConfigPatch,
  InstanceName,
  MemberPath,
  MessageModel as MessageModelSchema,
  QueueIdNumber,
  COMMIT_ERRORS,
  CommitFields,
  commitRequest,
} from '../api/group-models';
import { millis } from '../api/models';
import { MEMBER_QUEUE_ERRORS, MemberQueuePath, MemberStartQuery } from '../api/member-queue';
import { PullResult } from '../api/models';
import { issue } from '../api/validation';
import { groupStub, queueStub, requireRoute } from '../../services/cluster';
import { createRetryTopicQuietly } from '../../services/dead-letters';
import { commitOffsets } from '../../services/offsets';
import { currentGeneration, offsetKey, onLock, refuseStale } from '../../services/members';
import { onMaster, onReadableCopy, type QueueCopy } from '../../services/replica-reads';
import { bodyTopics, consumer, field, type NeedInput } from '../security/requirements';

/** Most subscriptions one member may have. */
export const MAX_SUBSCRIPTIONS = 64;

/** The consumer-group member protocol: heartbeat, leave, pull, commit, lock renewal and unlock (docs/consuming.md). */
export const members = router();
const tags = ['groups'];

/** The path of a member's routes. */
export const memberPath = '/groups/:group/members/:clientId';

const SubscriptionInput = z.object({
  topic: TopicName,
  // Not a string, or not a tag expression: INVALID_TAG_EXPRESSION (its field name's code); core/tag-filter's grammar.
  expression: z
    .string()
    .optional()
    .transform((e) => (parseTagExpression(e), (e ?? '*').trim() || '*'))
    .openapi({
      type: 'string',
      default: '*',
      description:
        'Tag expression: `*` (or empty) for all, or tags separated by `||`. INVALID_TAG_EXPRESSION when it does not parse or is not a string.',
    }),
});

const HeartbeatRequest = GroupConfigPatch.extend({
  instanceName: InstanceName.nullish()
    .transform((v) => (v == null ? undefined : validateClientId(v, 'instanceName')))
    .openapi({
      description:
        'The member’s stable identity (absent or null: its clientId). In BROADCASTING its offsets are this instance’s, so a process that restarts with the same instanceName resumes where it stopped.',
    }),
  subscriptions: z
    .array(SubscriptionInput)
    .max(MAX_SUBSCRIPTIONS)
    .nullish()
    .transform((s) => s ?? [])
    .superRefine((subs, ctx) => {
      const seen = new Set<string>();
      for (const { topic } of subs) {
        if (seen.has(topic)) ctx.addIssue(issue('INVALID_REQUEST', `subscriptions names topic ${topic} twice`));
        seen.add(topic);
      }
    })
    .openapi({
      default: [],
      description: `Every subscription of the member, each time: they replace the ones it had (absent or null: none). At most ${MAX_SUBSCRIPTIONS}, one per topic (INVALID_REQUEST otherwise). A topic that does not exist yet is kept, with no queues until it is created.`,
    }),
}).openapi('HeartbeatRequest', {
  description: 'Subscriptions and, optionally, config fields. The body may be empty (the same as `{}`).',
});

const Assignment = z
  .object({
    group: GroupName,
    clientId: ClientId,
    instanceName: InstanceName.openapi({
      description: 'The member’s stable identity, as its heartbeat declared it (its clientId when it declared none).',
    }),
    generation: z
      .number()
      .int()
      .min(0)
      .openapi({ description: 'Goes up with each new assignment and each offset reset or skip.' }),
    messageModel: MessageModelSchema,
    consumeOrderly: z.boolean(),
    maxReconsumeTimes: z.number().int().min(-1).openapi({
      description:
        'The group’s maxReconsumeTimes, for consumers that retry in place (-1: 16, or no limit in orderly mode).',
    }),
    heartbeatIntervalMs: z
      .number()
      .int()
      .min(1)
      .openapi({
        description: `When to heartbeat next: ${BROKER_HEARTBEAT_MS}, or sooner (${TOPIC_WAIT_HEARTBEAT_MIN_MS} ms, backing off to ${BROKER_HEARTBEAT_MS}) while a subscribed topic has no queues yet; a member silent for ${BROKER_EXPIRY_MS} ms is dropped.`,
      }),
    queues: z.array(AssignedQueue).openapi({
      description: `The member's queues, by topic, brokerName and queueId. In CLUSTERING they include the queues of the retry topic \`${retryTopic('{group}')}\`, which a CLUSTERING member's heartbeat creates if it does not exist.`,
    }),
  })
  .openapi('Assignment', { description: "A member's current assignment, as a heartbeat answers it." });

declareRoute(
  members,
  {
    method: 'post',
    path: '/groups/{group}/members/{clientId}/heartbeat',
    operationId: 'heartbeat',
    tags,
    summary: 'Join a group or stay in it',
    description: [
      `Records the member alive with its subscriptions and answers its assignment; the group is created on the first heartbeat. Heartbeat every \`heartbeatIntervalMs\` (${BROKER_HEARTBEAT_MS} ms, sooner while a subscribed topic has no queues yet): a member silent for ${BROKER_EXPIRY_MS} ms is dropped.`,
      'Config fields are optional. One that differs from the group config is refused with GROUP_CONFIG_CONFLICT while other members are alive; the only member sets it.',
      `The group rebalances, and its generation goes up, when a member joins, leaves or expires, changes its subscriptions or config, or a subscribed topic's readable queues change. In CLUSTERING each queue goes to one member (the retry topic \`${retryTopic('{group}')}\` included, expression \`*\`); in BROADCASTING every member gets every queue. NAMESERVER_UNAVAILABLE when the route of a topic the group has never seen cannot be read.`,
      requestBodyNote,
    ].join('\n\n'),
    need: consumer('joining a group', ({ body }) => {
      const subs = field(body, 'subscriptions');
      return Array.isArray(subs) ? subs.flatMap((s) => bodyTopics(s, SUB)) : [];
    }),
    request: {
      params: MemberPath,
      body: { schema: HeartbeatRequest, description: 'Subscriptions and config fields.', emptyAs: {} },
    },
    responses: { 200: json(Assignment, "The member's assignment.") },
    errors: [
      'MALFORMED_JSON',
      'INVALID_REQUEST',
      'INVALID_GROUP_NAME',
      'INVALID_TOPIC_NAME',
      'INVALID_TAG_EXPRESSION',
      'REQUEST_TOO_LARGE',
      'GROUP_CONFIG_CONFLICT',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group, clientId }, body: { subscriptions, instanceName, ...patch } }) => {
    const beat = () => groupStub(c.env, group).heartbeat(group, clientId, subscriptions, patch, instanceName);
    const assignment = await beat();
    // A CLUSTERING group consumes its retry topic: create it now, so that its queues are assigned in this answer rather
    // than after the first send-back and another heartbeat (RocketMQ: ClientManageProcessor.heartBeat).
    if (assignment.messageModel === 'CLUSTERING' && (await createRetryTopicQuietly(c.env, group)))
      return c.json(await beat());
    return c.json(assignment);
  },
);

declareRoute(
  members,
  {
    method: 'delete',
    path: '/groups/{group}/members/{clientId}',
    operationId: 'leaveGroup',
    tags,
    summary: 'Leave a group',
    description:
      'Removes the member at once, rebalances, and releases the locks of the queues it had, so that their new owners start without waiting.',
    need: consumer('leaving a group'),
    request: {
      params: MemberPath,
      query: z.object({
        releaseLocks: boolText(
          'false: keep the member’s queue locks; it renews (PUT .../lock) and releases them itself, as the SDK does for a queue whose handler still runs when it stops (the new owner waits until then). INVALID_REQUEST unless true, false, 1 or 0.',
          true,
        ),
      }),
    },
    responses: {
      200: json(
        z.object({ group: GroupName, clientId: ClientId, left: z.literal(true) }).openapi('MemberLeft'),
        'Left.',
      ),
    },
    errors: [
      'INVALID_REQUEST',
      'INVALID_GROUP_NAME',
      'GROUP_NOT_EXIST',
      'MEMBER_NOT_FOUND',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { group, clientId }, query: { releaseLocks } }) => {
    const left = await groupStub(c.env, group).leave(clientId);
    if (!left.removed) throw new FlareError('MEMBER_NOT_FOUND', `${clientId} is not a member of group ${group}`);
    // Hand the queues over at once rather than after the locks expire (they live on the masters only),
    // unless the member keeps them until its handlers end (it renews and releases them itself).
    if (releaseLocks)
      await Promise.allSettled(
        left.queues.map((q) => queueStub(c.env, q.topic, q.brokerName, q.queueId).unlock(group, clientId)),
      );
    return c.json({ group, clientId, left: true });
  },
);

/** SUB on the topic of the member's queue (and SUB on the group). */
const onQueue = (action: string) => consumer(action, ({ params }: NeedInput) => [{ name: params.topic, perm: SUB }]);

const lockExpiresAt = millis('When the lock expires unless renewed, by the server’s clock');
const lockDuration = z.number().int().min(1);
const LockGrant = z
  .object({
    expiresAt: lockExpiresAt,
    durationMs: lockDuration.openapi({
      description:
        'How long the lock lasts from the moment the server took the request (the full lock time when it was written now; a pull by the holder answers a lock that has most of its time left as stored, without writing it): added to the time the client sent the request, a bound on the lock’s end that holds whatever the client’s clock says.',
    }),
  })
  .openapi('LockGrant', { description: 'A queue lock taken or renewed for the member.' });

const MemberPullResult = PullResult.extend({
  offset: z.number().int().min(0).openapi({
    description:
      'Where this pull read from: `offset` if given, else the committed offset, else the start offset (which this pull committed).',
  }),
  generation: z.number().int().min(0).openapi({
    description:
      "The group's generation (read when the wait ended, for a long poll that found nothing): when it differs from the member's, heartbeat to get the current assignment and reload offsets.",
  }),
  lock: LockGrant.optional().openapi({
    description:
      'CLUSTERING (pulls from the master): the lock this pull took or renewed for the member. Absent in BROADCASTING and on pulls served by a slave, which take no lock.',
  }),
}).openapi('MemberPullResult', { description: 'A pull answer plus where it read from and the group generation.' });

declareRoute(
  members,
  {
    method: 'get',
    path: '/groups/{group}/members/{clientId}/queues/{topic}/{brokerName}/{queueId}/messages',
    operationId: 'memberPull',
    tags,
    summary: 'Pull an assigned queue as a member',
    description: [
      "The queue must be in the member's current assignment (QUEUE_NOT_ASSIGNED: heartbeat again) and readable. The tag filter is the member's subscription expression for the topic.",
      "In CLUSTERING the pull takes or renews the group's lock on the queue for this member (the answer's `lock`); while another member holds it the pull answers QUEUE_LOCKED (retriable).",
      '`commitOffset`, if given, is committed after the lock is taken and before reading (GENERATION_STALE when `generation` is given too and is older than the topic’s last offset reset or skip).',
      "Without `offset` the pull reads from the committed offset (the group's, or the member's own in BROADCASTING); when none is committed, from where consumeFromWhere says (the min offset for the retry topic), and commits that offset.",
      'Long polling and the scan window are as for the plain pull.',
    ].join('\n\n'),
    need: onQueue('pulling'),
    metric: 'pull',
    request: {
      params: MemberQueuePath,
      query: MemberStartQuery.extend({
        ...pullWindow,
      }),
    },
    responses: { 200: json(MemberPullResult, 'The pull answer, with `offset` and `generation`.') },
    errors: MEMBER_QUEUE_ERRORS,
  },
  async (
    c,
    {
      params: { group, clientId, topic, brokerName, queueId },
      query: { offset, commitOffset, generation, maxMessages, waitMs, bodyEncoding },
    },
  ) => {
    const view = await groupStub(c.env, group).checkQueue(clientId, topic, brokerName, queueId);
    if (commitOffset !== undefined) refuseStale(view, topic, generation);
    const route = await requireRoute(c.env, topic);
    requireReadableQueue(route, brokerName, queueId);
    const clustering = view.config.messageModel === 'CLUSTERING';
    // The queue lock lives on the master only (replica-reads.ts): an orderly member pulls from the master or waits for it;
    // any other member reads the master's copy, or a slave's (with the replicated offsets, taking no lock) while the master is down.
    const pullFrom = (stub: QueueCopy, brokerId: number) =>
      stub.memberPull({
        offset,
        maxMessages,
        waitMs,
        tags: parseTagExpression(view.expression),
        offsetKey: offsetKey(group, view),
        lockGroup: group,
        lockOwner: clustering && brokerId === MASTER_ID ? clientId : undefined,
        commitOffset,
        generation,
        startFrom: startFromOf(topic, view.config, view.subscribedAt),
      });
    const result =
      clustering && view.config.consumeOrderly
        ? await onMaster(c.env, topic, brokerName, queueId, (stub) => pullFrom(stub, MASTER_ID))
        : await onReadableCopy(c.env, route, topic, brokerName, queueId, pullFrom);
    const loc = { topic, brokerName, brokerId: MASTER_ID, queueId };
    // A long poll that ended empty answers the generation as it is now, so that a rebalance during the wait is seen at once.
    const answered =
      waitMs > 0 && result.messages.length === 0
        ? await currentGeneration(c.env, group, view.generation)
        : view.generation;
    return c.json({ ...result, messages: result.messages.map(messageViews(loc, bodyEncoding)), generation: answered });
  },
);

const lockIds = {
  group: GroupName,
  clientId: ClientId,
  topic: TopicName,
  brokerName: BrokerName,
  queueId: QueueIdNumber,
};
const lockErrors: ErrorCode[] = [...QUEUE_ERRORS, 'INVALID_GROUP_NAME'];
const lockPath = '/groups/{group}/members/{clientId}/queues/{topic}/{brokerName}/{queueId}/lock';

// Renews the member's lock (RocketMQ's lockBatchMQ from RebalanceImpl.lockAll): only while the lock names it, assigned or not.
declareRoute(
  members,
  {
    method: 'put',
    path: lockPath,
    operationId: 'renewQueueLock',
    tags,
    summary: "Renew a queue's lock",
    description: [
      "Renews the group's lock on the queue for its full time if it names this member: held, or expired with no other member having taken it since (RocketMQ's lockBatchMQ, sent every 20 s by RebalanceImpl.lockAll). It never takes a lock another member holds or that was released; pulls take locks.",
      'Neither the group, the membership nor the assignment is checked, so that a member whose handler still runs on a queue it was reassigned away from keeps the lock until the handler ends (the new owner’s pulls answer QUEUE_LOCKED meanwhile). On the master only: BROKER_UNAVAILABLE while it does not answer.',
    ].join('\n\n'),
    need: onQueue('renewing a queue lock'),
    request: { params: MemberQueuePath },
    responses: {
      200: json(
        z
          .discriminatedUnion('locked', [
            z.object({ ...lockIds, locked: z.literal(true).openapi({ description: 'Renewed.' }), ...LockGrant.shape }),
            z.object({
              ...lockIds,
              locked: z.literal(false).openapi({
                description:
                  'The lock is another member’s, or was released (take it again by pulling, if the queue is assigned to you).',
              }),
            }),
          ])
          .openapi('LockRenewed', {
            description:
              'Whether the member holds the lock now; with `expiresAt` and `durationMs` (as in LockGrant) when it does.',
          }),
        'Whether the member holds the lock now.',
      ),
    },
    errors: lockErrors,
  },
  async (c, { params }) => {
    const result = await onLock(c.env, params, (stub) => stub.renewLock(params.group, params.clientId));
    return c.json(result ? { ...params, locked: true, ...result } : { ...params, locked: false });
  },
);

declareRoute(
  members,
  {
    method: 'delete',
    path: lockPath,
    operationId: 'unlockQueue',
    tags,
    summary: "Release a queue's lock",
    description:
      "Releases the group's lock on the queue if this member holds it (commit what was processed first). The queue must exist and be readable; neither the group nor the membership is checked.",
    need: onQueue('unlocking a queue'),
    request: { params: MemberQueuePath },
    responses: {
      200: json(
        z
          .object({
            ...lockIds,
            released: z
              .boolean()
              .openapi({ description: 'Whether the member held the lock (false: it did not, or it had expired).' }),
          })
          .openapi('LockReleased'),
        'Whether the lock was released.',
      ),
    },
    errors: lockErrors,
  },
  async (c, { params }) =>
    c.json({ ...params, released: await onLock(c.env, params, (stub) => stub.unlock(params.group, params.clientId)) }),
);

const MemberCommitRequest = commitRequest(
  CommitFields.extend({
    generation: z.number().int().min(0).optional().openapi({
      description:
        "The generation the offsets were read in. GENERATION_STALE when the group's offsets of the topic were reset or skipped after it; INVALID_REQUEST unless an integer >= 0.",
    }),
  }),
  'A commit, as for PUT /api/v1/groups/{group}/offsets, with an optional generation.',
).openapi('MemberCommitRequest');

declareRoute(
  members,
  {
    method: 'put',
    path: '/groups/{group}/members/{clientId}/offsets',
    operationId: 'memberCommitOffsets',
    tags,
    summary: "A member's commit",
    description: `Stores the offsets, the next offset to consume of each queue: the group's in CLUSTERING, the member's own in BROADCASTING. The member must be live (MEMBER_NOT_FOUND); the queues need not be assigned to it. Checked as the group-level commit: every offset before any is stored. ${requestBodyNote}`,
    need: consumer('committing offsets', ({ body }) => bodyTopics(body, SUB)),
    request: {
      params: MemberPath,
      body: {
        schema: MemberCommitRequest,
        description: 'The topic, one or more (brokerName, queueId, offset), and optionally the generation.',
      },
    },
    responses: {
      200: json(
        z
          .object({
            group: GroupName,
            clientId: ClientId,
            topic: TopicName,
            offsets: z.array(
              z.object({
                brokerName: BrokerName,
                queueId: QueueIdNumber,
                offset: z.number().int().min(0),
                updatedAt: millis('Commit time'),
              }),
            ),
          })
          .openapi('MemberCommittedOffsets'),
        'The stored offsets.',
      ),
    },
    errors: [...COMMIT_ERRORS, 'GROUP_NOT_EXIST', 'MEMBER_NOT_FOUND', 'GENERATION_STALE'],
  },
  async (c, { params: { group, clientId }, body: { topic, commits, generation } }) => {
    const view = await groupStub(c.env, group).member(clientId, topic);
    refuseStale(view, topic, generation);
    return c.json({
      group,
      clientId,
      topic,
      offsets: await commitOffsets(c.env, offsetKey(group, view), topic, commits, generation),
    });
  },
);
