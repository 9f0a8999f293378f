/**
 * Membership of a consumer group: the heartbeat loop, at the interval the
 * server answers, and the assignment it returns. A new assignment (another
 * generation) is handed to `onAssignment`, one at a time and in order; a
 * rebalance noticed elsewhere (a pull's generation, QUEUE_NOT_ASSIGNED) asks
 * for an early heartbeat with {@link GroupMember.refresh}.
 */
import { isAborted } from './errors';
import type { GroupApi, HeartbeatRequest } from './group-api';
import { retryDelay, withRetry, type RetryOptions } from './retry';
import type { Assignment } from './types';

export interface MemberHooks {
  /** The request each heartbeat sends (subscriptions may change between beats). */
  request(): HeartbeatRequest;
  /** A new assignment; heartbeats wait for it to return before applying the next one. */
  onAssignment(assignment: Assignment, previous: Assignment | undefined): void | Promise<void>;
  /** A heartbeat that failed after the member joined (it keeps beating). */
  onError(err: unknown): void;
}

/** Heartbeat interval used until the server says otherwise, RocketMQ's 30 s. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

export class GroupMember {
  readonly api: GroupApi;
  private readonly hooks: MemberHooks;
  private readonly retry: RetryOptions;
  private current: Assignment | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private beating: Promise<Assignment> | undefined;
  private again = false;
  private failures = 0;
  private stopped = false;

  /**
   * @param maxIntervalMs heartbeat at least this often, whatever the server's interval: a member whose queues
   * stream gets no pull answers, which tell a pulling member of a rebalance (consumer-base.ts).
   */
  constructor(
    api: GroupApi,
    hooks: MemberHooks,
    retry: RetryOptions,
    private readonly maxIntervalMs = Infinity,
  ) {
    this.api = api;
    this.hooks = hooks;
    this.retry = retry;
  }

  get assignment(): Assignment | undefined {
    return this.current;
  }

  get generation(): number {
    return this.current?.generation ?? -1;
  }

  /** The first heartbeat: resolves with the assignment once applied, or rejects (the member did not join). */
  join(): Promise<Assignment> {
    return withRetry(() => this.beat(), this.retry);
  }

  /** Heartbeats as soon as possible (coalesced with one in flight). */
  refresh(): void {
    if (this.stopped) return;
    if (this.beating) this.again = true;
    else this.beat().catch(() => {}); // reported through onError
  }

  /** A heartbeat sent after this call (not one already in flight, whose answer may predate what the caller learned). */
  async beatFresh(): Promise<Assignment> {
    await this.beating?.catch(() => {});
    return this.beat();
  }

  /** Heartbeats now unless one is in flight, then re-arms the timer. */
  beat(): Promise<Assignment> {
    this.beating ??= this.beatOnce().finally(() => {
      this.beating = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.beat().catch(() => {});
      }
    });
    return this.beating;
  }

  private async beatOnce(): Promise<Assignment> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    try {
      const assignment = await this.api.heartbeat(this.hooks.request());
      this.failures = 0;
      const previous = this.current;
      if (!previous || assignment.generation !== previous.generation || !sameQueues(previous, assignment)) {
        this.current = assignment;
        await this.hooks.onAssignment(assignment, previous);
      } else {
        this.current = assignment;
      }
      this.schedule(Math.min(assignment.heartbeatIntervalMs || DEFAULT_HEARTBEAT_INTERVAL_MS, this.maxIntervalMs));
      return assignment;
    } catch (err) {
      if (this.current && !isAborted(err)) {
        this.failures++;
        this.hooks.onError(err);
        this.schedule(
          Math.min(
            retryDelay(this.failures, this.retry),
            this.current.heartbeatIntervalMs || DEFAULT_HEARTBEAT_INTERVAL_MS,
          ),
        );
      }
      throw err;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.beat().catch(() => {}), ms);
  }

  /** Stops heartbeating and waits for a heartbeat in flight (and its assignment) to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.again = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.beating?.catch(() => {});
  }

  /**
   * Stops heartbeating and leaves the group (the server rebalances at once and,
   * unless `releaseLocks` is false, releases the member's locks).
   */
  async leave(options: { releaseLocks?: boolean; retry?: RetryOptions } = {}): Promise<void> {
    await this.stop();
    if (this.current) await withRetry(() => this.api.leave(options.releaseLocks), options.retry ?? this.retry);
  }
}

function sameQueues(a: Assignment, b: Assignment): boolean {
  const key = (q: Assignment['queues'][number]) =>
    `${q.topic}\u0000${q.brokerName}\u0000${q.queueId}\u0000${q.expression}`;
  const left = new Set(a.queues.map(key));
  return a.queues.length === b.queues.length && b.queues.every((q) => left.has(key(q)));
}
