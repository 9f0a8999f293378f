import { declareRoute, router } from '../api/declare';
import { BrokerName, ErrorBody, TopicName, json, requestBodyNote, z, MinutesQuery } from '../api/fields';
import { BrokerData, BrokerRole, FlushDiskType, Region, millis } from '../api/models';
import { config, withNameServer } from '../../services/cluster';
import { brokerStatuses, groupReplication, setFault } from '../../services/brokers';
import { admin } from '../security/requirements';
import { clusterTraffic } from '../../services/cluster-traffic';
import { STATS_KEEP_MINUTES } from '../../core/limits';

/**
 * The cluster as the NameServers see it, each broker's own status, and broker
 * administration for high availability (docs/deployment.md): replication lag
 * and the fault-injection switch.
 */
export const cluster = router();

const tags = ['cluster'];
const count = (description: string) => z.number().int().min(0).openapi({ description });
const BrokerPath = z.object({ brokerName: BrokerName.openapi({ description: 'A broker group of the layout.' }) });

const SlaveReplication = z
  .object({
    brokerId: z.number().int().min(1).openapi({ description: 'The slave.' }),
    region: z.string().openapi({ description: 'Its location hint.' }),
    lagEntries: count('Messages the slave lacks, over every queue.'),
    lagSeconds: z
      .number()
      .min(0)
      .openapi({ description: 'Age of the oldest message the slave lacks, in seconds (0 when it lacks none).' }),
    unavailableQueues: count('Queues whose last ship to this slave failed (retried every 5 s).'),
    lastError: z.string().openapi({ description: 'One of the errors, if any.' }),
  })
  .openapi('SlaveReplication');

const ReplicationStatus = z
  .object({
    brokerRole: z.enum(['ASYNC_MASTER', 'SYNC_MASTER']),
    queues: count('Queue objects asked.'),
    partial: z.boolean().openapi({ description: 'True when the group hosts more queues than were asked (4096).' }),
    slaves: z.array(SlaveReplication),
  })
  .openapi('ReplicationStatus');

const BrokerStatus = z
  .object({
    config: z
      .object({
        brokerName: BrokerName,
        brokerId: z.number().int().min(0),
        brokerRole: BrokerRole,
        flushDiskType: FlushDiskType,
        deleteWhen: z.string().openapi({
          pattern: '^([01]\\d|2[0-3])(;([01]\\d|2[0-3]))*$',
          description: 'Hours when retention runs, two digits, ";"-separated.',
        }),
        fileReservedTime: z.number().int().min(1).openapi({ description: 'Hours a message is kept.' }),
        region: Region,
      })
      .openapi('BrokerConfig'),
    dataVersion: z.string().openapi({ description: 'Changes whenever the broker topic config changes.' }),
    topicCount: count('Topics the broker hosts.'),
    lastRegistrationTimestamp: millis('When a registration last reached a NameServer (0: never)'),
    nameServersReached: count(
      'NameServers that took the last registration made by this instance of the object (0 after it restarts, until its next heartbeat).',
    ),
    nameServerCount: z.number().int().min(1),
    faultInjection: z
      .object({ down: z.boolean(), since: millis('When it was taken down (0 when up)') })
      .openapi('FaultInjection', {
        description: 'The fault-injection switch of a broker: while down it neither heartbeats nor serves.',
      }),
    replication: ReplicationStatus.optional().openapi({
      description: 'A master with slaves: each slave’s replication lag (docs/deployment.md).',
    }),
  })
  .openapi('BrokerStatus');

declareRoute(
  cluster,
  {
    method: 'get',
    path: '/cluster',
    operationId: 'getCluster',
    tags,
    summary: 'The cluster as a NameServer sees it',
    need: 'authenticated',
    responses: {
      200: json(
        z
          .object({
            clusterName: z.string().openapi({ description: 'CLUSTER_NAME of this deployment.' }),
            nameServerCount: z.number().int().min(1),
            clusters: z
              .array(z.object({ clusterName: z.string(), brokerNames: z.array(BrokerName) }))
              .openapi({ description: 'As one NameServer sees them: live broker groups by cluster.' }),
            brokerDatas: z.array(BrokerData),
          })
          .openapi('ClusterView'),
        'Clusters, broker groups and live brokers.',
      ),
    },
    errors: ['NAMESERVER_UNAVAILABLE'],
  },
  async (c) => {
    const layout = config(c.env);
    const info = await withNameServer(c.env, (ns) => ns.getClusterInfo());
    return c.json({ clusterName: layout.clusterName, nameServerCount: layout.nameServerCount, ...info });
  },
);

