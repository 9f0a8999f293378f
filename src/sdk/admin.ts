/**
 * Administration, noun by noun as mqadmin's commands: topics, groups,
 * messages, dead letters, timers and the cluster; producer groups and
 * transactions (producer-groups-admin.ts). Reads and idempotent writes
 * retry retriable failures; a DLQ resend (which makes a new message) does not.
 */
import { decodeBody } from '../core/body';
import { path, type Http, type QueryValue } from './http';
import { Message, type MessageView } from './message';
import { ProducerGroupsAdmin, TransactionsAdmin } from './producer-groups-admin';
import { retryOptions, withRetry, type RetryOptions } from './retry';
import type { GroupConfig, QueueId } from './types';
import type { components } from './wire';

type Schemas = components['schemas'];

/** A topic's queue counts and perm, on the broker groups named (all by default). */
export type TopicSpec = Schemas['TopicSpec'];

/** A route with perm also spelled out. */
export type TopicRouteView = Schemas['TopicRouteView'];

export type QueueStatus = Schemas['QueueStatus'];

export type TopicStatus = Schemas['TopicStatus'];

/** A group's committed offset and lag on one queue. */
export type QueueOffset = Schemas['GroupOffsets']['offsets'][number];

export type GroupOffsets = Schemas['GroupOffsets'];

/** A group's committed offset and lag on one queue of a topic (in BROADCASTING, of one member). */
export type QueueLag = Schemas['GroupLag']['queues'][number];

export type GroupLag = Schemas['GroupLag'];

/** A live member of a group: its subscriptions and queues. */
export type GroupMemberInfo = Schemas['MemberStatus'];

/** A group as `GET /api/v1/groups/{group}` shows it. */
export type GroupInfo = Schemas['GroupStatus'];

/** What an offset reset or skip did (a reset also says the time it was to). */
export type OffsetsMoved = Schemas['OffsetsSkipped'] & Partial<Pick<Schemas['OffsetsReset'], 'timestamp'>>;

/** A pull of one queue, its messages as {@link Message}s. */
export type PullResult = Omit<Schemas['PullResult'], 'messages'> & { messages: Message[] };

export interface PullOptions {
  /** Offset to read from. */
  offset: number;
  /** @defaultValue 32 */
  maxMessages?: number;
  /** Long polling, ≤ 15000 ms. @defaultValue 0 */
  waitMs?: number;
  /** Tag expression. @defaultValue '*' */
  tags?: string;
}

export interface QueryByKeyOptions {
  /** Earliest store time, ms. @defaultValue 0 */
  begin?: number;
  /** Latest store time, ms. @defaultValue no limit */
  end?: number;
  /** 1 to 64. @defaultValue 64 */
  maxMessages?: number;
}

/** A dead letter sent back to its group: where the new message went (the group's retry topic). */
export type ResendResult = Schemas['DeadLetterResent'];

/** The group's newest dead letters, as {@link Message}s, and how many it holds. */
export type DlqList = Omit<Schemas['DeadLetters'], 'messages'> & { messages: Message[] };

/** A delayed message waiting for its time: its body as bytes, its keys as an array. */
export type PendingTimer = Omit<Schemas['TimerView'], 'body' | 'bodyEncoding' | 'keys'> & {
  keys: string[];
  body: Uint8Array;
  /** The body as UTF-8 text. */
  text(): string;
};

export type CancelledTimer = Schemas['TimerCancelled'];

const messages = (views: MessageView[]) => views.map((v) => new Message(v));

class Section {
  protected readonly http: Http;
  protected readonly retry: Required<RetryOptions>;

  constructor(http: Http, retry: Required<RetryOptions>) {
    this.http = http;
    this.retry = retry;
  }

  protected call<T>(
    method: string,
    p: string,
    options: { query?: Record<string, QueryValue>; body?: unknown } = {},
  ): Promise<T> {
    return withRetry(() => this.http.request<T>(method, p, options), this.retry);
  }
}

export class TopicsAdmin extends Section {
  /** Every topic some live broker group hosts, sorted. */
  async list(): Promise<string[]> {
    return (await this.call<Schemas['TopicList']>('GET', '/topics')).topics;
  }

  /** Creates the topic, or updates its counts and perm; returns the new route. */
  createOrUpdate(topic: string, spec: TopicSpec = {}): Promise<TopicRouteView> {
    return this.call('PUT', path`/topics/${topic}`, { body: spec });
  }

