import type { NewMessage } from '../core/message';

/**
 * ASYNC_FLUSH for one queue object: sends answered before their write.
 *
 * What SQLite-backed Durable Objects offer: every write through `sql.exec`
 * (and `transactionSync`) is held behind the object's output gate, so no
 * answer leaves the object until the write is durable. `allowUnconfirmed`,
 * which lets an answer go before its write is confirmed, is an option of the
 * key-value API (`storage.put`/`delete`, and `setAlarm`); `sql.exec` takes no
 * such option. So a log kept in SQL tables cannot be written "unconfirmed".
 *
 * The closest true thing is to answer first and write just after: a send to
 * an ASYNC_FLUSH broker gets its offsets from the object's memory and is
 * answered at once, with nothing written in that request (so the output gate
 * has nothing to hold it for); the messages are written, in order, in one
 * transaction ASYNC_FLUSH_INTERVAL_MS later, or before anything else reads or
 * writes the log (a pull, another send path, the alarm), whichever comes first.
 * That is RocketMQ's group commit: faster under load, at the price of a window
 * of loss. If the object crashes, is evicted or is redeployed within that
 * window, messages already answered SEND_OK are lost, and their offsets are
 * given again to later messages.
 */
export class QueueFlush {
  private pending: NewMessage[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** Appends to the log (in one transaction, after everything appended before). */
    private readonly write: (messages: NewMessage[]) => void,
    private readonly intervalMs: () => number,
  ) {}

  /** Messages answered and not yet written. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Takes messages to write later; answers the offset the first one will
   * take, the log's next offset being `nextOffset`.
   */
  hold(messages: readonly NewMessage[], nextOffset: number): number {
    const first = nextOffset + this.pending.length;
    this.pending.push(...messages);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs());
    return first;
  }

  /** Writes what is held, now. A failure is logged: those messages are lost (they were answered already). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    try {
      this.write(messages);
    } catch (err) {
      console.error(`ASYNC_FLUSH: ${messages.length} answered messages could not be written and are lost`, err);
    }
  }
}
