/**
 * The producer: sends one message or a batch, by round robin, sharding key or
 * an explicit queue, now or delayed, with retries of retriable failures;
 * and transactional sends (transactions.ts).
 * Queue selection and broker failover happen in the Worker (see
 * docs/api.md#queue-selection); the SDK retries what the Worker could not.
 */
import { newUniqueKey } from '../core/msg-id';
import { path, type Http } from './http';
import { ProducerStreams } from './producer-stream';
import { toMessageInput, toWire, type Body, type MessageInput, type WireMessage } from './message';
import { retryOptions, withRetry, type RetryOptions } from './retry';
import {
  sendTransactional,
  type LocalTransaction,
  type LocalTransactionContext,
  type TransactionalSendOptions,
  type TransactionalSendResult,
} from './transactions';
import type { DelayOptions, DelayedSendResult, QueueId, SendResult } from './types';
import type { components } from './wire';

export interface ProducerOptions {
  /**
   * How sends that fail with a retriable error are retried. A retried send
   * keeps its messages' uniqueKey, so duplicates can be told apart.
   * @defaultValue the client's `retry` ({@link RETRY_DEFAULTS})
   */
  retry?: RetryOptions;
  /**
   * Timeout of one send attempt, in ms.
   * @defaultValue the client's `requestTimeoutMs` (30000)
   */
  sendTimeoutMs?: number;
}

/** Where one send goes. Give at most one of the two; neither means round robin. */
export interface SendOptions {
  /** Ordered messages: every message with one key goes to one queue, in order. */
  shardingKey?: string;
  /** This exact queue. */
  queue?: QueueId;
  /** Cuts the send (and its retries) short. */
  signal?: AbortSignal;
}

/** Send options with an optional delay. */
export type AnySendOptions = SendOptions & { delayLevel?: number; delayMs?: number; deliverAt?: number | Date };

/** What a oneway send is told: only that the request was valid. */
export type OnewayResult = components['schemas']['OnewayAccepted'];

function withUniqueKey(message: MessageInput): MessageInput {
  return message.uniqueKey === undefined ? { ...message, uniqueKey: newUniqueKey() } : message;
}

function targetFields(options: AnySendOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (options.shardingKey !== undefined) out.shardingKey = options.shardingKey;
  if (options.queue !== undefined) out.queue = { brokerName: options.queue.brokerName, queueId: options.queue.queueId };
  if (options.delayLevel !== undefined) out.delayLevel = options.delayLevel;
  if (options.delayMs !== undefined) out.delayMs = options.delayMs;
  if (options.deliverAt !== undefined)
    out.deliverAt = options.deliverAt instanceof Date ? options.deliverAt.getTime() : options.deliverAt;
  return out;
}

export class Producer {
  private readonly http: Http;
  private readonly retry: Required<RetryOptions>;
  private readonly sendTimeoutMs: number | undefined;
  /** Sends over WebSocket streams, one per topic (the client's transport 'stream'; producer-stream.ts). */
  private readonly streams: ProducerStreams;

  /** Made by {@link Client.producer}. */
  constructor(http: Http, clientRetry: RetryOptions | undefined, options: ProducerOptions = {}) {
    this.http = http;
    this.retry = retryOptions(clientRetry, options.retry);
    this.sendTimeoutMs = options.sendTimeoutMs;
    this.streams = new ProducerStreams(http);
  }

  /**
   * Closes the producer's streams now (sends in flight are rejected, and retried over HTTP); they close
   * by themselves a second after the last send, and the next send opens them again.
   */
  close(): Promise<void> {
    return this.streams.close();
  }