  /** Same as {@link createOrUpdate}. */
  create(topic: string, spec: TopicSpec = {}): Promise<TopicRouteView> {
    return this.createOrUpdate(topic, spec);
  }

  /** Same as {@link createOrUpdate}. */
  update(topic: string, spec: TopicSpec): Promise<TopicRouteView> {
    return this.createOrUpdate(topic, spec);
  }

  /** Deletes the topic with its messages and offsets. TOPIC_NOT_EXIST if no broker hosts it. */
  async delete(topic: string): Promise<void> {
    await this.call('DELETE', path`/topics/${topic}`);
  }

  /** The topic's route, always fresh from a NameServer. */
  route(topic: string): Promise<TopicRouteView> {
    return this.call('GET', path`/topics/${topic}/route`);
  }

  /** Min and max offset of every queue. */
  status(topic: string): Promise<TopicStatus> {
    return this.call('GET', path`/topics/${topic}/status`);
  }

  /** The first offset of `queue` stored at or after `timestamp` (its max offset if none). */
  async searchOffset(topic: string, queue: QueueId, timestamp: number | Date): Promise<number> {
    const ts = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    const answer = await this.call<Schemas['SearchOffsetResult']>(
      'GET',
      path`/topics/${topic}/queues/${queue.brokerName}/${queue.queueId}/offset`,
      { query: { timestamp: ts } },
    );
    return answer.offset;
  }

  /** Reads one queue from an offset, outside any group (no lock, no commit). */
  async pull(topic: string, queue: QueueId, options: PullOptions): Promise<PullResult> {
    const answer = await this.call<Schemas['PullResult']>(
      'GET',
      path`/topics/${topic}/queues/${queue.brokerName}/${queue.queueId}/messages`,
      {
        query: { offset: options.offset, maxMessages: options.maxMessages, waitMs: options.waitMs, tags: options.tags },
      },
    );
    return { ...answer, messages: messages(answer.messages) };
  }
}

export class GroupsAdmin extends Section {
  /** Every consumer group's name. */
  async list(): Promise<string[]> {
    return (await this.call<Schemas['GroupList']>('GET', '/groups')).groups;
  }

  /** The group's config, generation, and members with their subscriptions and queues. */
  get(group: string): Promise<GroupInfo> {
    return this.call('GET', path`/groups/${group}`);
  }

  /** Creates the group or sets its config (fields left out keep their value); a new model or strategy rebalances. */
  configure(group: string, config: GroupConfig): Promise<GroupInfo> {
    return this.call('PUT', path`/groups/${group}`, { body: config });
  }

  /** Committed offset, max offset and lag of every queue of every subscribed topic (and the retry topic). */
  lag(group: string): Promise<GroupLag> {
    return this.call('GET', path`/groups/${group}/lag`);
  }

  /** The group's committed offset and lag on every readable queue of one topic. */
  offsets(group: string, topic: string): Promise<GroupOffsets> {
    return this.call('GET', path`/groups/${group}/offsets`, { query: { topic } });
  }

  /** Commits offsets (the next offset to consume) for the group, outside any member (members are not told: prefer resetOffsets). */
  commitOffsets(
    group: string,
    topic: string,
    offsets: Schemas['OffsetCommit'][],
  ): Promise<Schemas['CommittedOffsets']> {
    return this.call('PUT', path`/groups/${group}/offsets`, {
      body: { topic, offsets } satisfies Schemas['CommitOffsetsRequest'],
    });
  }

  /** Moves every queue's offset of `topic` to the first message stored at or after `timestamp`; members reload. */
  resetOffsets(group: string, topic: string, timestamp: number | Date): Promise<OffsetsMoved> {
    const ts = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    return this.call('POST', path`/groups/${group}/offsets/reset`, {
      body: { topic, timestamp: ts } satisfies Schemas['OffsetResetRequest'],
    });
  }

  /** Moves every queue's offset of `topic` to its max offset (skips the backlog); members reload. */
  skipBacklog(group: string, topic: string): Promise<OffsetsMoved> {
    return this.call('POST', path`/groups/${group}/offsets/skip`, {
      body: { topic } satisfies Schemas['OffsetSkipRequest'],
    });
  }
}

