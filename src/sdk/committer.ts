/**
 * Commits the offsets of several process queues: one request per topic and
 * generation, each with the generation so that the server refuses a commit
 * that would undo an offset reset (GENERATION_STALE).
 */
import { hasCode } from './errors';
import type { GroupApi } from './group-api';
import type { ProcessQueue } from './process-queue';
import { withRetry, type RetryOptions } from './retry';
import type { AssignedQueue } from './types';

export interface Committable {
  queue: AssignedQueue;
  pq: ProcessQueue<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CommitOutcome<T extends Committable> {
  /** Queues whose offsets were reset since their generation: drop and reload them. */
  stale: T[];
  errors: unknown[];
}

export async function commitAll<T extends Committable>(
  api: GroupApi,
  entries: T[],
  retry: RetryOptions,
  force = false,
): Promise<CommitOutcome<T>> {
  const batches = new Map<
    string,
    { topic: string; generation: number; items: { entry: T; ticket: { offset: number; verify: number } }[] }
  >();
  for (const entry of entries) {
    if (!force && !entry.pq.needsCommit) continue;
    const ticket = entry.pq.commitTicket();
    if (!ticket) continue;
    const key = `${entry.queue.topic}\u0000${entry.pq.generation}`;
    if (!batches.has(key)) batches.set(key, { topic: entry.queue.topic, generation: entry.pq.generation, items: [] });
    batches.get(key)!.items.push({ entry, ticket });
  }
  const outcome: CommitOutcome<T> = { stale: [], errors: [] };
  await Promise.all(
    [...batches.values()].map(async (batch) => {
      const offsets = batch.items.map(({ entry, ticket }) => ({
        brokerName: entry.queue.brokerName,
        queueId: entry.queue.queueId,
        offset: ticket.offset,
      }));
      try {
        await withRetry(() => api.commit(batch.topic, offsets, batch.generation), retry);
        for (const { entry, ticket } of batch.items) entry.pq.markCommitted(ticket);
      } catch (err) {
        if (hasCode(err, 'GENERATION_STALE')) outcome.stale.push(...batch.items.map((i) => i.entry));
        else outcome.errors.push(err);
      }
    }),
  );
  return outcome;
}