  /**
   * Sends one message: a body (string or bytes) or a {@link MessageInput}.
   * With `delayLevel`, `delayMs` or `deliverAt` the message is held until due
   * and the answer is a {@link DelayedSendResult}.
   */
  send(topic: string, message: MessageInput | Body, options: SendOptions & DelayOptions): Promise<DelayedSendResult>;
  send(topic: string, message: MessageInput | Body, options?: SendOptions): Promise<SendResult>;
  send(topic: string, message: MessageInput | Body, options?: AnySendOptions): Promise<SendResult | DelayedSendResult>;
  send(
    topic: string,
    message: MessageInput | Body,
    options: AnySendOptions = {},
  ): Promise<SendResult | DelayedSendResult> {
    const body = { ...toWire(withUniqueKey(toMessageInput(message))), ...targetFields(options) };
    return this.post<SendResult | DelayedSendResult>(topic, body, options.signal);
  }

  /**
   * Sends a batch: all messages go to one queue, atomically, at consecutive
   * offsets, in order (at most 1000 messages and 4 MiB). The results are in
   * the order of `messages`.
   */
  sendBatch(
    topic: string,
    messages: (MessageInput | Body)[],
    options: SendOptions & DelayOptions,
  ): Promise<DelayedSendResult[]>;
  sendBatch(topic: string, messages: (MessageInput | Body)[], options?: SendOptions): Promise<SendResult[]>;
  sendBatch(
    topic: string,
    messages: (MessageInput | Body)[],
    options?: AnySendOptions,
  ): Promise<(SendResult | DelayedSendResult)[]>;
  async sendBatch(
    topic: string,
    messages: (MessageInput | Body)[],
    options: AnySendOptions = {},
  ): Promise<(SendResult | DelayedSendResult)[]> {
    const wire: WireMessage[] = messages.map((m) => toWire(withUniqueKey(toMessageInput(m))));
    const answer = await this.post<{ results: (SendResult | DelayedSendResult)[] }>(
      topic,
      { messages: wire, ...targetFields(options) },
      options.signal,
    );
    return answer.results;
  }

  /**
   * Sends without waiting for the store: the server checks the request,
   * answers at once and stores in the background. Only validation errors
   * (400, 413) reach the caller; a later failure is only logged by the server.
   * Takes one message or an array (a batch).
   */
  sendOneway(
    topic: string,
    message: MessageInput | Body | (MessageInput | Body)[],
    options: AnySendOptions = {},
  ): Promise<OnewayResult> {
    const body = Array.isArray(message)
      ? { messages: message.map((m) => toWire(withUniqueKey(toMessageInput(m)))), ...targetFields(options) }
      : { ...toWire(withUniqueKey(toMessageInput(message))), ...targetFields(options) };
    return this.post<OnewayResult>(topic, body, options.signal, true);
  }

  /**
   * A transactional send (docs/transactions.md): sends a half message, which
   * consumers cannot see, runs `executeLocalTransaction`, then commits the
   * message ('COMMIT') or rolls it back ('ROLLBACK'). 'UNKNOWN', or a throw,
   * leaves it to the producer group's check-back (a {@link TransactionChecker}
   * or a check URL). Rejects only when the half message could not be sent.
   */
  sendTransactional(
    topic: string,
    message: MessageInput | Body,
    executeLocalTransaction: LocalTransaction<LocalTransactionContext>,
    options: TransactionalSendOptions,
  ): Promise<TransactionalSendResult> {
    return sendTransactional(
      this.http,
      this.retry,
      topic,
      message,
      executeLocalTransaction,
      options,
      this.sendTimeoutMs,
    );
  }

  private post<T>(topic: string, body: unknown, signal: AbortSignal | undefined, oneway = false): Promise<T> {
    return withRetry(
      async () => {
        // A oneway send is answered before it is stored, which a stream's answers are not: it goes over HTTP.
        const results = oneway
          ? undefined
          : await this.streams.send(topic, body, this.sendTimeoutMs ?? this.http.timeoutMs, signal);
        if (results) return ((body as { messages?: unknown }).messages === undefined ? results[0] : { results }) as T;
        return this.http.request<T>('POST', path`/topics/${topic}/messages`, {
          body,
          signal,
          timeoutMs: this.sendTimeoutMs,
          query: oneway ? { oneway: true } : undefined,
        });
      },
      this.retry,
      signal,
    );
  }
}
