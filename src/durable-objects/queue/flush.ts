import { FlareError } from '../../core/errors';
import type { NewMessage } from '../../core/message';
import { log } from '../../log';

/**
 * ASYNC_FLUSH for one queue object: a send is written to the object's local
 * storage before it is answered; only the wait for the platform to confirm
 * the write is skipped. docs/deployment.md#flush-sync_flush-and-async_flush.
 *
 * What a SQLite-backed Durable Object offers (workerd's ActorSqlite): every
 * write goes to the object's local SQLite database at once, inside an
 * implicit transaction committed locally on the next turn of the event loop;
 * a write that must be confirmed also closes the output gate until the
 * platform has stored it durably (on Cloudflare, replicated to other
 * machines). Only the key-value API's `storage.put(…, { allowUnconfirmed:
 * true })` (and setAlarm/delete) can leave the gate open; `sql.exec`,
 * `transactionSync` and the synchronous `storage.kv` always confirm.
 *
 * So a held send is one key-value row (`mqflush:<first offset>`), put with
 * allowUnconfirmed: in the local database before the answer goes, not waited
 * for. The log (SQL) takes the held sends, at their offsets, in one confirmed
 * transaction that also deletes their rows, ASYNC_FLUSH_INTERVAL_MS later or
 * before anything reads or writes the log (RocketMQ's FlushRealTimeService:
 * the append is in the page cache before the answer; the flush to disk comes
 * later). An object that restarts (deploy, eviction, crash of the runtime)
 * finds its held rows and writes them before it serves: no answered message
 * is lost and no offset is given twice.
 *
 * A write that fails is never silent: it is logged and counted (`state()`,
 * shown by the queue's status and /metrics). A send whose row cannot be
 * written is refused; held sends that cannot be written to the log stay held
 * and the queue refuses every request (BROKER_UNAVAILABLE, retriable: the
 * producer retries on another broker group) until a write succeeds, as
 * RocketMQ answers SERVICE_NOT_AVAILABLE while its store is not writeable
 * (RunningFlags, HookUtils.checkBeforePutMessage).
 */

/** A send held by ASYNC_FLUSH: stored in the object's key-value rows, not yet in the log. */
export interface HeldSend {
  /** Offset of its first message; the others follow. */
  first: number;
  storeTimestamp: number;
  messages: NewMessage[];
}

/** How a queue's writes are going (for its status and /metrics). */
export interface WriteState {
  /** False while held sends cannot be written to the log: the queue refuses requests until a write succeeds. */
  writable: boolean;
  /** Messages answered and held, not yet in the log. */
  heldMessages: number;
  /** Writes of sent messages that failed since the object started (each is logged). */
  failedWrites: number;
}

/**
 * Largest send held as one key-value row (the platform takes at most 2 MB of
 * key and value): a bigger one is written to the log at once, confirmed, as
 * with SYNC_FLUSH.
 */
export const MAX_HELD_BYTES = 1536 * 1024;

/** Whether a send fits one held row: its bodies, properties, tags, keys and unique keys, with room for the encoding. */
export function fitsHeld(messages: readonly NewMessage[]): boolean {
  let bytes = 0;
  for (const m of messages) {
    bytes +=
      m.body.byteLength + 128 + 3 * (m.tags.length + m.uniqueKey.length + m.keys.reduce((n, k) => n + k.length + 1, 0));
    for (const [k, v] of Object.entries(m.properties)) bytes += 3 * (k.length + v.length) + 8;
  }
  return bytes <= MAX_HELD_BYTES;
}

const PREFIX = 'mqflush:';
const keyOf = (first: number) => `${PREFIX}${String(first).padStart(16, '0')}`;

/** Resolves once the runtime has committed this turn's writes to the local database (its implicit transaction commits on the next turn, before any timer fires). */
const localCommit = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class QueueFlush {
  private held: HeldSend[] = [];
  private heldMessages = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writable = true;
  private failedWrites = 0;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly options: {
      /** Writes held sends to the log at their offsets, calling `forget` inside the same transaction. */
      write: (held: readonly HeldSend[], forget: () => void) => void;
      /** The offset after the log's last message. */
      logEnd: () => number;
      intervalMs: () => number;
      /** Names the queue in logs. */
      name: () => string;
    },
  ) {}

  /** At start: the sends held when the object last stopped, in offset order. */
  load(): void {
    this.held = [...this.storage.kv.list<HeldSend>({ prefix: PREFIX })].map(([, send]) => send);
    this.heldMessages = this.held.reduce((n, s) => n + s.messages.length, 0);
  }

  /** Messages answered and not yet in the log. */
  get size(): number {
    return this.heldMessages;
  }

  state(): WriteState {
    return { writable: this.writable, heldMessages: this.heldMessages, failedWrites: this.failedWrites };
  }

  /**
   * Stores a send in the object's local storage without waiting for
   * confirmation, and answers the offset of its first message (after the
   * log's end and what is held). Refused (BROKER_UNAVAILABLE) while held
   * sends cannot be written, or when this row cannot be.
   */
  async hold(messages: NewMessage[], storeTimestamp: number): Promise<number> {
    this.requireWritable();
    // A body that is a view into a larger buffer would be stored with all of it: each gets its own.
    const owned = messages.map((m) =>
      m.body.byteOffset === 0 && m.body.byteLength === m.body.buffer.byteLength ? m : { ...m, body: m.body.slice() },
    );
    const send: HeldSend = { first: this.options.logEnd() + this.heldMessages, storeTimestamp, messages: owned };
    let written: Promise<void>;
    try {
      written = this.storage.put(keyOf(send.first), send, { allowUnconfirmed: true });
    } catch (err) {
      written = Promise.reject(err);
    }
    // Taken now, before anything else runs, so that no other send gets these offsets.
    this.held.push(send);
    this.heldMessages += messages.length;
    try {
      await written;
    } catch (err) {
      if (this.held[this.held.length - 1] === send) {
        this.held.pop();
        this.heldMessages -= messages.length;
      }
      throw this.failed(
        err,
        `a send of ${messages.length} message(s) could not be written to local storage; it is refused`,
      );
    }
    await localCommit();
    this.timer ??= setTimeout(() => this.flushQuietly(), this.options.intervalMs());
    return send.first;
  }

  /**
   * Writes what is held to the log, now. When that fails, what is held stays
   * held (and is tried again on the next request, or after the interval),
   * and this throws BROKER_UNAVAILABLE: nothing reads or writes the log past it.
   */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.held.length === 0) return;
    const held = this.held;
    try {
      this.options.write(held, () => {
        for (const send of held) this.storage.kv.delete(keyOf(send.first));
      });
    } catch (err) {
      this.writable = false;
      this.timer = setTimeout(() => this.flushQuietly(), this.options.intervalMs());
      throw this.failed(
        err,
        `${this.heldMessages} answered message(s) could not be written to the log; they stay held and the queue refuses requests until a write succeeds`,
      );
    }
    this.held = [];
    this.heldMessages = 0;
    this.writable = true;
  }

  /** Counts and logs a failed write of sent messages (held, or appended at once); the error to throw. */
  failed(err: unknown, what: string): FlareError {
    this.failedWrites++;
    log.error('a write to the queue log failed', { queue: this.options.name(), what, error: err });
    return new FlareError(
      'BROKER_UNAVAILABLE',
      `queue ${this.options.name()} could not write: ${(err as Error)?.message ?? String(err)}`,
    );
  }

  /** Tries again to write what is held when the last write failed: throws while it still cannot. */
  private requireWritable(): void {
    if (!this.writable) this.flush();
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch {
      // logged and counted by flush()
    }
  }
}
