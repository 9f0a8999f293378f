import type { QueueId } from './queue-selector';

/** RocketMQ's allocation strategies, by their names in flaremq's API. */
export const ALLOCATE_STRATEGIES = ['AVG', 'AVG_BY_CIRCLE', 'CONSISTENT_HASH'] as const;
export type AllocateStrategy = (typeof ALLOCATE_STRATEGIES)[number];

/** Virtual nodes per member on the consistent-hash ring (RocketMQ's default is 10). */
export const VIRTUAL_NODES = 10;

/**
 * AllocateMessageQueueAveragely: member i of n gets a contiguous range of the
 * queues; the first (queues mod n) members get one more.
 */
function averagely<Q>(queues: readonly Q[], index: number, members: number): Q[] {
  if (index >= queues.length) return [];
  const mod = queues.length % members;
  const average = queues.length <= members ? 1 : Math.floor(queues.length / members) + (mod > 0 && index < mod ? 1 : 0);
  const start = mod > 0 && index < mod ? index * average : index * average + mod;
  const range = Math.min(average, queues.length - start);
  return queues.slice(start, start + range);
}

/** AllocateMessageQueueAveragelyByCircle: queue i goes to member i mod n. */
function byCircle<Q>(queues: readonly Q[], index: number, members: number): Q[] {
  return queues.filter((_, i) => i % members === index);
}

/** A 32-bit FNV-1a hash, mixed: stable across runtimes, spread enough for a ring. */
export function ringHash(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** AllocateMessageQueueConsistentHash: each queue goes to the first member node clockwise on the ring. */
function consistentHash<Q extends QueueId>(queues: readonly Q[], members: readonly string[]): Map<string, Q[]> {
  const ring = members
    .flatMap((member) => Array.from({ length: VIRTUAL_NODES }, (_, i) => ({ member, at: ringHash(`${member}-${i}`) })))
    .sort((a, b) => a.at - b.at || a.member.localeCompare(b.member));
  const out = new Map<string, Q[]>(members.map((m) => [m, []]));
  for (const q of queues) {
    const at = ringHash(`${q.brokerName}@${q.queueId}`);
    const node = ring.find((n) => n.at >= at) ?? ring[0];
    out.get(node.member)!.push(q);
  }
  return out;
}

/**
 * Allocates the queues of one topic among the members subscribed to it.
 * Members and queues are sorted first, so every caller computes the same
 * answer; every queue goes to exactly one member.
 */
export function allocate<Q extends QueueId>(
  strategy: AllocateStrategy,
  queues: readonly Q[],
  members: readonly string[],
): Map<string, Q[]> {
  const sortedMembers = [...new Set(members)].sort();
  const sortedQueues = [...queues].sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
  if (sortedMembers.length === 0) return new Map();
  if (strategy === 'CONSISTENT_HASH') return consistentHash(sortedQueues, sortedMembers);
  const pick = strategy === 'AVG_BY_CIRCLE' ? byCircle : averagely;
  return new Map(sortedMembers.map((m, i) => [m, pick(sortedQueues, i, sortedMembers.length)]));
}
