/** A queue a producer can write to or a consumer can read from, without its topic (the SDK's QueueId; its QueueRef adds the topic). */
export interface QueueId {
  brokerName: string;
  queueId: number;
}

/** Java's String.hashCode, so that a sharding key picks the queue RocketMQ's SelectMessageQueueByHash would. */
export function javaStringHash(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(31, hash) + value.charCodeAt(i)) | 0;
  return hash;
}

/** The queue for a sharding key: |hash| mod the number of queues, over queues in route order. */
export function selectByShardingKey<Q extends QueueId>(queues: readonly Q[], shardingKey: string): Q {
  if (queues.length === 0) throw new Error('selectByShardingKey: no queues');
  return queues[Math.abs(javaStringHash(shardingKey) % queues.length)];
}

/**
 * Round robin for a send, avoiding the broker groups in `avoid` (those that
 * just failed this send) when any other group has a queue.
 */
export function selectRoundRobin<Q extends QueueId>(
  queues: readonly Q[],
  counter: number,
  avoid: ReadonlySet<string> = new Set(),
): Q {
  if (queues.length === 0) throw new Error('selectRoundRobin: no queues');
  const preferred = queues.filter((q) => !avoid.has(q.brokerName));
  const pool = preferred.length > 0 ? preferred : queues;
  return pool[Math.abs(counter) % pool.length];
}
