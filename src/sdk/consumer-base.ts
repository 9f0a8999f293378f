/**
 * What the push and pull consumers share: joining the group and following
 * its assignment (one pull loop and process queue per assigned queue),
 * committing, giving queues up in a rebalance (finish, commit, unlock),
 * reloading a queue after an offset reset, and the orderly shutdown.
 */
import { isValidClientId, newClientId } from './client-id';
import { commitAll } from './committer';
import { CONSUMER_DEFAULTS, consumerRetry, defaultOnError, type ConsumerOptions } from './consumer-options';
import { FlaremqError } from './errors';
import { GroupApi, type HeartbeatRequest } from './group-api';
import type { Http } from './http';
import { claimInstanceName } from './instance-name';
import { LockKeeper } from './lock-keeper';
import { GroupMember } from './member';
import type { Message, MessageView } from './message';
import { ProcessQueue } from './process-queue';
import { QueuePuller } from './queue-puller';
import { queueKey, type ErrorInfo } from './queue-state';
import { withRetry, type RetryOptions } from './retry';
import type { AssignedQueue, Assignment, MessageModel } from './types';

/** Per assigned queue: its process queue and pull loop. */
export interface BaseQueueState<M extends Message> {
  readonly key: string;
  readonly queue: AssignedQueue;
  readonly pq: ProcessQueue<M>;
  readonly puller: QueuePuller<M>;
  /** Aborted when the queue is given up: cuts waits short. */
  readonly abort: AbortController;
  /** No new consumption starts once set. */
  stopped: boolean;
}

export type ConsumerStatus = 'idle' | 'running' | 'stopping' | 'stopped';

export abstract class GroupConsumer<M extends Message, S extends BaseQueueState<M>> {
  readonly group: string;
  readonly clientId: string;
  /** The stable identity whose offsets this consumer uses in BROADCASTING (see ConsumerOptions.instanceName). */
  readonly instanceName: string;
  protected readonly options: ConsumerOptions;
  protected readonly retry: Required<RetryOptions>;
  protected readonly api: GroupApi;
  protected readonly member: GroupMember;
  protected readonly states = new Map<string, S>();
  protected status: ConsumerStatus = 'idle';
  protected messageModel: MessageModel = 'CLUSTERING';
  protected readonly onError: (err: unknown, info: ErrorInfo) => void;
  private readonly subscriptions = new Map<string, string>();
  /** Queues being given up or reloaded, by key: a new pull loop of the same queue waits for them. */
  private readonly giving = new Map<string, Promise<void>>();
  /** Queues being given up (or reloaded) whose consumption has not ended: their locks are kept until it does. */
  private readonly lingering = new Set<S>();
  /** CLUSTERING consumers that keep their locks (see {@link keepLocks}). */
  protected lockKeeper: LockKeeper | undefined;
  private commitTimer: ReturnType<typeof setTimeout> | undefined;
  private stopping: Promise<void> | undefined;
  /** Frees this consumer's default instance name for the next consumer of the group in this process. */
  private readonly releaseInstanceName: () => void = () => {};

  constructor(http: Http, clientRetry: RetryOptions | undefined, options: ConsumerOptions) {
    if (!options || typeof options.group !== 'string')
      throw new FlaremqError('INVALID_GROUP_NAME', 'a consumer needs { group }');
    this.options = options;
    this.group = options.group;
    this.clientId = options.clientId ?? newClientId();
    if (options.instanceName !== undefined) {
      if (!isValidClientId(options.instanceName))
        throw new FlaremqError('INVALID_REQUEST', 'instanceName must be 1 to 128 letters, digits, or _ . : @ -');
      this.instanceName = options.instanceName;
    } else if (options.clientId !== undefined) {
      this.instanceName = options.clientId;
    } else {
      const claim = claimInstanceName(this.group);
      this.instanceName = claim.name;
      this.releaseInstanceName = claim.release;
    }
    this.retry = consumerRetry(clientRetry, options.retry);
    this.api = new GroupApi(http, this.group, this.clientId);
    this.onError = (err, info) => {
      try {
        (options.onError ?? defaultOnError)(err, info);
      } catch {
        // onError must not break the consumer
      }
    };
    this.member = new GroupMember(
      this.api,
      {
        request: () => this.heartbeatRequest(),
        onAssignment: (a, previous) => this.applyAssignment(a, previous),
        onError: (err) => this.onError(err, { kind: 'heartbeat' }),
      },
      this.retry,
      // Streamed queues answer no generation: a rebalance is heard of by heartbeats as soon as a pull would hear of it.
      http.transport === 'stream' ? (options.pullWaitMs ?? CONSUMER_DEFAULTS.pullWaitMs) : undefined,
    );
  }

