import { MAX_BATCH_BYTES, MAX_BATCH_COUNT } from '../../core/limits';
import type { NewMessage } from '../../core/message';
import type { AppendResult } from './message-queue';

/**
 * Group commit of a queue object's sends (SYNC_FLUSH; RocketMQ's
 * CommitLog.GroupCommitService, which flushes the requests that queued while
 * the last flush ran in one go). docs/deployment.md#group-commit.
 *
 * A send that finds no write in flight is appended at once; the sends that
 * reach the object while that write is being made durable wait, and are
 * appended together as the next write: one append (one batch in the log, one
 * commit) for all of them, each send keeping consecutive offsets of its own.
 * A send is answered only once its write is durable (`durable()`, which is
 * `storage.sync()`: it resolves when every write made so far is confirmed).
 * A write that fails fails every send of its group, and none of them is
 * stored or reported as sent.
 */

/** Most messages one group appends: a send larger than this is appended alone. */
export const GROUP_MAX_MESSAGES = MAX_BATCH_COUNT;
/** Most bytes of bodies one group appends: a send larger than this is appended alone. */
export const GROUP_MAX_BYTES = MAX_BATCH_BYTES;

/** How many writes the committer made and how many sends they stored (writes ≤ sends; fewer when sends were grouped). */
export interface GroupCommitStats {
  writes: number;
  sends: number;
  /** Sends waiting for the next write now. */
  waiting: number;
}

interface WaitingSend {
  messages: NewMessage[];
  bytes: number;
  resolve: (results: AppendResult[]) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  private waiting: WaitingSend[] = [];
  private writing = false;
  private readonly counts = { writes: 0, sends: 0 };

  constructor(
    private readonly options: {
      /**
       * Appends the messages in order, atomically, as one write; returns one
       * result per message. What it throws, every send of the group gets.
       * `sends` is how many sends the group holds (for the log).
       */
      write: (messages: NewMessage[], sends: number) => AppendResult[];
      /** Resolves once every write made so far is durable; rejects if one cannot be. */
      durable: () => Promise<void>;
    },
  ) {}

  /** Stores a send's messages at consecutive offsets; resolves with their results once they are durable. */
  submit(messages: NewMessage[]): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      let bytes = 0;
      for (const m of messages) bytes += m.body.byteLength;
      this.waiting.push({ messages, bytes, resolve, reject });
      if (!this.writing) void this.run();
    });
  }

  stats(): GroupCommitStats {
    return { ...this.counts, waiting: this.waiting.length };
  }

  /** Writes groups until none is waiting; the first starts in the caller's turn, so that a lone send waits for nothing. */
  private async run(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.take();
        let results: AppendResult[];
        try {
          results = this.options.write(
            group.length === 1 ? group[0].messages : group.flatMap((s) => s.messages),
            group.length,
          );
          this.counts.writes++;
          this.counts.sends += group.length;
          await this.options.durable();
        } catch (err) {
          for (const send of group) send.reject(err);
          continue;
        }
        let at = 0;
        for (const send of group) {
          send.resolve(results.slice(at, at + send.messages.length));
          at += send.messages.length;
        }
        // One turn of the event loop before the next write, so that the answers just given are not held for its commit
        // too (the output gate holds what leaves until every write made before it is confirmed). storage.sync() with
        // nothing in flight is such a turn (0.015 ms in workerd; setTimeout(0) takes 1.1 ms). Should it fail, the next
        // group's own wait fails too.
        await this.options.durable().catch(() => undefined);
      }
    } finally {
      this.writing = false;
    }
  }

  /** The next group: waiting sends in arrival order, within GROUP_MAX_MESSAGES and GROUP_MAX_BYTES (always at least one). */
  private take(): WaitingSend[] {
    let count = 0;
    let bytes = 0;
    let n = 0;
    for (const send of this.waiting) {
      if (n > 0 && (count + send.messages.length > GROUP_MAX_MESSAGES || bytes + send.bytes > GROUP_MAX_BYTES)) break;
      count += send.messages.length;
      bytes += send.bytes;
      n++;
    }
    return this.waiting.splice(0, n);
  }
}