export class MessagesAdmin extends Section {
  /** The message with this id. MESSAGE_NOT_FOUND if it is gone. */
  async get(msgId: string): Promise<Message> {
    return new Message(await this.call<MessageView>('GET', path`/messages/${msgId}`));
  }

  /** Messages sent with `key`, newest first. */
  async byKey(topic: string, key: string, options: QueryByKeyOptions = {}): Promise<Message[]> {
    const answer = await this.call<Schemas['QueryResult']>('GET', path`/topics/${topic}/messages`, {
      query: { key, begin: options.begin, end: options.end, maxMessages: options.maxMessages },
    });
    return messages(answer.messages);
  }

  /** Every stored copy of the message with this unique key, newest first. */
  async byUniqueKey(topic: string, uniqueKey: string, options: { maxMessages?: number } = {}): Promise<Message[]> {
    const answer = await this.call<Schemas['QueryResult']>('GET', path`/topics/${topic}/messages`, {
      query: { uniqueKey, maxMessages: options.maxMessages },
    });
    return messages(answer.messages);
  }
}

export interface DlqListOptions {
  /** Most dead letters to list (the newest), 1 to 1000. @defaultValue 32 */
  maxMessages?: number;
}

export class DlqAdmin extends Section {
  /** The group's newest dead letters, newest first, and how many it holds. */
  async list(group: string, options: DlqListOptions = {}): Promise<DlqList> {
    const answer = await this.call<Schemas['DeadLetters']>('GET', path`/groups/${group}/dlq`, {
      query: { maxMessages: options.maxMessages },
    });
    return { ...answer, messages: messages(answer.messages) };
  }

  /**
   * Sends a dead letter back to its group only, as a new message in the group's retry topic
   * `%RETRY%{group}` (the topic's other groups do not get it again). Not retried: a retry could send it twice.
   */
  resend(group: string, msgId: string): Promise<ResendResult> {
    return this.http.request('POST', path`/groups/${group}/dlq/${msgId}/resend`);
  }
}

export class TimersAdmin extends Section {
  /** A pending delayed message by the handle its send returned. TIMER_NOT_FOUND once delivered or cancelled. */
  async get(timerHandle: string): Promise<PendingTimer> {
    const raw = await this.call<Schemas['TimerView']>('GET', path`/timers/${timerHandle}`);
    const { bodyEncoding, ...rest } = raw;
    const body = decodeBody(raw.body, bodyEncoding);
    return { ...rest, keys: raw.keys ? raw.keys.split(' ') : [], body, text: () => new TextDecoder().decode(body) };
  }

  /** Cancels a pending delayed message. TIMER_NOT_FOUND once delivered or cancelled. */
  cancel(timerHandle: string): Promise<CancelledTimer> {
    return this.call('DELETE', path`/timers/${timerHandle}`);
  }
}

/** The cluster as one NameServer sees it. */
export type ClusterInfo = Schemas['ClusterView'];

export class ClusterAdmin extends Section {
  /** The cluster as one NameServer sees it. */
  info(): Promise<ClusterInfo> {
    return this.call('GET', '/cluster');
  }

  /** Each configured broker's own status (or its error). */
  async brokers(): Promise<Schemas['BrokerList']['brokers']> {
    return (await this.call<Schemas['BrokerList']>('GET', '/brokers')).brokers;
  }
}

/** Administration of a flaremq cluster. Made by {@link Client.admin}. */
export class Admin {
  readonly topics: TopicsAdmin;
  readonly groups: GroupsAdmin;
  readonly messages: MessagesAdmin;
  readonly dlq: DlqAdmin;
  readonly timers: TimersAdmin;
  readonly cluster: ClusterAdmin;
  /** Producer groups: check URL, discarded transactions. */
  readonly producerGroups: ProducerGroupsAdmin;
  /** Pending half messages by transaction handle: get, commit, rollback. */
  readonly transactions: TransactionsAdmin;

  constructor(http: Http, retry: RetryOptions | undefined) {
    const r = retryOptions(retry);
    this.topics = new TopicsAdmin(http, r);
    this.groups = new GroupsAdmin(http, r);
    this.messages = new MessagesAdmin(http, r);
    this.dlq = new DlqAdmin(http, r);
    this.timers = new TimersAdmin(http, r);
    this.cluster = new ClusterAdmin(http, r);
    this.producerGroups = new ProducerGroupsAdmin(http, r);
    this.transactions = new TransactionsAdmin(http, r);
  }
}
