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
import type {
  AssignedQueue,
  BrokerData,
  GroupConfig,
  MessageModel,
  PullStatus,
  QueueData,
  QueueId,
  SendResult,
  Subscription,
  TopicRoute,
} from './types';

/** A topic's queue counts and perm, on the broker groups named (all by default). */
export interface TopicSpec {
  /** Sets both counts. @defaultValue the cluster's DEFAULT_TOPIC_QUEUE_NUMS (4) */
  queueNums?: number;
  /** Queues consumers read, per broker group. @defaultValue queueNums */
  readQueueNums?: number;
  /** Queues producers write, per broker group. @defaultValue queueNums */
  writeQueueNums?: number;
  /** 6 (RW), 4 (R), 2 (W), 0, or 'RW' / 'R' / 'W' / ''. @defaultValue 6 */
  perm?: number | string;
  /** Broker groups to create or update on. @defaultValue every broker group */
  brokerNames?: string[];
}

/** A route with perm also spelled out. */
export interface TopicRouteView extends TopicRoute {
  queueDatas: (QueueData & { permName: string })[];
}

export interface QueueStatus extends QueueId {
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
  /** Delayed messages waiting in the queue (not in maxOffset). */
  pendingTimers: number;
  /** How writes of sent messages are going: `writable` false while the queue refuses requests because held (ASYNC_FLUSH) messages cannot be written to its log. */
  writes: { writable: boolean; heldMessages: number; failedWrites: number };
  /** What the queue object wrote since it started: rows (as the runtime counts them), messages appended, bytes of its log rows; and its database size. Only with `?counters=true`. */
  storage?: { rowsWritten: number; messagesAppended: number; bytesWritten: number; databaseBytes: number };
}

export interface TopicStatus {
  topic: string;
  queues: QueueStatus[];
}

export interface QueueOffset extends QueueId {
  /** Next offset to consume; -1 when the group committed nothing. */
  offset: number;
  minOffset: number;
  maxOffset: number;
  lag: number;
  updatedAt: number;
}

export interface GroupOffsets {
  group: string;
  topic: string;
  offsets: QueueOffset[];
  totalLag: number;
}

export interface QueueLag extends QueueId {
  topic: string;
  /** In BROADCASTING, the member whose offset this is. */
  clientId?: string;
  /** Committed offset, -1 for none. */
  offset: number;
  minOffset: number;
  maxOffset: number;
  lag: number;
}

export interface GroupLag {
  group: string;
  messageModel: MessageModel;
  queues: QueueLag[];
  totalLag: number;
}

export interface GroupMemberInfo {
  clientId: string;
  /** Its stable identity: in BROADCASTING, whose offsets it uses (its clientId unless it declared one). */
  instanceName: string;
  subscriptions: Subscription[];
  lastHeartbeat: number;
  joinedAt: number;
  queues: AssignedQueue[];
}

/** A group as `GET /api/v1/groups/{group}` shows it. */
export interface GroupInfo {
  group: string;
  config: Required<Omit<GroupConfig, 'consumeTimestamp'>> & { consumeTimestamp: number; [field: string]: unknown };
  generation: number;
  members: GroupMemberInfo[];
  /** Every topic the group consumes or has consumed (its retry topic included). */
  topics: string[];
}

/** What an offset reset or skip did. */
export interface OffsetsMoved {
  group: string;
  topic: string;
  /** The group's new generation (members reload their offsets). */
  generation: number;
  /** For a reset, the time it was to. */
  timestamp?: number;
  offsets: (QueueId & { offset: number })[];
}

export interface PullResult {
  status: PullStatus;
  messages: Message[];
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
}

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
export interface ResendResult extends SendResult {
  group: string;
  /** The dead letter's msgId. */
  resentFrom: string;
}

export interface DlqList {
  group: string;
  /** `%DLQ%{group}` */
  topic: string;
  /** The newest dead letters, newest first. */
  messages: Message[];
  /** How many dead letters the group holds. */
  total: number;
}

/** A delayed message waiting for its time. */
export interface PendingTimer {
  timerHandle: string;
  topic: string;
  brokerName: string;
  queueId: number;
  deliverAt: number;
  scheduledAt: number;
  tags: string;
  keys: string[];
  properties: Record<string, string>;
  body: Uint8Array;
  bornTimestamp: number;
  uniqueKey: string;
  reconsumeTimes: number;
  /** The body as UTF-8 text. */
  text(): string;
}

export interface CancelledTimer {
  cancelled: true;
  timerHandle: string;
  deliverAt: number;
  uniqueKey: string;
  topic: string;
  brokerName: string;
  queueId: number;
}

const messages = (views: MessageView[]) => views.map((v) => new Message(v));

class Section {
  protected readonly http: Http;
  protected readonly retry: Required<RetryOptions>;

