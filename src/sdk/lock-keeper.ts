/**
 * Keeps a consumer's queue locks, as RocketMQ's RebalanceImpl.lockAll, which
 * ConsumeMessageOrderlyService.lockMQPeriodically runs every
 * REBALANCE_LOCK_INTERVAL (20 s): every interval it renews the lock of each
 * queue it is given (those the consumer consumes in order, and those it gave
 * up while a handler still runs on them), and records each answer in the
 * queue's ProcessQueue, which tells the orderly loop whether it may start a
 * batch. A renewal never takes a lock (pulls do): it only extends one that
 * still names this consumer, assigned or not.
 */
import type { GroupApi } from './group-api';
import type { Message } from './message';
import type { ProcessQueue } from './process-queue';
import type { AssignedQueue } from './types';

/** A queue whose lock is kept, with the process queue that records the answers. */
export interface LockedQueue {
  readonly queue: AssignedQueue;
  readonly pq: ProcessQueue<Message>;
}

export class LockKeeper {
  private readonly api: GroupApi;
  private readonly intervalMs: number;
  private readonly queues: () => Iterable<LockedQueue>;
  private readonly onError: (err: unknown, queue: AssignedQueue) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(
    api: GroupApi,
    intervalMs: number,
    queues: () => Iterable<LockedQueue>,
    onError: (err: unknown, queue: AssignedQueue) => void,
  ) {
    this.api = api;
    this.intervalMs = intervalMs;
    this.queues = queues;
    this.onError = onError;
  }

  /** Renews every interval until {@link stop}. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void Promise.all([...this.queues()].map((q) => this.renew(q))).finally(() => this.schedule());
    }, this.intervalMs);
  }

  /** Renews one queue's lock now; resolves whether it is this consumer's (false when the call failed: nothing is known). */
  async renew(q: LockedQueue): Promise<boolean> {
    const sentAt = Date.now();
    try {
      const answer = await this.api.renewLock(q.queue);
      q.pq.lockAnswered(sentAt, answer.locked ? answer.durationMs : 0);
      return answer.locked;
    } catch (err) {
      this.onError(err, q.queue);
      return false;
    }
  }
}
