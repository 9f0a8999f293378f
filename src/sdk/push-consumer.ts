/**
 * The push consumer, as RocketMQ's DefaultMQPushConsumer over HTTP: it joins
 * its group, heartbeats, long-polls every queue assigned to it (one loop per
 * queue), hands messages to your handler (`run({ eachMessage })` or
 * `run({ eachBatch })`) or to an async iterator with explicit ack, commits
 * the lowest unprocessed offset of each queue, sends failed messages back for
 * retry, follows rebalances, and on stop() finishes what it started, commits,
 * releases its queue locks and leaves the group.
 */
import { ConcurrentConsumeService } from './consume-concurrently';
import { OrderlyConsumeService } from './consume-orderly';
import { ConsumedMessage } from './consumed-message';
import { GroupConsumer, type BaseQueueState } from './consumer-base';
import { CONSUMER_DEFAULTS, type ConsumerOptions } from './consumer-options';
import { FlaremqError } from './errors';
import type { HeartbeatRequest } from './group-api';
import { path, type Http } from './http';
import { Limiter } from './limiter';
import { MessageStream } from './message-stream';
import type { MessageView } from './message';
import { reconsumeLimit } from '../core/group-config';
import { queueKey, type ConsumeContext, type ConsumerStats, type QueueState } from './queue-state';
import type { RetryOptions } from './retry';
import { sendBack } from './send-back';
import type { Assignment } from './types';

export interface PushConsumerOptions extends ConsumerOptions {
  /**
   * Orderly consumption: each queue one batch at a time, in offset order, a
   * failed message retried in place (never reordered): until it succeeds by
   * default, or dead-lettered after maxReconsumeTimes when the group sets a
   * limit. Group config, sent with heartbeats when set.
   * @defaultValue the group's (false for a new group)
   */
  orderly?: boolean;
  /**
   * Handlers running at once, over all queues (in orderly mode, at most one per queue).
   * With the async iterator: messages handed out (or waiting to be) and not yet acked.
   * @defaultValue 16
   */
  concurrency?: number;
  /**
   * Most messages per `eachBatch` call (a batch never mixes queues). `eachMessage` gets one at a time.
   * @defaultValue 32
   */
  maxBatchSize?: number;
  /**
   * Pause before a failed message is consumed again in place (orderly mode;
   * BROADCASTING; or when sending it back for retry failed), ms.
   * @defaultValue 1000
   */
  suspendMs?: number;
  /**
   * How long stop(), or giving a queue up in a rebalance, waits for handlers
   * in flight before committing without them (their messages are delivered again), ms.
   * @defaultValue 30000
   */
  shutdownTimeoutMs?: number;
  /**
   * Orderly, CLUSTERING: how long after sending the request that took or
   * renewed a queue's lock the consumer still starts batches of that queue
   * (RocketMQ's ProcessQueue.REBALANCE_LOCK_MAX_LIVE_TIME). The server's lock
   * lasts 60 s from that request: the rest is the safety margin for a batch
   * that starts just before, and for clocks. Never beyond the server's answer.
   * @defaultValue 30000
   */
  lockMaxLiveMs?: number;
  /**
   * CLUSTERING: how often the consumer renews the locks of the queues it
   * consumes in order, and of queues it gave up while a handler still runs on
   * them (RocketMQ's ProcessQueue.REBALANCE_LOCK_INTERVAL, RebalanceImpl.lockAll).
   * @defaultValue 20000
   */
  lockRenewIntervalMs?: number;
}

export const PUSH_CONSUMER_DEFAULTS = {
  concurrency: 16,
  maxBatchSize: 32,
  suspendMs: 1_000,
  shutdownTimeoutMs: 30_000,
  lockMaxLiveMs: 30_000,
  lockRenewIntervalMs: CONSUMER_DEFAULTS.lockRenewMs,
} as const;

/** The handler: one of the two. Returning is success; throwing (or ReconsumeLater) asks for a retry. */
export type RunOptions =
  | { eachMessage: (message: ConsumedMessage) => unknown; eachBatch?: undefined }
  | { eachBatch: (messages: ConsumedMessage[]) => unknown; eachMessage?: undefined };

