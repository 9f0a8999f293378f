/**
 * What a consumer holds of one queue, as RocketMQ's ProcessQueue: the messages
 * pulled and not yet processed, where the next pull starts, and what was last
 * committed. The offset to commit is the lowest offset not yet processed (or,
 * with nothing pending, where the next pull starts), so that a crash after a
 * commit never skips an unprocessed message: it only redelivers processed ones.
 */
import type { Message } from './message';

export class ProcessQueue<M extends Message = Message> {
  /**
   * The group generation these offsets belong to. Commits carry it, so that
   * the server refuses them (GENERATION_STALE) once the group's offsets were
   * reset after it: the consumer then drops this process queue and reloads.
   */
  readonly generation: number;
  /** Verifications asked for, and the last one a successful commit covered (see {@link requestVerify}). */
  private verifyRequested = 0;
  private verifiedUpTo = 0;
  /** Where the next pull starts; undefined until the first pull answers (the server picks the start). */
  nextOffset: number | undefined;
  /** The offset last committed by this consumer, if any. */
  committed: number | undefined;
  /** Unprocessed messages by offset, in offset order (pulls only add higher offsets). */
  private readonly pending = new Map<number, M>();
  private waiters: (() => void)[] = [];
  /**
   * CLUSTERING: the queue lock as last answered (RocketMQ's ProcessQueue.locked
   * and lastLockTimestamp): when the request that took, renewed or lost it was
   * sent (this process's clock), and how long the server said it lasts from
   * then (0: not this consumer's).
   */
  private lockSentAt = 0;
  private lockDurationMs = 0;

  constructor(generation: number) {
    this.generation = generation;
  }

  /**
   * Takes a pull's messages and its nextBeginOffset; returns the messages that
   * are new (a message already pending is not taken twice).
   */
  add(messages: M[], nextBeginOffset: number): M[] {
    const fresh = messages.filter(
      (m) => !this.pending.has(m.queueOffset) && (this.nextOffset === undefined || m.queueOffset >= this.nextOffset),
    );
    for (const m of fresh) this.pending.set(m.queueOffset, m);
    this.nextOffset = nextBeginOffset;
    return fresh;
  }

  /** Marks messages processed (done, sent back for retry, or dead-lettered). */
  done(messages: Iterable<M>): void {
    for (const m of messages) if (this.pending.get(m.queueOffset) === m) this.pending.delete(m.queueOffset);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The offset to commit: the lowest unprocessed offset, else nextOffset. */
  get commitOffset(): number | undefined {
    for (const offset of this.pending.keys()) return offset;
    return this.nextOffset;
  }

  /**
   * Asks for a commit at the next chance even if nothing moved: the group has
   * a new generation, which may come from an offset reset, and only a commit
   * tells (the server refuses it with GENERATION_STALE).
   */
  requestVerify(): void {
    this.verifyRequested++;
  }

  /** Whether to commit: the offset moved since the last commit, or a verification is due. */
  get needsCommit(): boolean {
    const offset = this.commitOffset;
    return offset !== undefined && (offset !== this.committed || this.verifyRequested > this.verifiedUpTo);
  }

  /** What to commit now; hand it back to {@link markCommitted} once the server took it. */
  commitTicket(): { offset: number; verify: number } | undefined {
    const offset = this.commitOffset;
    return offset === undefined ? undefined : { offset, verify: this.verifyRequested };
  }

  markCommitted(ticket: { offset: number; verify: number }): void {
    this.committed = ticket.offset;
    this.verifiedUpTo = Math.max(this.verifiedUpTo, ticket.verify);
  }

  /**
   * Records a lock answer to a request sent at `sentAt`: `durationMs` when it
   * took or renewed the lock, 0 when the lock is not this consumer's. An
   * answer to a request sent before the last one recorded is ignored.
   */
  lockAnswered(sentAt: number, durationMs: number): void {
    if (sentAt < this.lockSentAt) return;
    this.lockSentAt = sentAt;
    this.lockDurationMs = durationMs;
  }

  /**
   * Whether the consumer may start a batch under the lock (RocketMQ's
   * `isLocked() && !isLockExpired()`): less than `maxLiveMs`, and less than
   * the lock's duration, since the request that took or renewed it was sent.
   */
  lockTrusted(maxLiveMs: number, now = Date.now()): boolean {
    return this.lockDurationMs > 0 && now < this.lockSentAt + Math.min(this.lockDurationMs, maxLiveMs);
  }

  /** Messages pulled and not yet processed. */
  get size(): number {
    return this.pending.size;
  }

  /** The first `max` unprocessed messages, in offset order. */
  head(max: number): M[] {
    const out: M[] = [];
    for (const m of this.pending.values()) {
      if (out.length >= max) break;
      out.push(m);
    }
    return out;
  }

  /** Whether `m` is still unprocessed. */
  isPending(m: M): boolean {
    return this.pending.get(m.queueOffset) === m;
  }

  /** Resolves at the next {@link done} (true), or false after `timeoutMs` (or when `signal` aborts). */
  waitForDone(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.wait(() => true, timeoutMs, signal);
  }

  /** Resolves true once fewer than `max` messages are pending, or false after `timeoutMs` (or when `signal` aborts). */
  waitForRoom(max: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.pending.size < max) return Promise.resolve(true);
    return this.wait(() => this.pending.size < max, timeoutMs, signal);
  }

  /** Resolves true once `ready()` holds after a {@link done}, or false after `timeoutMs` (or when `signal` aborts). */
  private wait(ready: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(result);
      };
      const onAbort = () => finish(false);
      const check = () => {
        if (ready()) finish(true);
        else this.waiters.push(check);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(check);
    });
  }
}