declareRoute(
  cluster,
  {
    method: 'get',
    path: '/brokers',
    operationId: 'listBrokers',
    tags,
    summary: "Every broker's own status",
    description:
      'Asks each broker of the layout (masters and slaves) for its config, topic count and last registration. A broker that cannot answer is listed with its config and the error instead; the list itself does not fail.',
    need: 'authenticated',
    responses: {
      200: json(
        z
          .object({
            brokers: z
              .array(
                z.union([
                  BrokerStatus,
                  z.object({ config: BrokerStatus.shape.config, error: ErrorBody }).openapi('BrokerFailure'),
                ]),
              )
              .openapi({ description: 'Every broker of the layout (masters and slaves), in layout order.' }),
          })
          .openapi('BrokerList'),
        'The brokers.',
      ),
    },
    errors: ['BROKER_NOT_EXIST', 'BROKER_UNAVAILABLE'],
  },
  async (c) => c.json({ brokers: await brokerStatuses(c.env) }),
);

declareRoute(
  cluster,
  {
    method: 'get',
    path: '/brokers/{brokerName}/replication',
    operationId: 'getBrokerReplication',
    tags,
    summary: "Replication lag of each slave of a group's master",
    description:
      'Asks every queue object of the master how far each slave has acknowledged: messages the slave lacks and the age of the oldest of them.',
    need: 'authenticated',
    request: { params: BrokerPath },
    responses: {
      200: json(
        z
          .object({
            brokerName: BrokerName,
            replication: ReplicationStatus.nullable().openapi({ description: 'null for a group without slaves.' }),
          })
          .openapi('ReplicationAnswer'),
        'The lag per slave.',
      ),
    },
    errors: ['INVALID_BROKER_NAME', 'BROKER_NOT_EXIST', 'BROKER_UNAVAILABLE'],
  },
  async (c, { params: { brokerName } }) =>
    c.json({ brokerName, replication: await groupReplication(c.env, brokerName) }),
);

const FaultRequest = z
  .object({
    down: z.boolean().openapi({ description: 'true takes the brokers down, false brings them back.' }),
    brokerIds: z
      .array(z.number().int().min(0))
      .min(1)
      .optional()
      .openapi({ description: 'Which brokers of the group; every one when absent.' }),
  })
  .openapi('FaultRequest');

declareRoute(
  cluster,
  {
    method: 'put',
    path: '/brokers/{brokerName}/fault',
    operationId: 'setBrokerFault',
    tags,
    summary: 'Fault injection: take a broker group (or some of its brokers) down, or bring it back',
    description: `Down, a broker stops heartbeating and it and all its queue objects refuse requests with BROKER_UNAVAILABLE, as a crashed broker would; NameServers drop it after 120 s, or at once when a client reports it and it does not answer their probe. Up, it registers again at once. Served only when the FAULT_INJECTION_ENABLE var is true (NOT_FOUND otherwise). ${requestBodyNote}`,
    need: admin('fault injection'),
    request: {
      params: BrokerPath,
      body: { schema: FaultRequest, description: '`{"down": true}`; optional `brokerIds`.' },
    },
    responses: {
      200: json(
        z
          .object({
            brokerName: BrokerName,
            down: z.boolean(),
            brokers: z.array(BrokerStatus).openapi({ description: 'The status of each broker switched, by brokerId.' }),
          })
          .openapi('FaultAnswer'),
        'The brokers switched.',
      ),
    },
    errors: [
      'MALFORMED_JSON',
      'INVALID_REQUEST',
      'INVALID_BROKER_NAME',
      'NOT_FOUND',
      'BROKER_NOT_EXIST',
      'REQUEST_TOO_LARGE',
      'BROKER_UNAVAILABLE',
    ],
  },
  async (c, { params: { brokerName }, body: { down, brokerIds } }) =>
    c.json({ brokerName, down, brokers: await setFault(c.env, brokerName, down, brokerIds) }),
);

const Traffic = { in: count('Messages appended.'), out: count('Messages returned to pulls and pops.') };

declareRoute(
  cluster,
  {
    method: 'get',
    path: '/cluster/stats',
    operationId: 'getClusterStats',
    tags,
    summary: 'Messages in and out per minute, cluster-wide',
    description: `Every topic's messages in and out per minute (GET /topics/{topic}/stats), summed over the cluster for the last \`minutes\` minutes (1 to ${STATS_KEEP_MINUTES}), and each topic's totals over them, busiest first. Retry and dead-letter topics count as topics.`,
    need: 'authenticated',
    request: {
      query: MinutesQuery,
    },
    responses: {
      200: json(
        z
          .object({
            minutes: z
              .array(
                z.object({
                  minute: z.number().int().openapi({ description: 'Start of the minute, ms since the epoch.' }),
                  ...Traffic,
                }),
              )
              .openapi({ description: 'Every minute, oldest first; the current minute is the last.' }),
            topics: z.array(z.object({ topic: TopicName, ...Traffic })).openapi({
              description: 'Each topic with its totals over the minutes, busiest (in + out) first.',
            }),
          })
          .openapi('ClusterStats'),
        'Per-minute counts, and per topic.',
      ),
    },
    errors: ['INVALID_REQUEST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'],
  },
  async (c, { query: { minutes } }) => c.json(await clusterTraffic(c.env, minutes)),
);