export class PushConsumer extends GroupConsumer<ConsumedMessage, QueueState> implements AsyncIterable<ConsumedMessage> {
  declare protected readonly options: PushConsumerOptions;
  private readonly limiter: Limiter;
  private handler: ((messages: ConsumedMessage[]) => Promise<void>) | undefined;
  private stream: MessageStream | undefined;
  private service: ConcurrentConsumeService | OrderlyConsumeService | undefined;
  private ctx: ConsumeContext | undefined;
  /** The retry limit in force, fixed on joining (Infinity: none). */
  private reconsumeLimit = reconsumeLimit(CONSUMER_DEFAULTS.maxReconsumeTimes, false);
  private readonly counts = { ok: 0, failed: 0 };
  private starting: Promise<void> | undefined;
  private readonly lockMaxLiveMs: number;

  /** Made by {@link Client.pushConsumer}. */
  constructor(http: Http, clientRetry: RetryOptions | undefined, options: PushConsumerOptions) {
    super(http, clientRetry, options);
    this.limiter = new Limiter(options.concurrency ?? PUSH_CONSUMER_DEFAULTS.concurrency);
    this.lockMaxLiveMs = positiveMs(options.lockMaxLiveMs, 'lockMaxLiveMs') ?? PUSH_CONSUMER_DEFAULTS.lockMaxLiveMs;
    positiveMs(options.lockRenewIntervalMs, 'lockRenewIntervalMs');
  }

  /**
   * Starts consuming with a handler: resolves once the consumer joined the
   * group and started pulling its queues; rejects if it could not join.
   */
  async run(options: RunOptions): Promise<void> {
    const { eachMessage, eachBatch } = options ?? {};
    if ((eachMessage === undefined) === (eachBatch === undefined)) {
      throw new FlaremqError('INVALID_REQUEST', 'run() takes exactly one of eachMessage and eachBatch');
    }
    if (this.handler)
      throw new FlaremqError('INVALID_REQUEST', 'the consumer already has a handler (run) or an iterator');
    this.handler = eachMessage
      ? async (ms) => void (await eachMessage(ms[0]))
      : async (ms) => void (await eachBatch!(ms));
    await (this.starting = this.start(
      eachMessage ? 1 : (this.options.maxBatchSize ?? PUSH_CONSUMER_DEFAULTS.maxBatchSize),
    ));
  }

  /**
   * Consumption as an async iterator: `for await (const m of consumer.messages()) { ...; m.ack() }`
   * (or iterate the consumer itself). Joins the group on first use (await
   * {@link ready} to know when it did). Each message holds a handler slot (see
   * `concurrency`) until it is acked or nacked; leaving the loop stops the
   * consumer, and the loop ends when the consumer stops.
   */
  messages(): MessageStream {
    if (this.stream) return this.stream;
    if (this.handler)
      throw new FlaremqError(
        'INVALID_REQUEST',
        'the consumer already runs a handler; iterate a consumer without run()',
      );
    const stream = new MessageStream(() => this.stop());
    this.stream = stream;
    this.handler = (ms) => stream.handle(ms[0]);
    this.starting = this.start(1);
    this.starting.catch((err) => stream.fail(err));
    return stream;
  }

  [Symbol.asyncIterator](): MessageStream {
    return this.messages();
  }

  /**
   * Resolves once the consumer joined its group and started pulling; in
   * iterator mode, starts it if no loop did yet.
   */
  async ready(): Promise<void> {
    if (!this.starting) this.messages();
    await this.starting;
  }

  private async start(batchSize: number): Promise<void> {
    this.ctx = {
      handle: (ms) => this.handler!(ms),
      run: (task) => this.limiter.run(task),
      sendBack: async (m, delayLevel) => {
        const answer = await sendBack(this.api, m, delayLevel, this.retry);
        // The first send-back creates the retry topic: heartbeat now for its queues, not at the next beat (up to 30 s).
        if (answer.status === 'RETRY' && !this.member.assignment?.queues.some((q) => q.topic === answer.topic))
          this.member.refresh();
      },
      onError: this.onError,
      maxReconsumeTimes: () => this.reconsumeLimit,
      counts: this.counts,
      broadcasting: () => this.messageModel === 'BROADCASTING',
      lockTrusted: (state) => this.messageModel === 'BROADCASTING' || state.pq.lockTrusted(this.lockMaxLiveMs),
      relock: async (state) =>
        this.lockKeeper ? (await this.lockKeeper.renew(state)) && state.pq.lockTrusted(this.lockMaxLiveMs) : false,
      batchSize,
      suspendMs: this.options.suspendMs ?? PUSH_CONSUMER_DEFAULTS.suspendMs,
    };
    await this.join();
  }

