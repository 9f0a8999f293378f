/**
 * The simple consumer, as RocketMQ 5's SimpleConsumer, over the pop API
 * (docs/pop.md): receive() asks the broker for messages, which stay invisible
 * to the group until they are acked or their invisible time lapses (then they
 * are delivered again). No membership, heartbeat or offset: any number of
 * simple consumers, in any number of processes, can share a group.
 */
import { sleep } from './abort';
import { FlaremqError } from './errors';
import { LONG_POLL_GRACE_MS } from './group-api';
import { path, type Http } from './http';
import { Message } from './message';
import { retryDelay, retryOptions, withRetry, type RetryOptions } from './retry';
import type { components } from './wire';

type Schemas = components['schemas'];

export interface SimpleConsumerOptions {
  /** The consumer group. It is created with the default config on its first receive. */
  group: string;
  /** The topic to receive from. */
  topic: string;
  /** Tag expression: `*`, or tags separated by `||`. @defaultValue '*' */
  expression?: string;
  /**
   * How long received messages stay invisible to the group unless acked,
   * 10 s to 12 h (RocketMQ's invisibleDuration).
   * @defaultValue 30000
   */
  invisibleMs?: number;
  /**
   * Long polling: how long receive() waits when no message is ready, 0 to
   * 20000 ms (RocketMQ's awaitDuration).
   * @defaultValue 10000
   */
  waitMs?: number;
  /** Most messages one receive() returns, 1 to 32. @defaultValue 16 */
  maxMessages?: number;
  /**
   * Ordered pop: a message of a sharding key is not delivered until the one
   * before it (same key) is acked or dead-lettered.
   * @defaultValue false
   */
  orderly?: boolean;
  /**
   * Retries of receives, acks and invisibility changes that fail with a
   * retriable error. A retried receive may leave the messages of a lost
   * answer invisible until their invisible time lapses (they are then
   * delivered again).
   * @defaultValue the client's `retry` ({@link RETRY_DEFAULTS})
   */
  retry?: RetryOptions;
}

/** The defaults of {@link SimpleConsumerOptions}, in one place. */
export const SIMPLE_CONSUMER_DEFAULTS = {
  expression: '*',
  invisibleMs: 30_000,
  waitMs: 10_000,
  maxMessages: 16,
  orderly: false,
} as const;

/** Per-call overrides of the consumer's options. */
export interface ReceiveOptions {
  /** @defaultValue the consumer's `maxMessages` (16) */
  maxMessages?: number;
  /** @defaultValue the consumer's `invisibleMs` (30000) */
  invisibleMs?: number;
  /** @defaultValue the consumer's `waitMs` (10000) */
  waitMs?: number;
  /** Cuts the receive (and its retries) short with ABORTED. */
  signal?: AbortSignal;
}

/** A received message as the pop API returns it: a message view plus its delivery. */
export type PoppedMessageView = Schemas['PoppedMessage'];

/** The outcome for one receipt handle of an ack, its error as a {@link FlaremqError}. */
export type AckResult = Omit<Schemas['AckResult']['results'][number], 'error'> & {
  /** Why it was not acked (RECEIPT_HANDLE_EXPIRED, INVALID_RECEIPT_HANDLE, TOPIC_NOT_EXIST, BROKER_UNAVAILABLE). */
  error?: FlaremqError;
};

/** What changeInvisibleDuration answers: the new handle and when the message is visible again. */
export type InvisibleChanged = Schemas['ChangeInvisibleResult'];

/**
 * A message received by a {@link SimpleConsumer}: a {@link Message} with its
 * delivery. `reconsumeTimes` counts the group's earlier deliveries (0 the
 * first time, 1 after one lapse, ...).
 */
export class ReceivedMessage extends Message {
  /** The group it was delivered to. */
  readonly group: string;
  /** Acks this delivery or changes its invisible time; changeInvisibleDuration() replaces it. */
  receiptHandle: string;
  /** When this delivery was made, ms. */
  readonly popTimestamp: number;
  /** When the group first got the message, ms. */
  readonly firstPopTimestamp: number;
  /** When it becomes visible to the group again unless acked (RocketMQ's nextVisibleTime), ms. */
  invisibleUntil: number;
  private readonly consumer: SimpleConsumer;

  constructor(consumer: SimpleConsumer, view: PoppedMessageView) {
    super(view);
    this.consumer = consumer;
    this.group = consumer.group;
    this.receiptHandle = view.receiptHandle;
    this.popTimestamp = view.popTimestamp;
    this.firstPopTimestamp = view.firstPopTimestamp;
    this.invisibleUntil = view.invisibleUntil;
  }

  /**
   * Acks this delivery: the group is done with the message. Rejects with the
   * handle's error, e.g. RECEIPT_HANDLE_EXPIRED when the invisible time lapsed
   * and another receive got the message again (it will be processed twice).
   */
  async ack(): Promise<void> {
    const [result] = await this.consumer.ack([this.receiptHandle]);
    if (!result.acked)
      throw result.error ?? new FlaremqError('RECEIPT_HANDLE_EXPIRED', `message ${this.msgId} was not acked`);
  }

