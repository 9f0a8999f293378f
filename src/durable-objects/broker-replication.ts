import { slavesOf } from '../core/broker-groups';
import { clusterConfig, type BrokerConfig } from '../core/config';
import { MASTER_ID } from '../core/route';
import type { TopicConfig } from '../core/topic-config';
import type { Env } from '../env';
import { brokerObject, queueObject } from './stubs';
import { log } from '../log';

/**
 * What a broker group's Broker objects do for high availability, apart from
 * heartbeats (broker.ts wires it in):
 * - the master's topic config reaches its slaves (RocketMQ's SlaveSynchronize):
 *   pushed by the master when it changes, pulled again by each slave on its
 *   heartbeat, so that a slave that was down catches up;
 * - a slave opens (and drops) its copies of the group's queues, in its region;
 * - fault injection reaches every queue object of the broker;
 * - the replication lag of the master's queues, summed per slave.
 */

/** A master's topic config as its slaves copy it. */
export interface TopicSnapshot {
  topics: TopicConfig[];
  dataVersion: string;
}

/** A topic as a Broker object holds it: its config and how many queue objects it ever opened. */
export interface HostedTopic {
  topic: string;
  openedQueueNums: number;
}

/** Most queue objects one status or fault fan-out reaches (beyond that, status says it is partial). */
export const MAX_FANOUT_QUEUES = 4096;

export const queueCount = (t: TopicConfig): number => Math.max(t.readQueueNums, t.writeQueueNums);

/** Opens queues 0 … count-1 of a topic on one broker (idempotent). */
export async function openQueues(env: Env, broker: BrokerConfig, topic: string, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, queueId) => {
      const identity = { topic, brokerName: broker.brokerName, queueId, brokerId: broker.brokerId };
      return queueObject(env, identity).open(identity);
    }),
  );
}

/** Drops queues 0 … count-1 of a topic on one broker (their messages and offsets; the offset counters stay). */
export async function dropQueues(env: Env, broker: BrokerConfig, topic: string, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, queueId) =>
      queueObject(env, { topic, brokerName: broker.brokerName, queueId, brokerId: broker.brokerId }).drop(),
    ),
  );
}

/** The master pushes its topic config to every slave of its group; a slave that fails catches up on its next heartbeat. */
export async function pushToSlaves(env: Env, brokerName: string, snapshot: TopicSnapshot): Promise<void> {
  const slaves = slavesOf(clusterConfig(env), brokerName);
  const results = await Promise.allSettled(
    slaves.map((s) => brokerObject(env, s.brokerName, s.brokerId).syncFromMaster(snapshot)),
  );
  results.forEach((r, i) => {
    if (r.status === 'rejected') {
      log.warn('pushing the topic config to a slave failed; it syncs on its heartbeat', {
        brokerName,
        brokerId: slaves[i].brokerId,
        error: r.reason,
      });
    }
  });
}

/** A slave reads its master's topic config. */
export function pullFromMaster(env: Env, brokerName: string): Promise<TopicSnapshot> {
  return brokerObject(env, brokerName, MASTER_ID).topicSnapshot();
}

/**
 * What a slave must do to hold the master's topics: open every queue of each
 * topic (also when the count grew), and drop the queues of topics the master
 * no longer hosts. Answers the topics to keep, with their opened counts.
 */
export async function applySnapshot(
  env: Env,
  self: BrokerConfig,
  snapshot: TopicSnapshot,
  current: readonly HostedTopic[],
): Promise<HostedTopic[]> {
  const wanted = new Map(snapshot.topics.map((t) => [t.topic, t]));
  await Promise.all(snapshot.topics.map((t) => openQueues(env, self, t.topic, queueCount(t))));
  await Promise.all(
    current.filter((t) => !wanted.has(t.topic)).map((t) => dropQueues(env, self, t.topic, t.openedQueueNums)),
  );
  return snapshot.topics.map((t) => ({
    topic: t.topic,
    openedQueueNums: Math.max(queueCount(t), current.find((c) => c.topic === t.topic)?.openedQueueNums ?? 0),
  }));
}

/** Sets the fault-injection switch on every queue object the broker ever opened. */
export async function setQueuesFault(
  env: Env,
  self: BrokerConfig,
  topics: readonly HostedTopic[],
  down: boolean,
): Promise<number> {
  const identities = topics
    .flatMap((t) =>
      Array.from({ length: t.openedQueueNums }, (_, queueId) => ({
        topic: t.topic,
        brokerName: self.brokerName,
        queueId,
        brokerId: self.brokerId,
      })),
    )
    .slice(0, MAX_FANOUT_QUEUES);
  await Promise.all(identities.map((identity) => queueObject(env, identity).setFault(down)));
  return identities.length;
}

/** One slave's replication, summed over the master's queues. */
export interface SlaveReplication {
  brokerId: number;
  region: string;
  /** Messages the slave lacks, over every queue. */
  lagEntries: number;
  /** Age of the oldest message the slave lacks, in seconds (0 when it lacks none). */
  lagSeconds: number;
  /** Queues whose last ship to this slave failed. */
  unavailableQueues: number;
  /** One of the errors, if any. */
  lastError: string;
}

export interface ReplicationStatus {
  brokerRole: BrokerConfig['brokerRole'];
  queues: number;
  /** True when the broker hosts more queues than MAX_FANOUT_QUEUES and only those were asked. */
  partial: boolean;
  slaves: SlaveReplication[];
}

/** A master's replication lag per slave, asked of each of its queue objects. */
export async function replicationStatus(
  env: Env,
  self: BrokerConfig,
  topics: readonly TopicConfig[],
): Promise<ReplicationStatus> {
  const slaves = slavesOf(clusterConfig(env), self.brokerName);
  if (slaves.length === 0) return { brokerRole: self.brokerRole, queues: 0, partial: false, slaves: [] };
  const all = topics.flatMap((t) =>
    Array.from({ length: queueCount(t) }, (_, queueId) => ({
      topic: t.topic,
      brokerName: self.brokerName,
      queueId,
      brokerId: MASTER_ID,
    })),
  );
  const asked = all.slice(0, MAX_FANOUT_QUEUES);
  const perQueue = await Promise.all(
    asked.map((identity) =>
      queueObject(env, identity)
        .replicationStatus()
        .catch(() => []),
    ),
  );
  return {
    brokerRole: self.brokerRole,
    queues: asked.length,
    partial: asked.length < all.length,
    slaves: slaves.map((s) => {
      const rows = perQueue.flat().filter((r) => r.brokerId === s.brokerId);
      return {
        brokerId: s.brokerId,
        region: s.region,
        lagEntries: rows.reduce((sum, r) => sum + r.lagEntries, 0),
        lagSeconds: rows.reduce((max, r) => Math.max(max, r.lagSeconds), 0),
        unavailableQueues: rows.filter((r) => !r.available).length,
        lastError: rows.find((r) => r.lastError !== '')?.lastError ?? '',
      };
    }),
  };
}