  protected override heartbeatExtras(): Partial<HeartbeatRequest> {
    return this.options.orderly === undefined ? {} : { consumeOrderly: this.options.orderly };
  }

  /** Fixes the consume mode on joining: the options win, else the group's config. */
  protected override async onJoined(a: Assignment): Promise<void> {
    await super.onJoined(a);
    const orderly = this.options.orderly ?? a.consumeOrderly;
    let maxReconsumeTimes = this.options.maxReconsumeTimes ?? a.maxReconsumeTimes;
    if (maxReconsumeTimes === undefined && (orderly || this.messageModel === 'BROADCASTING')) {
      // Retried in place here, so the count is the consumer's: read the group's limit once.
      try {
        const info = await this.api.http.get<{ config?: { maxReconsumeTimes?: number } }>(path`/groups/${this.group}`);
        if (typeof info.config?.maxReconsumeTimes === 'number') maxReconsumeTimes = info.config.maxReconsumeTimes;
      } catch (err) {
        this.onError(err, { kind: 'heartbeat' });
      }
    }
    this.reconsumeLimit = reconsumeLimit(maxReconsumeTimes ?? CONSUMER_DEFAULTS.maxReconsumeTimes, orderly);
    this.service = orderly ? new OrderlyConsumeService(this.ctx!) : new ConcurrentConsumeService(this.ctx!);
    if (this.messageModel === 'CLUSTERING')
      this.keepLocks(this.options.lockRenewIntervalMs ?? PUSH_CONSUMER_DEFAULTS.lockRenewIntervalMs, orderly);
  }

  protected wrap(view: MessageView): ConsumedMessage {
    return new ConsumedMessage(view);
  }

  protected extend(base: BaseQueueState<ConsumedMessage>): QueueState {
    return {
      ...base,
      inflight: new Set(),
      timers: new Set(),
      orderlyRunning: false,
      headFailures: 0,
      failingSince: undefined,
    };
  }

  /**
   * Consumption figures: messages handled and failed since the start, and per
   * assigned queue what is pending, the offset it commits, and (orderly) how
   * long its head has been failing. A head retried in place shows here and in
   * the group's lag (`admin().groups.lag`, `flaremq_group_lag` on /metrics).
   */
  stats(): ConsumerStats {
    return {
      consumeOk: this.counts.ok,
      consumeFailed: this.counts.failed,
      queues: [...this.states.values()].map((s) => ({
        queue: { ...s.queue },
        pending: s.pq.size,
        commitOffset: s.pq.commitOffset,
        headFailures: s.headFailures,
        failingSince: s.failingSince,
      })),
    };
  }

  protected deliver(state: QueueState, messages: ConsumedMessage[]): void {
    if (this.service instanceof OrderlyConsumeService) this.service.submit(state);
    else this.service?.submit(state, messages);
  }

  protected override halt(state: QueueState): void {
    super.halt(state);
    for (const timer of state.timers) clearTimeout(timer);
    state.timers.clear();
    this.stream?.abandonBuffered((m) => queueKey(m.queue) === state.key);
  }

  /** Waits for the consumption in flight on these queues, at most shutdownTimeoutMs; then abandons iterator deliveries still out. */
  protected async settle(states: QueueState[]): Promise<void> {
    const deadline = Date.now() + (this.options.shutdownTimeoutMs ?? PUSH_CONSUMER_DEFAULTS.shutdownTimeoutMs);
    for (;;) {
      const pending = states.flatMap((s) => [...s.inflight]);
      if (pending.length === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.allSettled(pending), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      if (timer !== undefined) clearTimeout(timer);
    }
    const keys = new Set(states.map((s) => s.key));
    this.stream?.abandon((m) => keys.has(queueKey(m.queue)));
  }

  protected override stillConsuming(state: QueueState): Promise<void> | undefined {
    if (state.inflight.size === 0) return undefined;
    return (async () => {
      while (state.inflight.size > 0) await Promise.allSettled([...state.inflight]);
    })();
  }

  protected override beforeDrain(): void {
    this.stream?.stopAccepting();
  }

  protected override afterSettle(): void {
    this.stream?.abandon();
  }

  protected override afterStop(): void {
    this.stream?.close();
  }
}

function positiveMs(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value > 0))
    throw new FlaremqError('INVALID_REQUEST', `${name} must be a number of milliseconds > 0`);
  return value;
}