  /**
   * Makes the message visible to the group again `invisibleMs` from now
   * (10 s to 12 h): longer to keep processing, or shorter to have it back
   * sooner. Updates `receiptHandle` (the old one no longer acks) and `invisibleUntil`.
   */
  async changeInvisibleDuration(invisibleMs: number): Promise<InvisibleChanged> {
    const changed = await this.consumer.changeInvisibleDuration(this.receiptHandle, invisibleMs);
    this.receiptHandle = changed.receiptHandle;
    this.invisibleUntil = changed.invisibleUntil;
    return changed;
  }
}

/** Made by {@link Client.simpleConsumer}. */
export class SimpleConsumer {
  readonly group: string;
  readonly topic: string;
  private readonly http: Http;
  private readonly retry: Required<RetryOptions>;
  private readonly options: SimpleConsumerOptions;

  constructor(http: Http, clientRetry: RetryOptions | undefined, options: SimpleConsumerOptions) {
    if (!options || typeof options.group !== 'string')
      throw new FlaremqError('INVALID_GROUP_NAME', 'a simple consumer needs { group }');
    if (typeof options.topic !== 'string')
      throw new FlaremqError('INVALID_REQUEST', 'a simple consumer needs { topic }');
    this.http = http;
    this.group = options.group;
    this.topic = options.topic;
    this.options = options;
    this.retry = retryOptions(clientRetry, options.retry);
  }

  /**
   * Receives up to `maxMessages` messages, waiting up to `waitMs` for the
   * first; `[]` when none came. Each stays invisible to the group for
   * `invisibleMs` unless acked.
   */
  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const o = this.options;
    const waitMs = options.waitMs ?? o.waitMs ?? SIMPLE_CONSUMER_DEFAULTS.waitMs;
    const body: Schemas['PopRequest'] = {
      topic: this.topic,
      expression: o.expression ?? SIMPLE_CONSUMER_DEFAULTS.expression,
      maxMessages: options.maxMessages ?? o.maxMessages ?? SIMPLE_CONSUMER_DEFAULTS.maxMessages,
      invisibleMs: options.invisibleMs ?? o.invisibleMs ?? SIMPLE_CONSUMER_DEFAULTS.invisibleMs,
      waitMs,
      orderly: o.orderly ?? SIMPLE_CONSUMER_DEFAULTS.orderly,
    };
    const answer = await withRetry(
      () =>
        this.http.request<Schemas['PopResult']>('POST', path`/groups/${this.group}/pop`, {
          body,
          signal: options.signal,
          timeoutMs: waitMs + LONG_POLL_GRACE_MS,
        }),
      this.retry,
      options.signal,
    );
    return answer.messages.map((view) => new ReceivedMessage(this, view));
  }

  /**
   * Acks receipt handles (or received messages) of this group, each on its
   * own: one result per handle, in order. A handle that failed with a
   * retriable error is tried again with the consumer's `retry`; the others
   * report their error (they do not throw).
   */
  async ack(handles: string | ReceivedMessage | (string | ReceivedMessage)[]): Promise<AckResult[]> {
    const list = (Array.isArray(handles) ? handles : [handles]).map((h) =>
      typeof h === 'string' ? h : h.receiptHandle,
    );
    const results: AckResult[] = list.map((receiptHandle) => ({ receiptHandle, acked: false }));
    if (list.length === 0) return results;
    let pending = list.map((_, i) => i);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const answer = await withRetry(
        () =>
          this.http.request<Schemas['AckResult']>('POST', path`/groups/${this.group}/ack`, {
            body: { receiptHandles: pending.map((i) => list[i]) } satisfies Schemas['AckRequest'],
          }),
        this.retry,
      );
      const again: number[] = [];
      answer.results.forEach((r, j) => {
        const i = pending[j];
        if (r.acked) results[i] = { receiptHandle: list[i], acked: true };
        else {
          const error = new FlaremqError(r.error?.code ?? 'RECEIPT_HANDLE_EXPIRED', r.error?.message ?? 'not acked', {
            retriable: r.error?.retriable,
          });
          results[i] = { receiptHandle: list[i], acked: false, error };
          if (error.retriable && this.retry.retryIf(error, attempt)) again.push(i);
        }
      });
      if (again.length === 0 || attempt >= this.retry.retries) break;
      pending = again;
      await sleep(retryDelay(attempt + 1, this.retry));
    }
    return results;
  }

  /**
   * RocketMQ's changeInvisibleDuration for a handle: the message is visible
   * to the group again `invisibleMs` from now (10 s to 12 h). The answer
   * carries the new receipt handle; the old one no longer acks. A retried
   * call (same handle, same invisibleMs) after a lost answer gets the same
   * new handle.
   */
  changeInvisibleDuration(receiptHandle: string, invisibleMs: number): Promise<InvisibleChanged> {
    return withRetry(
      () =>
        this.http.request<InvisibleChanged>('POST', path`/groups/${this.group}/invisible`, {
          body: { receiptHandle, invisibleMs } satisfies Schemas['ChangeInvisibleRequest'],
        }),
      this.retry,
    );
  }
}
