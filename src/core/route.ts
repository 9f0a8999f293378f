import { FlareError } from './errors';
import { isReadable, isWritable } from './perm';
import type { QueueId } from './queue-selector';
import type { BrokerRole, FlushDiskType } from './config';

/** What a broker group hosts of one topic (RocketMQ's QueueData). */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
}

/** One live broker of a group, as the NameServer last heard from it. */
export interface BrokerInstance {
  brokerId: number;
  brokerRole: BrokerRole;
  flushDiskType: FlushDiskType;
  region: string;
  lastUpdateTimestamp: number;
}

/** A broker group and its live brokers (RocketMQ's BrokerData). */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  brokers: BrokerInstance[];
}

/** A topic's route: which broker groups host it with how many queues. */
export interface TopicRoute {
  topic: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
}

/** Master is brokerId 0. */
export const MASTER_ID = 0;

function hasLiveMaster(route: TopicRoute, brokerName: string): boolean {
  const data = route.brokerDatas.find((b) => b.brokerName === brokerName);
  return data?.brokers.some((b) => b.brokerId === MASTER_ID) ?? false;
}

function queuesOf(route: TopicRoute, pick: (q: QueueData) => number): QueueId[] {
  const out: QueueId[] = [];
  const datas = [...route.queueDatas].sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  for (const data of datas) {
    const count = pick(data);
    for (let queueId = 0; queueId < count; queueId++) out.push({ brokerName: data.brokerName, queueId });
  }
  return out;
}

/** Queues a producer may write: writable perm, a live master, queueId below writeQueueNums; in route order. */
export function writableQueues(route: TopicRoute): QueueId[] {
  return queuesOf(route, (q) => (isWritable(q.perm) && hasLiveMaster(route, q.brokerName) ? q.writeQueueNums : 0));
}

/** Queues a consumer may read: readable perm, queueId below readQueueNums; in route order. */
export function readableQueues(route: TopicRoute): QueueId[] {
  return queuesOf(route, (q) => (isReadable(q.perm) ? q.readQueueNums : 0));
}

/** Every queue object of the topic (the larger of read and write counts per group). */
export function allQueues(route: TopicRoute): QueueId[] {
  return queuesOf(route, (q) => Math.max(q.readQueueNums, q.writeQueueNums));
}

/**
 * Checks that a consumer may read (brokerName, queueId) of the topic:
 * QUEUE_NOT_EXIST for a queue the topic does not have, NO_PERMISSION for one
 * that is not readable.
 */
export function requireReadableQueue(route: TopicRoute, brokerName: string, queueId: number): QueueId {
  const same = (q: QueueId) => q.brokerName === brokerName && q.queueId === queueId;
  if (readableQueues(route).some(same)) return { brokerName, queueId };
  if (allQueues(route).some(same)) {
    throw new FlareError('NO_PERMISSION', `queue ${brokerName}/${queueId} of '${route.topic}' is not readable`);
  }
  throw new FlareError('QUEUE_NOT_EXIST', `topic '${route.topic}' has no queue ${brokerName}/${queueId}`);
}
