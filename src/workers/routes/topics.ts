import { FlareError } from '../../core/errors';
import { MAX_QUEUES_PER_BROKER, STATS_KEEP_MINUTES } from '../../core/limits';
import { parsePerm, permToString } from '../../core/perm';
import type { TopicRoute } from '../../core/route';
import { topicSpec } from '../../core/topic-config';
import { declareRoute, router } from '../api/declare';
import { BrokerName, TopicName, json, requestBodyNote, z, MinutesQuery } from '../api/fields';
import { BrokerData, PermName, QueueData, millis } from '../api/models';
import { config, createOrUpdateTopic, deleteTopic, requireRoute, withNameServer } from '../../services/cluster';
import { topicStatus, topicTraffic } from '../../services/topics';
import { admin } from '../security/requirements';

/** Topics: create or update, delete, list, route, status, stats. */
export const topics = router();

const TopicPath = z.object({ topic: TopicName });
const tags = ['topics'];

/** A route as the API shows it: perm also as letters ("RW"). */
const routeView = (route: TopicRoute) => ({
  ...route,
  queueDatas: route.queueDatas.map((q) => ({ ...q, permName: permToString(q.perm) })),
});

const TopicRouteView = z
  .object({
    topic: TopicName,
    queueDatas: z.array(QueueData.extend({ permName: PermName })),
    brokerDatas: z.array(BrokerData),
  })
  .openapi('TopicRouteView');

declareRoute(
  topics,
  {
    method: 'get',
    path: '/topics',
    operationId: 'listTopics',
    tags,
    summary: 'List topics',
    description: 'Every topic some live broker group hosts, as one NameServer knows them.',
    need: 'authenticated',
    responses: {
      200: json(
        z
          .object({
            topics: z.array(TopicName).openapi({ description: 'Every topic a live broker group hosts, sorted.' }),
          })
          .openapi('TopicList'),
        'The topics, sorted.',
      ),
    },
    errors: ['NAMESERVER_UNAVAILABLE'],
  },
  async (c) => c.json({ topics: await withNameServer(c.env, (ns) => ns.listTopics()) }),
);

const queueCount = (description: string) =>
  z.number().int().min(0).max(MAX_QUEUES_PER_BROKER).optional().openapi({ description });

const TopicSpec = z
  .object({
    queueNums: queueCount('Sets both readQueueNums and writeQueueNums. Default: the DEFAULT_TOPIC_QUEUE_NUMS var (4).'),
    readQueueNums: queueCount('Queues consumers read, per broker group. Default: queueNums.'),
    writeQueueNums: queueCount('Queues producers write, per broker group. Default: queueNums.'),
    perm: z
      .union([z.number().int().min(0).max(7), z.string().regex(/^([Rr][Ww]|[Ww][Rr]|[Rr]|[Ww]|)$/)])
      .optional()
      .transform((p) => (p === undefined ? undefined : parsePerm(p)))
      .openapi({
        description:
          'Permission, as a number 0 to 7 (only the read 4 and write 2 bits are kept) or as letters, any case. Default 6 ("RW").',
        default: 6,
      }),
    brokerNames: z.array(BrokerName).min(1).optional().openapi({
      description:
        'Broker groups (masters) to create or update the topic on. Default: every broker group of the cluster. Groups not named keep what they had.',
    }),
  })
  .openapi('TopicSpec', {
    description:
      'A topic on one or more broker groups. Every field is optional: `{}` creates a topic with the defaults.',
  });

declareRoute(
  topics,
  {
    method: 'put',
    path: '/topics/{topic}',
    operationId: 'createOrUpdateTopic',
    tags,
    summary: 'Create or update a topic',
    description: `Creates the topic on the named broker groups (all by default), or updates its queue counts and perm there, and answers its new route. An empty body reads as \`{}\`: the defaults. ${requestBodyNote}`,
    need: admin('creating or updating a topic'),
    request: {
      params: TopicPath,
      body: { schema: TopicSpec, description: 'Queue counts, perm and broker groups.', emptyAs: {} },
    },
    responses: { 200: json(TopicRouteView, 'The route after the change.') },
    errors: [
      'MALFORMED_JSON',
      'INVALID_REQUEST',
      'INVALID_TOPIC_NAME',
      'INVALID_BROKER_NAME',
      'BROKER_NOT_EXIST',
      'REQUEST_TOO_LARGE',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params, body }) => {
    const spec = topicSpec(body, config(c.env).defaultTopicQueueNums);
    return c.json(routeView(await createOrUpdateTopic(c.env, params.topic, spec)));
  },
);

declareRoute(
  topics,
  {
    method: 'delete',
    path: '/topics/{topic}',
    operationId: 'deleteTopic',
    tags,
    summary: 'Delete a topic',
    description:
      'Deletes the topic from every broker group; its queues drop their messages and consumer offsets. Queue offsets are not reused if the topic is created again, so old message ids never name new messages.',
    need: admin('deleting a topic'),
    request: { params: TopicPath },
    responses: {
      200: json(z.object({ topic: TopicName, deleted: z.literal(true) }).openapi('TopicDeleted'), 'Deleted.'),
    },
    errors: [
      'INVALID_TOPIC_NAME',
      'TOPIC_NOT_EXIST',
      'BROKER_NOT_EXIST',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { topic } }) => {
    if (!(await deleteTopic(c.env, topic))) throw new FlareError('TOPIC_NOT_EXIST', `topic '${topic}' does not exist`);
    return c.json({ topic, deleted: true });
  },
);