  /** Makes a message from its wire form. */
  protected abstract wrap(view: MessageView): M;
  /** Adds the subclass's fields to a new queue state. */
  protected abstract extend(base: BaseQueueState<M>): S;
  /** New messages of a queue (already in its process queue). */
  protected abstract deliver(state: S, messages: M[]): void;
  /** Waits (bounded) for the work in flight on these queues. */
  protected abstract settle(states: S[]): Promise<void>;

  /** The first assignment arrived: fix the consume mode. */
  protected async onJoined(assignment: Assignment): Promise<void> {
    this.messageModel = assignment.messageModel;
  }

  /** Fields a subclass adds to every heartbeat (group config). */
  protected heartbeatExtras(): Partial<HeartbeatRequest> {
    return {};
  }

  /**
   * Consumption of this queue still running after {@link settle} gave up
   * waiting (a handler past shutdownTimeoutMs): settles when it ends; undefined
   * when none runs.
   */
  protected stillConsuming(_state: S): Promise<void> | undefined {
    return undefined;
  }

  /**
   * Renews queue locks every `intervalMs` (RocketMQ's lockAll): those of the
   * queues given up while a handler still runs on them, and with `assigned`
   * (orderly consumption) those of every assigned queue too.
   */
  protected keepLocks(intervalMs: number, assigned: boolean): void {
    if (this.lockKeeper) return;
    this.lockKeeper = new LockKeeper(
      this.api,
      intervalMs,
      () => (assigned ? [...this.states.values(), ...this.lingering] : this.lingering),
      (err, queue) => this.onError(err, { kind: 'lock', queue }),
    );
    this.lockKeeper.start();
  }

  /** Stops new work on a queue being given up. */
  protected halt(state: S): void {
    state.stopped = true;
    state.abort.abort();
  }

  /** Hooks of the shutdown. */
  protected beforeDrain(): void {}
  protected afterSettle(): void {}
  protected afterStop(): void {}

  /** Subscribes to a topic with a tag expression (`*`, or tags separated by `||`); when running, takes effect at once (a heartbeat). */
  subscribe(topic: string, expression = '*'): this {
    this.subscriptions.set(topic, expression);
    if (this.status === 'running') this.member.refresh();
    return this;
  }

  unsubscribe(topic: string): this {
    this.subscriptions.delete(topic);
    if (this.status === 'running') this.member.refresh();
    return this;
  }

  /** The queues this consumer owns now (the group's retry topic included). */
  assignment(): AssignedQueue[] {
    return [...this.states.values()].map((s) => ({ ...s.queue }));
  }

  /** The group generation this consumer follows (-1 before joining). */
  get generation(): number {
    return this.member.generation;
  }

