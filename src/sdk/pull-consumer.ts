/**
 * The pull consumer, as RocketMQ's DefaultLitePullConsumer: a group member
 * whose queues are assigned by the server (heartbeats and rebalances are
 * automatic) and whose messages you take with poll(). Each assigned queue is
 * long-polled in the background into a small buffer; poll() returns what is
 * buffered, waiting for more if there is nothing. With autoCommit (the
 * default), what one poll() returned counts as processed at the next poll();
 * otherwise call commit().
 */
import { GroupConsumer, type BaseQueueState } from './consumer-base';
import { CONSUMER_DEFAULTS, type ConsumerOptions } from './consumer-options';
import { FlaremqError } from './errors';
import type { Http } from './http';
import { Message, type MessageView } from './message';
import type { RetryOptions } from './retry';

export interface PullConsumerOptions extends ConsumerOptions {
  /**
   * What poll() returned counts as processed when poll() is called again (and
   * on stop()); offsets are then committed every autoCommitIntervalMs. Off,
   * only commit() marks messages processed.
   * @defaultValue true
   */
  autoCommit?: boolean;
}

export interface PollOptions {
  /** Most messages to return. @defaultValue 32 */
  maxMessages?: number;
  /** How long to wait when nothing is buffered, ms. @defaultValue the consumer's pullWaitMs (10000) */
  waitMs?: number;
  /** Ends the wait early (poll then returns what it has, possibly nothing). */
  signal?: AbortSignal;
}

interface PullQueueState extends BaseQueueState<Message> {
  /** Pulled, not yet returned by poll(). */
  buffer: Message[];
  /** Returned by poll(), not yet marked processed. */
  returned: Message[];
}

export class PullConsumer extends GroupConsumer<Message, PullQueueState> {
  declare protected readonly options: PullConsumerOptions;
  private waiters: (() => void)[] = [];
  private cursor = 0;

  /** Made by {@link Client.pullConsumer}. */
  constructor(http: Http, clientRetry: RetryOptions | undefined, options: PullConsumerOptions) {
    super(http, clientRetry, options);
  }

  /** Joins the group and starts fetching its queues in the background. */
  async start(): Promise<void> {
    await this.join();
  }

  /**
   * Messages from the assigned queues (in offset order within a queue),
   * waiting up to `waitMs` when none is buffered. Returns [] when the wait
   * ends empty or the consumer stops.
   */
  async poll(options: PollOptions = {}): Promise<Message[]> {
    if (this.status === 'idle') throw new FlaremqError('INVALID_REQUEST', 'start() the pull consumer before poll()');
    if (this.options.autoCommit ?? true) this.markProcessed();
    const max = options.maxMessages ?? CONSUMER_DEFAULTS.pullBatchSize;
    const deadline = Date.now() + (options.waitMs ?? this.options.pullWaitMs ?? CONSUMER_DEFAULTS.pullWaitMs);
    for (;;) {
      const out = this.take(max);
      if (out.length > 0 || this.status !== 'running' || options.signal?.aborted) return out;
      const left = deadline - Date.now();
      if (left <= 0) return out;
      await this.waitForMessages(left, options.signal);
    }
  }

  /**
   * Marks everything poll() returned as processed and commits every queue's
   * offset now. Rejects if a commit failed (it is retried at the next commit).
   */
  async commit(): Promise<void> {
    this.markProcessed();
    await this.commitStates([...this.states.values()], true);
  }

  private markProcessed(): void {
    for (const state of this.states.values()) {
      state.pq.done(state.returned);
      state.returned = [];
    }
  }

  /** Up to `max` buffered messages, taking queues in turn. */
  private take(max: number): Message[] {
    const states = [...this.states.values()].filter((s) => s.buffer.length > 0);
    const out: Message[] = [];
    for (let i = 0; out.length < max && states.some((s) => s.buffer.length > 0); i++) {
      const state = states[(this.cursor + i) % states.length];
      const batch = state.buffer.splice(0, max - out.length);
      state.returned.push(...batch);
      out.push(...batch);
    }
    this.cursor++;
    return out;
  }

  private waitForMessages(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  protected wrap(view: MessageView): Message {
    return new Message(view);
  }

  protected extend(base: BaseQueueState<Message>): PullQueueState {
    return { ...base, buffer: [], returned: [] };
  }

  protected deliver(state: PullQueueState, messages: Message[]): void {
    state.buffer.push(...messages);
    this.wake();
  }

  /** A queue given up: its buffered messages are dropped (not processed, so delivered again to the next owner). */
  protected async settle(states: PullQueueState[]): Promise<void> {
    for (const state of states) state.buffer = [];
  }

  protected override beforeDrain(): void {
    if (this.options.autoCommit ?? true) this.markProcessed();
    this.wake();
  }

  protected override afterStop(): void {
    this.wake();
  }
}
