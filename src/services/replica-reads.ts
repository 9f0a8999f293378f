import { FlareError } from '../core/errors';
import { MASTER_ID, type TopicRoute } from '../core/route';
import type { MessageQueue } from '../durable-objects/queue/message-queue';
import { queueObject, type Client } from '../durable-objects/stubs';
import type { Env } from '../env';
import { brokerCall, queueStub } from './cluster';

/**
 * Which copy of a queue serves reads (pulls, offsets), as RocketMQ's
 * consumers pick a broker (MQClientInstance.findBrokerAddressInSubscribe): the
 * master while the route lists it and it answers, else a live slave. A slow
 * master is still the master: producers' latency marks (latency-faults.ts)
 * steer sends only, never reads. Writes of messages never go to a slave (it is
 * read-only), and neither does the queue lock (`onMaster`); consumer offsets
 * committed on a slave go to the master as soon as it answers
 * (queue/replication.ts).
 */

/** A stub of one copy of a queue (the master's or a slave's). */
export type QueueCopy = Client<MessageQueue>;

/** The live brokers of a group that may serve reads, master first, then slaves by id; [0] when the route lists none. */
export function readBrokerIds(route: TopicRoute, brokerName: string): number[] {
  const live = route.brokerDatas.find((b) => b.brokerName === brokerName)?.brokers.map((b) => b.brokerId) ?? [];
  return live.length > 0 ? [...new Set(live)].sort((a, b) => a - b) : [MASTER_ID];
}

/** The master's copy as the Worker reaches it (its failures count: latency-faults.ts), or a slave's. */
function copyOf(env: Env, topic: string, brokerName: string, queueId: number, brokerId: number): QueueCopy {
  return brokerId === MASTER_ID
    ? queueStub(env, topic, brokerName, queueId)
    : queueObject(env, { topic, brokerName, queueId, brokerId });
}

const unavailable = (err: unknown): err is FlareError => err instanceof FlareError && err.code === 'BROKER_UNAVAILABLE';

/**
 * Runs `call` on the first live copy of the queue: the master, unless the
 * route no longer lists it. When the master answers BROKER_UNAVAILABLE (or
 * does not answer), the call goes to the next live slave at once, without
 * waiting for the NameServers, which are told.
 */
export async function onReadableCopy<T>(
  env: Env,
  route: TopicRoute,
  topic: string,
  brokerName: string,
  queueId: number,
  call: (stub: QueueCopy, brokerId: number) => Promise<T>,
): Promise<T> {
  let last: FlareError | undefined;
  for (const brokerId of readBrokerIds(route, brokerName)) {
    try {
      return await brokerCall(() => call(copyOf(env, topic, brokerName, queueId, brokerId), brokerId)); // a call may fetch the copy, too
    } catch (err) {
      if (!unavailable(err)) throw err;
      last = err;
    }
  }
  throw last!;
}

/**
 * Runs `call` on the master's copy only, whatever the route says: the queue
 * lock has one authority, as RocketMQ's lockBatchMQ and unlockBatchMQ go to
 * the master only (RebalanceImpl.lock/unlock). While the master does not
 * answer, BROKER_UNAVAILABLE (retriable): orderly consumption of the queue
 * pauses until it is back.
 */
export async function onMaster<T>(
  env: Env,
  topic: string,
  brokerName: string,
  queueId: number,
  call: (stub: QueueCopy) => Promise<T>,
): Promise<T> {
  try {
    return await brokerCall(() => call(queueStub(env, topic, brokerName, queueId)));
  } catch (err) {
    if (!unavailable(err)) throw err;
    throw new FlareError(
      'BROKER_UNAVAILABLE',
      `the lock of queue ${topic}/${brokerName}/${queueId} lives on the master of ${brokerName}, which does not answer (${err.detail}); orderly consumption of the queue pauses until it is back`,
    );
  }
}
