/**
 * The long-polling loop of one assigned queue, as RocketMQ's PullMessageService
 * for one ProcessQueue: pulls from where the last pull ended, piggybacks the
 * offset to commit, pauses while too many messages wait to be processed, and
 * backs off on errors. Losing the queue (QUEUE_NOT_ASSIGNED) or seeing a newer
 * generation asks the member for a heartbeat; QUEUE_LOCKED (the previous owner
 * is still finishing) is waited out.
 */
import { sleep } from './abort';
import { hasCode, isAborted, type FlaremqError } from './errors';
import type { GroupApi } from './group-api';
import type { Message, MessageView } from './message';
import type { ProcessQueue } from './process-queue';
import { retryDelay, type RetryOptions } from './retry';
import type { AssignedQueue } from './types';
import { streamQueue } from './queue-stream';

/** After a queue's stream could not be opened or broke, it is pulled over HTTP this long before a stream is tried again, ms. */
export const STREAM_RETRY_MS = 30_000;

export interface PullerOptions {
  /** Messages per pull. */
  pullBatchSize: number;
  /** Long-polling wait per pull, ms. */
  pullWaitMs: number;
  /** Pulling pauses while this many messages of the queue are unprocessed. */
  maxCachedMessages: number;
  /** While paused, a small pull every this many ms keeps the queue's lock (60 s on the server) alive. */
  lockRenewMs: number;
  /** Backoff policy after failed pulls (QUEUE_LOCKED included). */
  backoff: RetryOptions;
  /** Per-request timeout on top of pullWaitMs. */
  requestTimeoutMs?: number;
}

export interface PullerHooks<M extends Message> {
  /** Makes a message from its view (consumers attach ack/nack). */
  wrap(view: MessageView): M;
  /** New messages, already added to the process queue. */
  deliver(messages: M[]): void;
  /** The generation a pull answered. */
  onGeneration(generation: number): void;
  /** The queue is not (or no longer) this member's, or the member expired: heartbeat. */
  onNotAssigned(): void;
  /** The group's offsets were reset since the process queue's generation: it must be dropped and reloaded (the loop has ended). */
  onStale(): void;
  onError(err: unknown): void;
}

export class QueuePuller<M extends Message> {
  readonly queue: AssignedQueue;
  private readonly api: GroupApi;
  private readonly pq: ProcessQueue<M>;
  private readonly options: PullerOptions;
  private readonly hooks: PullerHooks<M>;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private markPositioned!: () => void;
  /** Until when this queue is pulled over HTTP rather than streamed (see STREAM_RETRY_MS). */
  private httpUntil = 0;
  /**
   * Settles once the queue has a position: the first pull answered (it does
   * not long-poll, so that new messages sent after this are consumed even
   * from CONSUME_FROM_LAST_OFFSET), or the loop ended.
   */
  readonly positioned = new Promise<void>((resolve) => (this.markPositioned = resolve));

  constructor(api: GroupApi, queue: AssignedQueue, pq: ProcessQueue<M>, options: PullerOptions, hooks: PullerHooks<M>) {
    this.api = api;
    this.queue = queue;
    this.pq = pq;
    this.options = options;
    this.hooks = hooks;
  }

  /** Starts pulling once `after` (the previous owner's drain in this process) settles. */
  start(after?: Promise<unknown>): void {
    this.loop ??= (async () => {
      await after?.catch(() => {});
      await this.run();
    })();
  }

  /** Stops pulling: aborts a pull in flight and waits for the loop to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.markPositioned();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const o = this.options;
    let failures = 0;
    while (!signal.aborted) {
      const streaming = this.api.http.transport === 'stream' && Date.now() >= this.httpUntil;
      if (streaming) {
        const sentAt = Date.now();
        try {
          await streamQueue(
            {
              api: this.api,
              queue: this.queue,
              pq: this.pq,
              options: o,
              hooks: this.hooks,
              positioned: () => this.markPositioned(),
            },
            signal,
          );
          failures = 0;
        } catch (err) {
          if (signal.aborted || isAborted(err)) break;
          // No stream (or a refusal whose answer this runtime hides): pull over HTTP now, whose answer says which.
          if (hasCode(err, 'STREAM_UNAVAILABLE')) this.httpUntil = Date.now() + STREAM_RETRY_MS;
          else if (!(await this.failed(err, ++failures, sentAt, signal))) break;
        }
        continue;
      }
      let small = false;
      if (this.pq.size >= o.maxCachedMessages) {
        small = !(await this.pq.waitForRoom(o.maxCachedMessages, o.lockRenewMs, signal));
        if (signal.aborted) break;
      }
      const ticket = this.pq.needsCommit ? this.pq.commitTicket() : undefined;
      const sentAt = Date.now();
      try {
        const answer = await this.api.pull(
          this.queue,
          {
            offset: this.pq.nextOffset,
            maxMessages: small ? 1 : o.pullBatchSize,
            waitMs: small || this.pq.nextOffset === undefined ? 0 : o.pullWaitMs,
            commitOffset: ticket?.offset,
            generation: this.pq.generation,
          },
          signal,
          o.requestTimeoutMs,
        );
        if (ticket) this.pq.markCommitted(ticket);
        if (answer.lock) this.pq.lockAnswered(sentAt, answer.lock.durationMs);
        failures = 0;
        if (signal.aborted) break; // stopped meanwhile: leave the messages for the next owner
        const fresh = this.pq.add(
          answer.messages.map((v) => this.hooks.wrap(v)),
          answer.nextBeginOffset,
        );
        this.markPositioned();
        this.hooks.onGeneration(answer.generation);
        if (fresh.length > 0) this.hooks.deliver(fresh);
      } catch (err) {
        if (signal.aborted || isAborted(err)) break;
        // The stream was refused for a reason of the group (a rebalance), not for being a stream: stream again next time.
        if (this.httpUntil > 0 && (err as FlaremqError).status === 409) this.httpUntil = 0;
        if (!(await this.failed(err, ++failures, sentAt, signal))) break;
      }
    }
  }

  /** A failed pull or stream: reported or handled, then a backoff; false when the loop ends. */
  private async failed(err: unknown, failures: number, sentAt: number, signal: AbortSignal): Promise<boolean> {
    if (hasCode(err, 'GENERATION_STALE')) {
      this.hooks.onStale();
      this.markPositioned();
      return false;
    }
    if (hasCode(err, 'QUEUE_LOCKED')) this.pq.lockAnswered(sentAt, 0); // another member's
    const lost =
      hasCode(err, 'QUEUE_NOT_ASSIGNED') ||
      hasCode(err, 'MEMBER_NOT_FOUND') ||
      hasCode(err, 'TOPIC_NOT_EXIST') ||
      hasCode(err, 'QUEUE_NOT_EXIST');
    if (lost) this.hooks.onNotAssigned();
    // Expected during a rebalance: the member heartbeats again, the previous owner unlocks.
    const expected =
      hasCode(err, 'QUEUE_LOCKED') || hasCode(err, 'QUEUE_NOT_ASSIGNED') || hasCode(err, 'MEMBER_NOT_FOUND');
    if (!expected) this.hooks.onError(err);
    try {
      await sleep(retryDelay(failures, this.options.backoff), signal);
    } catch {
      return false;
    }
    return true;
  }
}
