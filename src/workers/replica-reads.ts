import type { FlareError } from '../core/errors';
import { MASTER_ID, type TopicRoute } from '../core/route';
import { queueObject } from '../durable-objects/placement';
import type { Env } from '../env';
import { brokerCall } from './cluster';
import { noteBrokerCall, reportUnreachable, sendFaults } from './latency-faults';

/**
 * Which copy of a queue serves reads (pulls, offsets, locks), as RocketMQ's
 * consumers pick a broker: the master while the route lists it alive, else a
 * live slave. Writes of messages never go to a slave (it is read-only);
 * consumer offsets committed on a slave go back to the master when it returns
 * (queue-replication.ts).
 */

/** A stub of one copy of a queue (the master's or a slave's). */
export type QueueCopy = ReturnType<typeof queueObject>;

/** The live brokers of a group that may serve reads, master first, then slaves by id; [0] when the route lists none. */
export function readBrokerIds(route: TopicRoute, brokerName: string): number[] {
  const live = route.brokerDatas.find((b) => b.brokerName === brokerName)?.brokers.map((b) => b.brokerId) ?? [];
  return live.length > 0 ? [...new Set(live)].sort((a, b) => a - b) : [MASTER_ID];
}

/**
 * Runs `call` on the first live copy of the queue. When the master answers
 * BROKER_UNAVAILABLE (or does not answer), the call goes to the next live
 * slave at once, without waiting for the NameServers, which are told. While
 * this isolate's latency fault tolerance avoids the group's master, its
 * slaves are asked first (the master last).
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
  let ids = readBrokerIds(route, brokerName);
  if (ids.length > 1 && ids[0] === MASTER_ID && !sendFaults.isAvailable(brokerName, Date.now())) ids = [...ids.slice(1), MASTER_ID];
  for (const brokerId of ids) {
    const startedAt = Date.now();
    try {
      return await brokerCall(() => call(queueObject(env, { topic, brokerName, queueId, brokerId }), brokerId));
    } catch (err) {
      const flare = err as FlareError;
      if (flare.code !== 'BROKER_UNAVAILABLE') throw flare;
      last = flare;
      if (brokerId === MASTER_ID && noteBrokerCall(brokerName, startedAt, true)) await reportUnreachable(env, brokerName, MASTER_ID);
    }
  }
  throw last!;
}