  constructor(http: Http, retry: Required<RetryOptions>) {
    this.http = http;
    this.retry = retry;
  }

  protected call<T>(method: string, p: string, options: { query?: Record<string, QueryValue>; body?: unknown } = {}): Promise<T> {
    return withRetry(() => this.http.request<T>(method, p, options), this.retry);
  }
}

export class TopicsAdmin extends Section {
  /** Every topic some live broker group hosts, sorted. */
  async list(): Promise<string[]> {
    return (await this.call<{ topics: string[] }>('GET', '/topics')).topics;
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
    const answer = await this.call<{ offset: number }>('GET', path`/topics/${topic}/queues/${queue.brokerName}/${queue.queueId}/offset`, { query: { timestamp: ts } });
    return answer.offset;
  }

  /** Reads one queue from an offset, outside any group (no lock, no commit). */
  async pull(topic: string, queue: QueueId, options: PullOptions): Promise<PullResult> {
    const answer = await this.call<Omit<PullResult, 'messages'> & { messages: MessageView[] }>(
      'GET',
      path`/topics/${topic}/queues/${queue.brokerName}/${queue.queueId}/messages`,
      { query: { offset: options.offset, maxMessages: options.maxMessages, waitMs: options.waitMs, tags: options.tags } },
    );
    return { ...answer, messages: messages(answer.messages) };
  }
}

export class GroupsAdmin extends Section {
  /** Every consumer group's name. */
  async list(): Promise<string[]> {
    return (await this.call<{ groups: string[] }>('GET', '/groups')).groups;
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
  commitOffsets(group: string, topic: string, offsets: (QueueId & { offset: number })[]): Promise<{ group: string; topic: string; offsets: (QueueId & { offset: number; updatedAt: number })[] }> {
    return this.call('PUT', path`/groups/${group}/offsets`, { body: { topic, offsets } });
  }

  /** Moves every queue's offset of `topic` to the first message stored at or after `timestamp`; members reload. */
  resetOffsets(group: string, topic: string, timestamp: number | Date): Promise<OffsetsMoved> {
    const ts = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    return this.call('POST', path`/groups/${group}/offsets/reset`, { body: { topic, timestamp: ts } });
  }

  /** Moves every queue's offset of `topic` to its max offset (skips the backlog); members reload. */
  skipBacklog(group: string, topic: string): Promise<OffsetsMoved> {
    return this.call('POST', path`/groups/${group}/offsets/skip`, { body: { topic } });
  }
}

export class MessagesAdmin extends Section {
  /** The message with this id. MESSAGE_NOT_FOUND if it is gone. */
  async get(msgId: string): Promise<Message> {
    return new Message(await this.call<MessageView>('GET', path`/messages/${msgId}`));
  }

  /** Messages sent with `key`, newest first. */
  async byKey(topic: string, key: string, options: QueryByKeyOptions = {}): Promise<Message[]> {
    const answer = await this.call<{ messages: MessageView[] }>('GET', path`/topics/${topic}/messages`, {
      query: { key, begin: options.begin, end: options.end, maxMessages: options.maxMessages },
    });
    return messages(answer.messages);
  }

  /** Every stored copy of the message with this unique key, newest first. */
  async byUniqueKey(topic: string, uniqueKey: string, options: { maxMessages?: number } = {}): Promise<Message[]> {
    const answer = await this.call<{ messages: MessageView[] }>('GET', path`/topics/${topic}/messages`, {
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
    const answer = await this.call<Omit<DlqList, 'messages'> & { messages: MessageView[] }>('GET', path`/groups/${group}/dlq`, {
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
    const raw = await this.call<Omit<PendingTimer, 'body' | 'keys' | 'text'> & { body: string; bodyEncoding: 'utf8' | 'base64'; keys: string }>(
      'GET',
      path`/timers/${timerHandle}`,
    );
    const { bodyEncoding, ...rest } = raw;
    const body = decodeBody(raw.body, bodyEncoding);
    return { ...rest, keys: raw.keys ? raw.keys.split(' ') : [], body, text: () => new TextDecoder().decode(body) };
  }

  /** Cancels a pending delayed message. TIMER_NOT_FOUND once delivered or cancelled. */
  cancel(timerHandle: string): Promise<CancelledTimer> {
    return this.call('DELETE', path`/timers/${timerHandle}`);
  }
}

export interface ClusterInfo {
  clusterName: string;
  nameServerCount: number;
  clusters: { clusterName: string; brokerNames: string[] }[];
  brokerDatas: BrokerData[];
}

export class ClusterAdmin extends Section {
  /** The cluster as one NameServer sees it. */
  info(): Promise<ClusterInfo> {
    return this.call('GET', '/cluster');
  }

  /** Each configured broker's own status (or its error). */
  async brokers(): Promise<unknown[]> {
    return (await this.call<{ brokers: unknown[] }>('GET', '/brokers')).brokers;
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
