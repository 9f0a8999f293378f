/** Options shared by the push and pull consumers, with their defaults in one place. */
import { hasCode, isRetriable } from './errors';
import { retryOptions, type RetryOptions } from './retry';
import type { ErrorInfo } from './queue-state';
import type { AllocateStrategy, ConsumeFromWhere, MessageModel } from './types';

export interface ConsumerOptions {
  /** The consumer group (`^[%|a-zA-Z0-9_-]+$`, at most 120 characters). */
  group: string;
  /**
   * This consumer instance's id in the group (`^[a-zA-Z0-9_.:@-]{1,128}$`).
   * @defaultValue `flaremq-sdk@` followed by 16 random hex digits
   */
  clientId?: string;
  /**
   * This consumer's stable identity (RocketMQ's instanceName), the same
   * pattern as clientId. In BROADCASTING the server keeps this consumer's
   * offsets under it (`group#instanceName`), so a process that restarts with
   * the same instanceName resumes where it stopped and gets what was sent
   * while it was down. Processes running at the same time with the same
   * instanceName share those offsets: give each its own (a port, a pod or
   * StatefulSet ordinal, a Durable Object's id). Offsets of an instance that
   * stays away longer than BROADCAST_OFFSET_EXPIRY_MS (7 days) expire.
   * Unused in CLUSTERING, where the group's offsets are shared.
   * @defaultValue the clientId when one is given; else the host's name (Node,
   * Bun, Deno; with `:NODE_APP_INSTANCE` under pm2), an id kept in
   * localStorage (browsers), or a random id per process (a Worker isolate, or
   * a host named `localhost`: set it to resume there), followed by `:2`,
   * `:3`… for further consumers of the same group running in one process
   */
  instanceName?: string;
  /**
   * Group config, sent with every heartbeat only when set: a value that
   * differs from the group's while other members are alive fails with
   * GROUP_CONFIG_CONFLICT. Unset, the consumer follows the group.
   * @defaultValue the group's (CLUSTERING for a new group)
   */
  messageModel?: MessageModel;
  /** Group config (see messageModel). @defaultValue the group's (AVG for a new group) */
  allocateStrategy?: AllocateStrategy;
  /** Group config (see messageModel). @defaultValue the group's (CONSUME_FROM_LAST_OFFSET for a new group) */
  consumeFromWhere?: ConsumeFromWhere;
  /** Group config, for CONSUME_FROM_TIMESTAMP (ms or a Date). @defaultValue the group's (half an hour before it was created) */
  consumeTimestamp?: number | Date;
  /**
   * Group config: failures after which a message goes to the DLQ (0 to 100),
   * or -1 for RocketMQ's default: 16 in concurrent mode, no limit in orderly
   * mode (the head of a queue is retried in place until it succeeds).
   * @defaultValue the group's (-1 for a new group)
   */
  maxReconsumeTimes?: number;
  /**
   * Messages asked for per pull (1 to 1000).
   * @defaultValue 32
   */
  pullBatchSize?: number;
  /**
   * Long-polling wait of a pull when the queue has nothing new, ms (0 to 15000).
   * A rebalance is noticed when a pull answers, so shorter waits notice sooner.
   * @defaultValue 10000
   */
  pullWaitMs?: number;
  /**
   * Pulling a queue pauses while this many of its messages are unprocessed
   * (RocketMQ's pullThresholdForQueue).
   * @defaultValue 1000
   */
  maxCachedMessagesPerQueue?: number;
  /**
   * How often processed offsets are committed, ms. They are also committed
   * with the next pull of their queue, on losing a queue, and on stop().
   * @defaultValue 5000
   */
  autoCommitIntervalMs?: number;
  /**
   * Backoff after a failed pull (QUEUE_LOCKED during a rebalance included);
   * `retries` is ignored: pulling never gives up.
   * @defaultValue `{ initialDelayMs: 250, multiplier: 2, maxDelayMs: 3000, jitter: 0.2 }`
   */
  pullBackoff?: RetryOptions;
  /**
   * Retries of heartbeats, commits, send-backs, unlocks and leaving.
   * @defaultValue the client's `retry`
   */
  retry?: RetryOptions;
  /**
   * Called with every failure the consumer works around (a handler that
   * threw, a pull, heartbeat or commit that failed). It must not throw.
   * @defaultValue logs with console.warn
   */
  onError?: (err: unknown, info: ErrorInfo) => void;
}

export const CONSUMER_DEFAULTS = {
  pullBatchSize: 32,
  pullWaitMs: 10_000,
  maxCachedMessagesPerQueue: 1000,
  autoCommitIntervalMs: 5_000,
  pullBackoff: { initialDelayMs: 250, multiplier: 2, maxDelayMs: 3_000, jitter: 0.2 } satisfies RetryOptions,
  /** While pulling is paused, a one-message pull this often keeps the queue's 60 s lock (RocketMQ relocks every 20 s). */
  lockRenewMs: 20_000,
  /** maxReconsumeTimes when neither the options nor the group say: RocketMQ's -1 (16, or no limit in orderly mode). */
  maxReconsumeTimes: -1,
} as const;

export function defaultOnError(err: unknown, info: ErrorInfo): void {
  const where = info.queue ? ` (${info.queue.topic}/${info.queue.brokerName}/${info.queue.queueId})` : '';
  console.warn(`[flaremq] ${info.kind} failed${where}:`, err);
}

/**
 * The consumers' retry policy: the client's or the consumer's, except that
 * the group protocol's 409s (not a member, queue not assigned, queue locked)
 * are not retried unchanged: they call for a heartbeat or a wait instead.
 */
export function consumerRetry(...sources: (RetryOptions | undefined)[]): Required<RetryOptions> {
  const base = retryOptions(...sources);
  const protocol = (err: unknown) =>
    hasCode(err, 'MEMBER_NOT_FOUND') || hasCode(err, 'QUEUE_NOT_ASSIGNED') || hasCode(err, 'QUEUE_LOCKED');
  const retryIf = base.retryIf;
  return { ...base, retryIf: (err, attempt) => !protocol(err) && (retryIf ?? isRetriable)(err, attempt) };
}