  /** Joins the group and starts pulling the assigned queues; rejects (and stops) if it could not join. */
  protected async join(): Promise<void> {
    if (this.subscriptions.size === 0)
      throw new FlaremqError('INVALID_REQUEST', 'subscribe to at least one topic before starting the consumer');
    if (this.status !== 'idle')
      throw new FlaremqError('INVALID_REQUEST', `the consumer is ${this.status}; a consumer starts once`);
    this.status = 'running';
    try {
      await this.member.join();
    } catch (err) {
      this.status = 'stopped';
      this.lockKeeper?.stop();
      await this.member.stop();
      throw err;
    }
    this.scheduleCommit();
    // Ready once each queue has its start position (bounded: a queue still locked by its previous owner may take longer).
    const positioned = Promise.all([...this.states.values()].map((s) => s.puller.positioned));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      positioned,
      new Promise((resolve) => (timer = setTimeout(resolve, this.options.pullWaitMs ?? CONSUMER_DEFAULTS.pullWaitMs))),
    ]);
    if (timer !== undefined) clearTimeout(timer);
  }

  private heartbeatRequest(): HeartbeatRequest {
    const o = this.options;
    const request: HeartbeatRequest = {
      subscriptions: [...this.subscriptions].map(([topic, expression]) => ({ topic, expression })),
      instanceName: this.instanceName,
    };
    if (o.messageModel !== undefined) request.messageModel = o.messageModel;
    if (o.allocateStrategy !== undefined) request.allocateStrategy = o.allocateStrategy;
    if (o.consumeFromWhere !== undefined) request.consumeFromWhere = o.consumeFromWhere;
    if (o.consumeTimestamp !== undefined)
      request.consumeTimestamp = o.consumeTimestamp instanceof Date ? o.consumeTimestamp.getTime() : o.consumeTimestamp;
    if (o.maxReconsumeTimes !== undefined) request.maxReconsumeTimes = o.maxReconsumeTimes;
    return { ...request, ...this.heartbeatExtras() };
  }

  private async applyAssignment(a: Assignment, previous: Assignment | undefined): Promise<void> {
    if (this.status !== 'running') return;
    if (!previous) await this.onJoined(a);
    const wanted = new Map(a.queues.map((q) => [queueKey(q), q]));
    for (const [key, state] of this.states) {
      if (!wanted.has(key)) {
        this.states.delete(key);
        void this.handOver(state, this.finish(state, { commit: true, unlock: this.messageModel === 'CLUSTERING' })); // reports its own failure
      } else {
        state.pq.requestVerify(); // a new generation may come from an offset reset: the next commit tells
      }
    }
    for (const [key, q] of wanted) if (!this.states.has(key)) this.addQueue(q, a.generation);
  }

  private addQueue(queue: AssignedQueue, generation: number): void {
    const key = queueKey(queue);
    const pq = new ProcessQueue<M>(generation);
    const o = this.options;
    const puller = new QueuePuller<M>(
      this.api,
      queue,
      pq,
      {
        pullBatchSize: o.pullBatchSize ?? CONSUMER_DEFAULTS.pullBatchSize,
        pullWaitMs: o.pullWaitMs ?? CONSUMER_DEFAULTS.pullWaitMs,
        maxCachedMessages: o.maxCachedMessagesPerQueue ?? CONSUMER_DEFAULTS.maxCachedMessagesPerQueue,
        lockRenewMs: CONSUMER_DEFAULTS.lockRenewMs,
        backoff: { ...CONSUMER_DEFAULTS.pullBackoff, ...o.pullBackoff },
      },
      {
        wrap: (view) => this.wrap(view),
        deliver: (messages) => {
          if (!state.stopped && this.states.get(key) === state) this.deliver(state, messages);
        },
        onGeneration: (g) => {
          if (g > this.member.generation) this.member.refresh();
        },
        onNotAssigned: () => this.member.refresh(),
        onStale: () => this.reload(state),
        onError: (err) => this.onError(err, { kind: 'pull', queue }),
      },
    );
    const state: S = this.extend({ key, queue, pq, puller, abort: new AbortController(), stopped: false });
    this.states.set(key, state);
    puller.start(this.giving.get(key));
  }

  /**
   * The group's offsets were reset after this queue's generation: drop what it
   * holds in memory (no commit: it would undo the reset), heartbeat, and start
   * again from the committed offset.
   */
  private reload(state: S): void {
    if (this.states.get(state.key) !== state || this.status !== 'running') return;
    this.states.delete(state.key);
    const done = this.handOver(state, this.finish(state, { commit: false, unlock: false }));
    void (async () => {
      await done;
      await this.member.beatFresh().catch(() => {}); // reported through onError
      if (this.status !== 'running' || this.states.has(state.key)) return; // the new assignment added it back
      const queue = this.member.assignment?.queues.find((q) => queueKey(q) === state.key);
      // The reset's generation is above the stale one: never reuse a generation known to be stale.
      if (queue) this.addQueue(queue, Math.max(this.member.generation, state.pq.generation + 1));
    })();
  }

  /** Until `done` settles, a new pull loop of the same queue in this process waits. */
  private handOver(state: S, done: Promise<void>): Promise<void> {
    const settled = done.catch((err) => this.onError(err, { kind: 'commit', queue: state.queue }));
    this.giving.set(state.key, settled);
    void settled.finally(() => {
      if (this.giving.get(state.key) === settled) this.giving.delete(state.key);
    });
    return settled;
  }

  /** Stops a queue's pulling, waits for its work in flight, then commits and unlocks as asked. */
  private async finish(state: S, then: { commit: boolean; unlock: boolean }): Promise<void> {
    this.halt(state);
    this.lingering.add(state);
    try {
      await state.puller.stop();
      await this.settle([state]);
      if (then.commit) await this.commitStates([state]);
    } finally {
      if (then.unlock) await this.unlock([state]);
      else this.lingering.delete(state);
    }
  }

  /** Commits the queues that moved (or need a reset check); reloads those whose offsets were reset. */
  protected async commitStates(states: S[], rethrow = false): Promise<void> {
    const outcome = await commitAll(this.api, states, this.retry);
    for (const state of outcome.stale) if (!state.stopped) this.reload(state);
    if (rethrow && outcome.errors.length > 0) throw outcome.errors[0];
    for (const err of outcome.errors) this.onError(err, { kind: 'commit' });
  }

  /**
   * Releases the locks of queues given up. A queue whose handler still runs
   * keeps its lock until the handler ends, renewed meanwhile by the lock
   * keeper, so that the next owner cannot consume it at the same time
   * (RocketMQ's RebalancePushImpl.removeUnnecessaryMessageQueue does not
   * unlock while ProcessQueue.consumeLock is held, and the queue stays in the
   * processQueueTable that RebalanceImpl.lockAll renews).
   */
  private async unlock(states: S[]): Promise<void> {
    await Promise.all(
      states.map(async (s) => {
        const running = this.stillConsuming(s);
        if (running) {
          this.lingering.add(s);
          // Later, unless the queue came back to this consumer meanwhile (its new pulls hold the lock).
          void running.then(async () => {
            this.lingering.delete(s);
            if (!this.states.has(s.key)) await this.unlockNow(s);
            this.lingered();
          });
          return;
        }
        this.lingering.delete(s);
        await this.unlockNow(s);
      }),
    );
  }

  /** After stop(), once no given-up queue is still consumed: nothing is left to renew. */
  private lingered(): void {
    if (this.status === 'stopped' && this.lingering.size === 0) this.lockKeeper?.stop();
  }

  private async unlockNow(s: S): Promise<void> {
    try {
      await withRetry(() => this.api.unlock(s.queue), this.retry);
    } catch (err) {
      this.onError(err, { kind: 'unlock', queue: s.queue });
    }
  }

  private scheduleCommit(): void {
    if (this.status !== 'running') return;
    this.commitTimer = setTimeout(() => {
      this.commitStates([...this.states.values()])
        .catch((err) => this.onError(err, { kind: 'commit' }))
        .finally(() => this.scheduleCommit());
    }, this.options.autoCommitIntervalMs ?? CONSUMER_DEFAULTS.autoCommitIntervalMs);
  }

  /**
   * Graceful shutdown: stops pulling, waits for the work in flight, commits
   * what was processed, releases the queue locks and leaves the group (its
   * queues go to the other members at once). A queue whose handler is still
   * running then stays locked, its lock renewed, until that handler ends.
   * Idempotent.
   */
  stop(): Promise<void> {
    if (this.status === 'idle') {
      this.status = 'stopped';
      this.releaseInstanceName();
      this.afterStop();
      return Promise.resolve();
    }
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.status = 'stopping';
    if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
    await this.member.stop();
    this.beforeDrain();
    const states = [...this.states.values()];
    this.states.clear();
    for (const s of states) {
      this.halt(s);
      this.lingering.add(s);
    }
    await Promise.all(states.map((s) => s.puller.stop()));
    await this.settle(states);
    this.afterSettle();
    await this.commitStates(states);
    if (this.messageModel === 'CLUSTERING') await this.unlock(states);
    else for (const s of states) this.lingering.delete(s);
    await Promise.allSettled([...this.giving.values()]);
    try {
      // A queue whose handler still runs stays locked, renewed, until the handler ends: leaving must not release it.
      await this.member.leave({ releaseLocks: this.lingering.size === 0 });
    } catch (err) {
      this.onError(err, { kind: 'leave' });
    }
    this.status = 'stopped';
    this.lingered();
    this.releaseInstanceName();
    this.afterStop();
  }
}