declareRoute(
  topics,
  {
    method: 'get',
    path: '/topics/{topic}/route',
    operationId: 'getTopicRoute',
    tags,
    summary: "A topic's route",
    description:
      'Broker groups hosting the topic with their queue counts and perm, and their live brokers, read from a NameServer (not from the route cache that other operations use for up to 30 s per isolate).',
    need: 'authenticated',
    request: { params: TopicPath },
    responses: { 200: json(TopicRouteView, 'The route.') },
    errors: ['INVALID_TOPIC_NAME', 'TOPIC_NOT_EXIST', 'NAMESERVER_UNAVAILABLE'],
  },
  async (c, { params }) => c.json(routeView(await requireRoute(c.env, params.topic, true))),
);

const count = (description: string) => z.number().int().min(0).openapi({ description });

const QueueStatus = z
  .object({
    brokerName: BrokerName,
    queueId: z.number().int().min(0),
    minOffset: count('Offset of the oldest stored message (maxOffset when the queue is empty).'),
    maxOffset: count('Offset the next message will take.'),
    lastUpdateTimestamp: millis('Store time of the last message (0: none yet)'),
    pendingTimers: count(
      'Delayed messages waiting in the queue; they take offsets when due, so they are not in maxOffset.',
    ),
    writes: z.object({
      writable: z.boolean().openapi({
        description:
          'False while messages the queue holds (ASYNC_FLUSH) cannot be written to its log: it refuses requests (503 BROKER_UNAVAILABLE) until a write succeeds.',
      }),
      heldMessages: count(
        'Messages answered and held in local storage, not yet in the log (ASYNC_FLUSH; 0 right after a status, which writes them, unless writing fails).',
      ),
      failedWrites: count('Writes of sent messages that failed since the queue object started (each logged).'),
    }),
    storage: z
      .object({
        rowsWritten: count(
          "Rows the queue object's SQL wrote since it started, as the runtime counts them (rowsWritten of its cursors: table and index rows). docs/storage.md.",
        ),
        messagesAppended: count(
          'Messages appended to its log since it started (sends, delayed and transactional messages, replication).',
        ),
        bytesWritten: count('Bytes of the log rows and key index rows it wrote since it started.'),
        databaseBytes: count("Size of the queue object's database now (sql.databaseSize)."),
      })
      .optional()
      .openapi({ description: 'Only with `?counters=true`.' }),
  })
  .openapi('QueueStatus');

declareRoute(
  topics,
  {
    method: 'get',
    path: '/topics/{topic}/status',
    operationId: 'getTopicStatus',
    tags,
    summary: 'Min and max offsets of every queue of a topic',
    description:
      'One entry per queue object (the larger of readQueueNums and writeQueueNums per broker group), whatever its perm.',
    need: 'authenticated',
    request: {
      params: TopicPath,
      query: z.object({
        counters: z.enum(['true', 'false']).optional().openapi({
          default: 'false',
          description:
            'With `true`, each queue also answers `storage`: what its object wrote since it started (the benchmark reads it).',
        }),
      }),
    },
    responses: {
      200: json(z.object({ topic: TopicName, queues: z.array(QueueStatus) }).openapi('TopicStatus'), 'Queue offsets.'),
    },
    errors: [
      'INVALID_TOPIC_NAME',
      'INVALID_REQUEST',
      'TOPIC_NOT_EXIST',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { topic }, query }) =>
    c.json({ topic, queues: await topicStatus(c.env, topic, query.counters === 'true') }),
);

declareRoute(
  topics,
  {
    method: 'get',
    path: '/topics/{topic}/stats',
    operationId: 'getTopicStats',
    tags,
    summary: 'Messages in and out per minute',
    description: `Messages appended (in) and returned to pulls and pops (out) per minute, summed over the topic's queues, for the last \`minutes\` minutes (1 to ${STATS_KEEP_MINUTES}; queues keep ${STATS_KEEP_MINUTES}). Every minute is present, oldest first; the current minute is the last.`,
    need: 'authenticated',
    request: {
      params: TopicPath,
      query: MinutesQuery,
    },
    responses: {
      200: json(
        z.object({
          topic: TopicName,
          minutes: z.array(
            z.object({
              minute: z.number().int().openapi({ description: 'Start of the minute, ms since the epoch.' }),
              in: z.number().int().min(0),
              out: z.number().int().min(0),
            }),
          ),
        }),
        'Per-minute counts.',
      ),
    },
    errors: [
      'INVALID_TOPIC_NAME',
      'INVALID_REQUEST',
      'TOPIC_NOT_EXIST',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params: { topic }, query: { minutes } }) =>
    c.json({ topic, minutes: await topicTraffic(c.env, topic, minutes) }),
);
