/**
 * What a consumer holds of one queue, as RocketMQ's ProcessQueue: the messages
 * pulled and not yet processed, where the next pull starts, and what was last
 * committed. The offset to commit is the lowest offset not yet processed (or,
 * with nothing pending, where the next pull starts), so that a crash after a
 * commit never skips an unprocessed message: it only redelivers processed ones.
 */
import type { Message } from './message';

export class ProcessQueue<M extends Message = Message> {
  /** Where the next pull starts; undefined until the first pull answers (the server picks the start). */
  nextOffset: number | undefined;
  /** The offset last committed by this consumer, if any. */
  committed: number | undefined;
  /** Unprocessed messages by offset, in offset order (pulls only add higher offsets). */
  private readonly pending = new Map<number, M>();
  private waiters: (() => void)[] = [];

  /**
   * Takes a pull's messages and its nextBeginOffset; returns the messages that
   * are new (a message already pending is not taken twice).
   */
  add(messages: M[], nextBeginOffset: number): M[] {
    const fresh = messages.filter((m) => !this.pending.has(m.queueOffset) && (this.nextOffset === undefined || m.queueOffset >= this.nextOffset));
    for (const m of fresh) this.pending.set(m.queueOffset, m);
    this.nextOffset = nextBeginOffset;
    return fresh;
  }

  /** Marks messages processed (done, sent back for retry, or dead-lettered). */
  done(messages: Iterable<M>): void {
    for (const m of messages) this.pending.delete(m.queueOffset);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The offset to commit: the lowest unprocessed offset, else nextOffset. */
  get commitOffset(): number | undefined {
    for (const offset of this.pending.keys()) return offset;
    return this.nextOffset;
  }

  /** Whether there is an offset to commit that differs from the last one committed. */
  get needsCommit(): boolean {
    const offset = this.commitOffset;
    return offset !== undefined && offset !== this.committed;
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

  /** Resolves true once fewer than `max` messages are pending, or false after `timeoutMs` (or when `signal` aborts). */
  waitForRoom(max: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.pending.size < max) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (roomy: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(roomy);
      };
      const onAbort = () => finish(false);
      const check = () => {
        if (this.pending.size < max) finish(true);
        else this.waiters.push(check);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(check);
    });
  }
}
