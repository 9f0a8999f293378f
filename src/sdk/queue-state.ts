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
  kind: 'handler' | 'pull' | 'heartbeat' | 'commit' | 'sendBack' | 'unlock' | 'leave' | 'dropped';
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
  /** Failures after which a message is dead-lettered (orderly) or dropped (broadcasting). */
  maxReconsumeTimes(): number;
  /** BROADCASTING has no retry topic: failed messages are retried in place. */
  broadcasting(): boolean;
  /** Messages per handler call. */
  readonly batchSize: number;
  /** Pause before a failed message is consumed again in place, ms. */
  readonly suspendMs: number;
}
