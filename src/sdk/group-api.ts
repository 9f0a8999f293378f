/**
 * The consumer-group protocol of docs/consuming.md, one method per endpoint,
 * for one member of one group. The consumers build on it; nothing here keeps
 * state or retries.
 */
import type { Http } from './http';
import { path } from './http';
import type { StreamSocket } from './stream-socket';
import type { WireMessage } from './message';
import type { AssignedQueue, Assignment } from './types';
import type { components } from './wire';

type Schemas = components['schemas'];

export type HeartbeatRequest = Schemas['HeartbeatRequest'];

export interface MemberPullOptions {
  /** Where to read from; omitted, the server starts at the committed offset (or consumeFromWhere). */
  offset?: number;
  maxMessages: number;
  waitMs: number;
  /** Committed before reading, in the same call. */
  commitOffset?: number;
  /** The generation `commitOffset` belongs to: refused with GENERATION_STALE after a reset. */
  generation?: number;
}

export type MemberPullAnswer = Schemas['MemberPullResult'];

/**
 * A queue lock taken or renewed for this member: when it expires by the
 * server's clock, and how long it lasts from when the server took the request
 * (add it to the time the request was sent: a bound whatever the clocks say).
 */
export type LockGrant = Schemas['LockGrant'];

/** The answer to a lock renewal: `locked` false when the lock is another member's or was released. */
export type LockRenewal = Schemas['LockRenewed'];

/** Where a failed message went: the retry topic (RETRY) or the dead-letter topic (DLQ). */
export type RetryAnswer = Schemas['RetryResult'];

/** A consumer's copy of a failed message, sent back when the server cannot read the original. */
export type MessageCopy = WireMessage & { reconsumeTimes: number };

/** Time given to a long poll beyond its waitMs before the request counts as timed out. */
export const LONG_POLL_GRACE_MS = 15_000;

export class GroupApi {
  readonly http: Http;
  readonly group: string;
  readonly clientId: string;

  constructor(http: Http, group: string, clientId: string) {
    this.http = http;
    this.group = group;
    this.clientId = clientId;
  }

  private get member(): string {
    return path`/groups/${this.group}/members/${this.clientId}`;
  }

  heartbeat(request: HeartbeatRequest, signal?: AbortSignal): Promise<Assignment> {
    return this.http.request('POST', `${this.member}/heartbeat`, { body: request, signal });
  }

  /** Leaves the group; with `releaseLocks` false the server keeps the member's queue locks (it releases them itself). */
  async leave(releaseLocks?: boolean, signal?: AbortSignal): Promise<void> {
    await this.http.request('DELETE', this.member, {
      query: { releaseLocks: releaseLocks === false ? false : undefined },
      signal,
    });
  }

  pull(
    queue: AssignedQueue,
    options: MemberPullOptions,
    signal?: AbortSignal,
    requestTimeoutMs?: number,
  ): Promise<MemberPullAnswer> {
    const p = `${this.member}${path`/queues/${queue.topic}/${queue.brokerName}/${queue.queueId}/messages`}`;
    return this.http.request('GET', p, {
      query: {
        offset: options.offset,
        maxMessages: options.maxMessages,
        waitMs: options.waitMs,
        commitOffset: options.commitOffset,
        generation: options.commitOffset === undefined ? undefined : options.generation,
      },
      signal,
      timeoutMs: options.waitMs + (requestTimeoutMs ?? LONG_POLL_GRACE_MS),
    });
  }

  /**
   * Opens the push stream of an assigned queue (docs/streaming.md): from `offset`, or the committed offset
   * (after committing `commitOffset` for `generation`); taking the queue lock as a pull does.
   */
  stream(
    queue: AssignedQueue,
    options: Pick<MemberPullOptions, 'offset' | 'commitOffset' | 'generation'>,
    signal?: AbortSignal,
  ): Promise<StreamSocket> {
    const p = `${this.member}${path`/queues/${queue.topic}/${queue.brokerName}/${queue.queueId}/stream`}`;
    const generation = options.commitOffset === undefined ? undefined : options.generation;
    // Binary frames: bodies as stored, without base64 or JSON escaping (docs/streaming.md).
    return this.http.socket(
      p,
      { offset: options.offset, commitOffset: options.commitOffset, generation, frames: 'binary' },
      signal,
    );
  }

  /** Commits offsets of one topic; with `generation`, refused with GENERATION_STALE if the group's offsets were reset since. */
  async commit(
    topic: string,
    offsets: Schemas['OffsetCommit'][],
    generation?: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.http.request('PUT', `${this.member}/offsets`, {
      body: { topic, offsets, generation } satisfies Schemas['MemberCommitRequest'],
      signal,
    });
  }

  /** Renews this member's lock on a queue while the lock names it (assigned or not); never takes one. */
  renewLock(queue: AssignedQueue, signal?: AbortSignal): Promise<LockRenewal> {
    return this.http.request(
      'PUT',
      `${this.member}${path`/queues/${queue.topic}/${queue.brokerName}/${queue.queueId}/lock`}`,
      { signal },
    );
  }

  async unlock(queue: AssignedQueue, signal?: AbortSignal): Promise<void> {
    await this.http.request(
      'DELETE',
      `${this.member}${path`/queues/${queue.topic}/${queue.brokerName}/${queue.queueId}/lock`}`,
      { signal },
    );
  }

  /**
   * Sends a failed message back: to %RETRY%group with a delay, or with
   * delayLevel -1 straight to the DLQ. With `copy` (the message as this
   * consumer holds it), the server sends the copy when it cannot read the original.
   */
  retry(msgId: string, delayLevel: number, copy?: MessageCopy, signal?: AbortSignal): Promise<RetryAnswer> {
    return this.http.request('POST', path`/groups/${this.group}/retry`, {
      body: { msgId, delayLevel, message: copy } satisfies Schemas['RetryRequest'],
      signal,
    });
  }
}
