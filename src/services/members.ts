/**
 * A consumer-group member's reads and commits: whose offsets they are, which
 * commits are stale, the group's generation now, and the lock's one authority.
 * Used by the member routes (routes/members.ts) and the member stream.
 */
import { FlareError } from '../core/errors';
import { offsetKeyOf, type MessageModel } from '../core/group-config';
import { requireReadableQueue } from '../core/route';
import type { Env } from '../env';
import { groupStub, requireRoute } from './cluster';
import { onMaster, type QueueCopy } from './replica-reads';

/** Where a member's offsets live: the group's in clustering, its instance's own in broadcasting. */
export const offsetKey = (
  group: string,
  view: { config: { messageModel: MessageModel }; instanceName: string },
): string => offsetKeyOf(group, view.config.messageModel, view.instanceName);

/** A commit for a generation older than the topic's last offset reset is refused (the queue object checks it again, atomically). */
export function refuseStale(view: { resetGeneration: number }, topic: string, generation: number | undefined): void {
  if (generation !== undefined && generation < view.resetGeneration) {
    throw new FlareError(
      'GENERATION_STALE',
      `the group's offsets of ${topic} were reset in generation ${view.resetGeneration}, after your generation ${generation}; heartbeat and pull without offset to continue from the reset`,
    );
  }
}

/** The group's generation now; `known` if the group cannot be read (the pull still answers). */
export async function currentGeneration(env: Env, group: string, known: number): Promise<number> {
  try {
    return Math.max(known, (await groupStub(env, group).view()).generation);
  } catch {
    return known;
  }
}

/** A member's call on its lock of one queue, on the master (the lock's one authority); neither the group nor the membership is checked. */
export async function onLock<T>(
  env: Env,
  ids: { topic: string; brokerName: string; queueId: number },
  call: (stub: QueueCopy) => Promise<T>,
): Promise<T> {
  const route = await requireRoute(env, ids.topic);
  requireReadableQueue(route, ids.brokerName, ids.queueId);
  return onMaster(env, ids.topic, ids.brokerName, ids.queueId, call);
}
