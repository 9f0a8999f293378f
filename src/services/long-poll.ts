import type { QueueId } from '../core/queue-selector';

/** A queue to poll; `topic` tells queues of several topics apart (a pop walks the group's retry topic too). */
export type PolledQueue = QueueId & { topic?: string };

export interface PollQueues<T, Q extends PolledQueue = QueueId> {
  /** The queues to walk, in route order. */
  queues: readonly Q[];
  /** Index of the queue to start the walk at (a rotating counter). */
  start: number;
  /** Stop the walk once this many items are taken. */
  max: number;
  /** Long polling: how long to wait when no queue has anything. */
  waitMs: number;
  /** Takes up to `max` items from one queue (marking them taken there). */
  take(queue: Q, max: number): Promise<T[]>;
  /** Resolves true as soon as `take` on the queue would find something, false after `ms`. */
  wait(queue: Q, ms: number): Promise<boolean>;
}

const key = (q: PolledQueue) => `${q.topic ?? ''}/${q.brokerName}/${q.queueId}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The broker side of a pop across a topic's queues: walks the queues from
 * `start`, taking from each until `max` items are taken. When none has
 * anything, it waits on every queue at once (one `wait` call each) until one
 * of them has something or `waitMs` ends, then walks again. Nothing is taken
 * from a queue while waiting, so nothing is marked that is not returned.
 *
 * A queue whose `take` fails is skipped; the walk fails only when every queue
 * failed and nothing was taken.
 */
export async function pollQueues<T, Q extends PolledQueue = QueueId>(p: PollQueues<T, Q>): Promise<T[]> {
  const deadline = Date.now() + p.waitMs;
  const waits = new Map<string, Promise<unknown>>();
  const n = p.queues.length;
  for (;;) {
    const taken: T[] = [];
    const errors: unknown[] = [];
    for (let i = 0; i < n && taken.length < p.max; i++) {
      const queue = p.queues[(p.start + i) % n];
      try {
        taken.push(...(await p.take(queue, p.max - taken.length)));
      } catch (err) {
        errors.push(err);
      }
    }
    if (taken.length > 0) return taken;
    if (errors.length === n && n > 0) throw errors[0];
    const remaining = deadline - Date.now();
    if (remaining <= 0) return taken;
    for (const queue of p.queues) {
      const k = key(queue);
      if (waits.has(k)) continue;
      const waiting = p
        .wait(queue, remaining)
        .catch(() => sleep(Math.min(remaining, 1000))) // a failing queue: look again later, not in a tight loop
        .finally(() => waits.delete(k));
      waits.set(k, waiting);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([...waits.values(), new Promise<void>((resolve) => (timer = setTimeout(resolve, remaining)))]);
    clearTimeout(timer);
  }
}
