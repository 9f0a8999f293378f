/** What a push consumer keeps per assigned queue, shared by its consume services. */
import type { ConsumedMessage } from './consumed-message';
import type { BaseQueueState } from './consumer-base';
import type { AssignedQueue } from './types';

export interface QueueState extends BaseQueueState<ConsumedMessage> {
  /** Consumption under way (handlers, send-backs, orderly loops). */
  readonly inflight: Set<Promise<void>>;
  /** Local retries waiting for their suspension to end. */
  readonly timers: Set<ReturnType<typeof setTimeout>>;
  /** Orderly: a loop is consuming this queue. */
  orderlyRunning: boolean;
  /** Orderly: failed attempts of the batch at the head since the queue last moved on (0 while it is not failing). */
  headFailures: number;
  /** Orderly: when the batch at the head first failed, ms since the epoch (undefined while it is not failing). */
  failingSince: number | undefined;
}

/** A push consumer's consumption figures (RocketMQ's ConsumerStatsManager and ProcessQueueInfo), from {@link PushConsumer.stats}. */
export interface ConsumerStats {
  /** Messages whose handler succeeded, since the consumer started. */
  consumeOk: number;
  /** Messages whose handler failed (threw, nacked or ReconsumeLater), each attempt counted. */
  consumeFailed: number;
  queues: QueueStats[];
}

/** One assigned queue's figures. A queue whose head keeps failing shows it here, and in the group's lag (the consumer commits no further than its head). */
export interface QueueStats {
  queue: AssignedQueue;
  /** Messages pulled and not yet processed. */
  pending: number;
  /** The offset the consumer commits: its lowest unprocessed offset (undefined before the first pull answered). */
  commitOffset: number | undefined;
  /** Orderly: failed attempts of the batch at the head since the queue last moved on (0 while it is not failing). */
  headFailures: number;
  /** Orderly: when the batch at the head first failed, ms since the epoch (undefined while it is not failing). */
  failingSince: number | undefined;
}

export function queueKey(q: { topic: string; brokerName: string; queueId: number }): string {
  return `${q.topic}/${q.brokerName}/${q.queueId}`;
}

/** Tracks a piece of consumption so that giving up the queue can wait for it. */
export function track(state: QueueState, work: Promise<void>): void {
  state.inflight.add(work);
  work.finally(() => state.inflight.delete(work)).catch(() => {});
}

/** Runs `fn` after `ms` unless the queue is given up first. */
export function later(state: QueueState, ms: number, fn: () => void): void {
  if (state.stopped) return;
  const timer = setTimeout(() => {
    state.timers.delete(timer);
    if (!state.stopped) fn();
  }, ms);
  state.timers.add(timer);
}

/** Info passed to `onError` with each failure. */
export interface ErrorInfo {
  /** What failed: a handler, or one of the consumer's calls to the server. */
  kind: 'handler' | 'pull' | 'heartbeat' | 'commit' | 'sendBack' | 'lock' | 'unlock' | 'leave' | 'dropped';
  queue?: AssignedQueue;
  messages?: ConsumedMessage[];
}

/** What the consume services need from the consumer. */
export interface ConsumeContext {
  /** Runs the user's handler (or the iterator) on a batch; resolves on success. */
  handle(messages: ConsumedMessage[]): Promise<void>;
  /** Bounds the handlers running at once, over all queues. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Sends a failed message to the retry topic (delayLevel 0: the default delay) or, with -1, to the DLQ. */
  sendBack(message: ConsumedMessage, delayLevel: number): Promise<void>;
  onError(err: unknown, info: ErrorInfo): void;
  /** Failures after which a message is dead-lettered (orderly) or dropped (broadcasting): the limit in force, Infinity for none. */
  maxReconsumeTimes(): number;
  /** Counts handled messages, for {@link ConsumerStats}. */
  readonly counts: { ok: number; failed: number };
  /** BROADCASTING has no retry topic: failed messages are retried in place. */
  broadcasting(): boolean;
  /** Orderly: whether a batch of the queue may start now (BROADCASTING: always; CLUSTERING: while the consumer may trust its lock). */
  lockTrusted(state: QueueState): boolean;
  /** Orderly: renews the queue's lock now (RocketMQ's tryLockLaterAndReconsume); resolves whether a batch may start afterwards. */
  relock(state: QueueState): Promise<boolean>;
  /** Messages per handler call. */
  readonly batchSize: number;
  /** Pause before a failed message is consumed again in place, ms. */
  readonly suspendMs: number;
}
