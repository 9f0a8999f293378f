import { DurableObject } from 'cloudflare:workers';
import { FlareError } from '../../core/errors';
import { answer, type Outcome } from '../../core/outcome';
import type { StartFrom } from '../../core/group-config';
import type { NewMessage, StoredMessage } from '../../core/message';
import type { QueueIdentity } from '../../core/object-names';
import type { Env } from '../../env';
import { QueueLocks, grantOf, type LockGrant, type LockHolder } from './locks';
import {
  QueuePops,
  type AckOutcome,
  type PopAnswer,
  type PopRequest,
  type PoppedEntry,
  type PopState,
  type QueueBounds,
} from './pop';
import { QueueTransactions, type CheckRunResult } from './transactions';
import { clusterConfig } from '../../core/config';
import type { HalfMessage, HalfMessageView } from '../../core/transaction';
import { QueueTimers, type PendingTimer, type ScheduledTimer } from './timers';
import { QueueLog } from './log';
import { QUEUE_MIGRATIONS } from './schema';
import { SqlWriteCounter } from './sql-counter';
import { QueueOffsets, type CommitMode } from './offsets';
import { QueueStats, type MinuteStats } from './stats';
import type { QueueOffsetHistory } from '../../core/lag-history';
import { MetaTable, migrate } from '../schema';
import { brokerOf } from '../../core/broker-groups';
import { MASTER_ID } from '../../core/route';
import { FaultSwitch, type FaultState } from '../fault-switch';
import { StateRevisions } from './state-replication';
import {
  QueueReplication,
  type ReplicaStatus,
  type ReplicatedOffset,
  type ReplicationAck,
  type ReplicationBatch,
  type SyncStatus,
} from './replication';
import { QueueRetention, type OffsetCorrection, type RetentionPolicy, type RetentionRun } from './retention';
import { QueueFlush, fitsHeld, type HeldSend, type WriteState } from './flush';
import { BroadcastOffsets } from './broadcast-offsets';
import { STREAM_OPEN_HEADER } from '../../core/stream-frames';
import { QueueStreams, type MemberStart } from './streams';
import { GroupCommit } from './group-commit';
import { consumerGroupObject, producerGroupObject } from '../stubs';
import { log } from '../../log';

/** RocketMQ's pull statuses. */
export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';

export interface PullRequest {
  offset: number;
  maxMessages: number;
  /** Accepted tags; null for every message. */
  tags: readonly string[] | null;
  /** Long polling: how long to wait for a message when there is none. */
  waitMs: number;
  /** Stop adding messages once bodies pass this many bytes. @defaultValue MAX_PULL_BYTES */
  maxBytes?: number;
}

export interface PullResult {
  status: PullStatus;
  messages: StoredMessage[];
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
}

export type { StartFrom };

export interface MemberPullRequest extends Omit<PullRequest, 'offset'> {
  /** Where to read; the committed offset (or startFrom) when absent. */
  offset?: number;
  /** Whose offset this is: the group, or `group#instanceName` in broadcasting (core/group-config.ts offsetKeyOf). */
  offsetKey: string;
  /** Clustering: the lock to take or renew, for `lockOwner` (a clientId). */
  lockGroup: string;
  lockOwner?: string;
  commitOffset?: number;
  /** The member's generation: a commitOffset for a generation older than the last offset reset is refused. */
  generation?: number;
  startFrom: StartFrom;
}

export interface AppendResult {
  queueOffset: number;
  storeTimestamp: number;
}

/** A producer's send as stored (RocketMQ's PutMessageResult): the messages are stored whatever the status says. */
export interface PutMessagesResult {
  /** SEND_OK, or on a SYNC_MASTER how its slaves did: FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE. */
  status: SyncStatus;
  results: AppendResult[];
}

export interface QueueStatus {
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
  /** Delayed messages waiting for their time (they have no offset yet). */
  pendingTimers: number;
  /** How writes of sent messages are going (ASYNC_FLUSH holds and failed writes; flush.ts). */
  writes: WriteState;
  /** What the object wrote since it started (counted in memory; a restart starts again from 0). */
  storage: StorageCounters;
}

/** Rows and bytes a queue object wrote since it started, and the messages it appended (docs/storage.md). */
export interface StorageCounters {
  /** Rows its SQL statements wrote, as the runtime counts them (cursors' rowsWritten: tables and indexes). */
  rowsWritten: number;
  /** Messages appended to its log (sends, delayed and transactional messages, replication). */
  messagesAppended: number;
  /** Bytes of the log rows and index rows it wrote. */
  bytesWritten: number;
  /** Size of its database now, as the runtime reports it (sql.databaseSize). */
  databaseBytes: number;
}

/** Consumer offset of a group on this queue; -1 when none is committed. */
export interface GroupOffset {
  group: string;
  offset: number;
  updatedAt: number;
}

/**
 * One queue of one topic on one broker: RocketMQ's CommitLog and
 * ConsumeQueue for that queue, and the consumer offsets of every group.
 * This class is the object's RPC surface: its public methods are what the
 * Worker and the other objects call (through durable-objects/stubs.ts), each
 * answering an Outcome (`answer(...)`, core/outcome.ts); every other method is
 * #private (not reachable over RPC); the work is done by the modules of this directory
 * (log.ts, offsets.ts, pop.ts, timers.ts, transactions.ts, replication.ts,
 * retention.ts, streams.ts, …), whose tables are all declared in schema.ts.
 */
export class MessageQueue extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Every row the object's SQL writes, counted (status().storage). */
  private readonly writes = new SqlWriteCounter();
  private readonly meta: MetaTable;
  private readonly log: QueueLog;
  private readonly offsets: QueueOffsets;
  private readonly stats: QueueStats;
  private identity: QueueIdentity | null = null;
  private dropped = false;
  /** The offset the next message takes: RocketMQ's max offset. Never goes back. */
  private nextOffset = 0;
  private lastStoreTimestamp = 0;
  private readonly waiters = new Set<() => void>();
  private readonly locks: QueueLocks;
  private readonly timers: QueueTimers;
  private readonly pops: QueuePops;
  private readonly transactions: QueueTransactions;
  private readonly fault: FaultSwitch;
  private readonly replication: QueueReplication;
  /** Revisions of the state the slaves hold besides the log (timers, half messages, pop state). */
  private readonly revisions: StateRevisions;
  private readonly retention: QueueRetention;
  private readonly broadcastOffsets: BroadcastOffsets;
  /**
   * The alarm time this object last set: null when none is set or it has not
   * set one since it started (afterAppend then arms it once).
   */
  private alarmAt: number | null = null;
  /** ASYNC_FLUSH: sends held in local storage and not yet in the log; failed writes (flush.ts). */
  private readonly flush: QueueFlush;
  /** Members' push streams (hibernating WebSockets; streams.ts). */
  private readonly streams: QueueStreams;
  /** SYNC_FLUSH: sends that arrive while a write is made durable are appended together next (group-commit.ts). */
  private readonly groupCommit: GroupCommit;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = this.writes.wrap(ctx.storage.sql);
    this.meta = new MetaTable(this.sql, 'mq_meta');
    this.log = new QueueLog(this.sql);
    this.offsets = new QueueOffsets(this.sql, this.meta);
    this.stats = new QueueStats(this.sql);
    this.locks = new QueueLocks(this.sql);
    this.revisions = new StateRevisions(this.sql, this.meta, () => this.replication.replicas().length > 0);
    this.timers = new QueueTimers(this.sql, this.revisions);
    this.pops = new QueuePops(this.sql, this.log, this.revisions);
    this.transactions = new QueueTransactions(this.sql, this.revisions);
    this.fault = new FaultSwitch(this.sql, 'mqf');
    this.replication = new QueueReplication(this.sql, {
      env,
      identity: () => this.identity,
      nextOffset: () => this.nextOffset,
      minOffset: () => this.#minOffset(),
      incarnation: () => this.#incarnation(),
      offsets: this.offsets,
      log: this.log,
      revisions: this.revisions,
      transaction: (fn) => this.ctx.storage.transactionSync(fn),
    });
    this.retention = new QueueRetention(this.sql, this.log);
    this.broadcastOffsets = new BroadcastOffsets(this.sql, this.meta);
    this.flush = new QueueFlush(ctx.storage, {
      write: (held, forget) => this.#writeHeld(held, forget),
      logEnd: () => this.nextOffset,
      intervalMs: () => clusterConfig(env).asyncFlushIntervalMs,
      name: () =>
        this.identity
          ? `${this.identity.topic}/${this.identity.brokerName}/${this.identity.queueId}/${this.identity.brokerId}`
          : ctx.id.toString(),
    });
    this.streams = new QueueStreams(ctx, {
      identity: () => this.#requireOpen(),
      start: (req) => this.#memberStart(req),
      read: (offset, req) => this.#readCounted(offset, req),
      end: () => this.nextOffset,
      commit: (key, offset, generation) => this.#commitOffset(key, offset, generation),
      lock: (group, owner) => {
        this.replication.requireMaster();
        const now = Date.now();
        return grantOf(this.locks.acquire(group, owner, now), now);
      },
      holder: (group) => this.locks.holder(group),
      correct: (key, from, to) => this.#correctOffset(key, from, to),
    });
    this.groupCommit = new GroupCommit({
      write: (messages, sends) => {
        try {
          return this.#append(messages);
        } catch (err) {
          throw err instanceof FlareError
            ? err
            : this.flush.failed(
                err,
                `${sends} send(s) of ${messages.length} message(s) could not be written to the log; they are refused`,
              );
        }
      },
      durable: () => ctx.storage.sync(),
    });
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, 'mq', QUEUE_MIGRATIONS);
      this.locks.migrate();
      this.stats.migrate();
      this.pops.migrate();
      this.transactions.migrate();
      this.fault.migrate();
      this.replication.migrate();
      this.revisions.migrate(); // after the tables whose revisions it reads
      this.retention.migrate();
      this.log.open();
      this.#migrateLog(); // a first chunk of an old log now; the alarm moves the rest
      this.#load();
      this.flush.load();
      this.#flushed(); // what was held when the object stopped was answered: written before anything is served
      if (this.log.migrating()) await this.#rearm();
    });
  }

  /** Moves a chunk of the rows of the first log (if any are left) into the batch log: true while some remain. */
  #migrateLog(): boolean {
    if (!this.log.migrating()) return false;
    try {
      return this.ctx.storage.transactionSync(() => this.log.migrateStep());
    } catch (err) {
      this.log.open(); // rolled back: where the move has got to is read again
      throw err;
    }
  }

  #load(): void {
    const identity = this.meta.get('identity');
    this.identity = typeof identity === 'string' ? (JSON.parse(identity) as QueueIdentity) : null;
    this.dropped = this.meta.get('dropped') === 1;
    const last = this.log.last();
    const floor = Number(this.meta.get('offset_floor') ?? 0);
    this.nextOffset = Math.max(floor, last ? last.queue_offset + 1 : 0);
    this.lastStoreTimestamp = Math.max(Number(this.meta.get('last_store_ts') ?? 0), last?.store_ts ?? 0);
  }

  #requireOpen(): QueueIdentity {
    const identity = this.#requireLive();
    this.flush.flush(); // ASYNC_FLUSH: what was answered is written before anything else reads or writes the log (throws while it cannot be)
    return identity;
  }

  #requireLive(): QueueIdentity {
    this.fault.require(`broker ${this.identity?.brokerName}/${this.identity?.brokerId}`);
    if (!this.identity || this.dropped) {
      throw new FlareError(
        'TOPIC_NOT_EXIST',
        `queue ${this.identity ? `${this.identity.topic}/${this.identity.queueId}` : ''} is not part of a live topic`,
      );
    }
    return this.identity;
  }

  #minOffset(): number {
    return this.log.minOffset(this.nextOffset);
  }

  /** Makes this object a queue of a live topic (called by the Broker on topic create or update). */
  open(identity: QueueIdentity): Outcome<QueueStatus> {
    return answer(() => this.#open(identity));
  }

  #open(identity: QueueIdentity): QueueStatus {
    if (this.identity && JSON.stringify(this.identity) !== JSON.stringify(identity)) {
      throw new Error(`queue object already holds ${JSON.stringify(this.identity)}`);
    }
    this.ctx.storage.transactionSync(() => {
      this.meta.set('identity', JSON.stringify(identity));
      this.meta.set('dropped', 0);
    });
    this.identity = identity;
    this.dropped = false;
    this.#afterAppend(); // a master re-opened after a delete ships its new incarnation to its slaves now
    return this.#status();
  }

  /**
   * Deletes the queue's messages and offsets when its topic is deleted. The
   * offset counter is kept, so that a message id is never reused.
   */
  drop(): Outcome<void> {
    return answer(() => {
      this.flush.flush(); // so that the offset counter counts them
      this.ctx.storage.transactionSync(() => {
        this.#clear();
        this.meta.set('incarnation', this.nextOffset);
        this.meta.set('dropped', 1);
      });
      this.dropped = true;
      this.#wakeWaiters();
    });
  }

  /** Where the queue's current life began: 0, or its offset counter when its topic was last deleted (replication.ts). */
  #incarnation(): number {
    return Number(this.meta.get('incarnation') ?? 0);
  }

  /** Deletes the messages, offsets and every other state of the queue's life; the offset counter stays. */
  #clear(): void {
    this.log.clear();
    this.offsets.clear();
    this.stats.clear();
    this.locks.clear();
    this.timers.clear();
    this.pops.clear();
    this.transactions.clear();
    this.replication.clear();
    this.retention.clear();
    this.meta.set('offset_floor', this.nextOffset);
    this.meta.set('last_store_ts', this.lastStoreTimestamp);
  }

  /** Appends messages in order, atomically: all get consecutive offsets or none is stored. */
  #append(messages: NewMessage[]): AppendResult[] {
    this.#requireOpen();
    this.replication.requireMaster();
    const storeTimestamp = Math.max(Date.now(), this.lastStoreTimestamp);
    const first = this.nextOffset;
    this.ctx.storage.transactionSync(() => {
      this.log.insert(messages, first, storeTimestamp);
      this.stats.count('in', messages.length);
    });
    this.nextOffset = first + messages.length;
    this.lastStoreTimestamp = storeTimestamp;
    this.#wakeWaiters();
    this.#afterAppend();
    return messages.map((_, i) => ({ queueOffset: first + i, storeTimestamp }));
  }

  /**
   * Reads up to `maxMessages` from `offset` that pass the tag filter. With a
   * wait, a pull that finds nothing new holds until a message arrives or the
   * wait ends.
   */
  pull(req: PullRequest): Promise<Outcome<PullResult>> {
    return answer(() => this.#pull(req));
  }

  async #pull(req: PullRequest): Promise<PullResult> {
    const deadline = Date.now() + req.waitMs;
    let offset = req.offset;
    for (;;) {
      const result = this.#readCounted(offset, req);
      if (result.status === 'FOUND' || result.status === 'OFFSET_ILLEGAL') return result;
      // Having skipped messages that do not match, the answer says so, with the offset moved past them.
      if (offset !== req.offset) result.status = 'NO_MATCHED_MSG';
      const remaining = deadline - Date.now();
      // Nothing left to scan: wait for the next append, then look again from there.
      if (remaining <= 0 || result.nextBeginOffset < this.nextOffset) return result;
      offset = result.nextBeginOffset;
      await this.#waitForAppend(remaining);
    }
  }

  /** One read, counted in the queue's statistics (pulls and pushes). */
  #readCounted(offset: number, req: Omit<PullRequest, 'offset'>): PullResult {
    this.#requireOpen();
    const result = this.#readOnce(offset, { ...req, offset });
    this.stats.count('out', result.messages.length);
    return result;
  }

  #readOnce(offset: number, req: PullRequest): PullResult {
    // A slave lagging behind the consumer: nothing yet, and no correction back to its max offset (RocketMQ's
    // DefaultMessageStore.nextOffsetCorrection keeps the offset asked on a slave unless offsetCheckInSlave).
    if (offset > this.nextOffset && this.replication.isSlave()) {
      return {
        status: 'NO_NEW_MSG',
        messages: [],
        nextBeginOffset: offset,
        minOffset: this.#minOffset(),
        maxOffset: this.nextOffset,
      };
    }
    return this.log.read(offset, this.nextOffset, req);
  }

  #waitForAppend(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  #wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
    this.streams.wake();
  }

  // Push streams (WebSocket, hibernating): logic in streams.ts.

  /** A member's stream, forwarded by the Worker with what it checked (STREAM_OPEN_HEADER); anything else is not served. */
  override async fetch(request: Request): Promise<Response> {
    if (!request.headers.has(STREAM_OPEN_HEADER)) return new Response(null, { status: 404 });
    return this.streams.accept(request);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.streams.message(ws, message);
  }

  override webSocketClose(ws: WebSocket): void {
    this.streams.closed(ws);
  }

  override webSocketError(ws: WebSocket): void {
    this.streams.closed(ws);
  }

  /** The message at `offset`, or null. */
  get(offset: number): Outcome<StoredMessage | null> {
    return answer(() => {
      this.#requireOpen();
      return this.log.get(offset);
    });
  }

  /** Messages with `key` stored within [begin, end], newest first. */
  queryByKey(key: string, begin: number, end: number, max: number): Outcome<StoredMessage[]> {
    return answer(() => {
      this.#requireOpen();
      return this.log.queryByKey(key, begin, end, max);
    });
  }

  /** The newest messages, newest first: at most `max`, and about MAX_PULL_BYTES of bodies. */
  latest(max: number): Outcome<StoredMessage[]> {
    return answer(() => {
      this.#requireOpen();
      return this.log.latest(max);
    });
  }

  /** Messages with this unique key (more than one if a producer resent it), newest first. */
  queryByUniqueKey(uniqueKey: string, max: number): Outcome<StoredMessage[]> {
    return answer(() => {
      this.#requireOpen();
      return this.log.queryByUniqueKey(uniqueKey, max);
    });
  }

  /** The first offset stored at or after `timestamp`; the max offset when there is none. */
  searchOffset(timestamp: number): Outcome<number> {
    return answer(() => {
      this.#requireOpen();
      return this.log.searchOffset(timestamp, this.nextOffset);
    });
  }

  /**
   * Stores a group's consumer offset (see QueueOffsets.commit); it replicates
   * with the messages. On a slave (the master unreachable), it goes to the
   * master as soon as the master answers.
   */
  commitOffset(group: string, offset: number, generation?: number, mode?: CommitMode): Outcome<GroupOffset> {
    return answer(() => this.#commitOffset(group, offset, generation, mode));
  }

  #commitOffset(group: string, offset: number, generation?: number, mode?: CommitMode): GroupOffset {
    this.#requireOpen();
    const before = this.offsets.get(group).offset;
    const stored = this.offsets.commit(group, offset, this.nextOffset, generation, mode);
    this.stats.offset(group, stored.offset, before >= 0 ? Math.max(0, stored.offset - before) : 0);
    this.#afterAppend(); // the offset replicates too
    if (this.replication.isSlave()) this.ctx.waitUntil(this.replication.pushOffsets().then(() => this.#rearm()));
    return stored;
  }

  /** On a master: offsets its slave's consumers committed while it was unreachable (never moving one back; see QueueOffsets.merge). */
  takeSlaveOffsets(incarnation: number, offsets: ReplicatedOffset[]): Outcome<void> {
    return answer(() => {
      this.#requireOpen();
      this.replication.requireMaster();
      this.replication.takeOffsets(incarnation, offsets);
      this.#afterAppend(); // the merged offsets go back to the slaves
    });
  }

  /**
   * An admin's reset or skip: stores the offset and refuses, from now on,
   * commits made for a generation older than `resetGeneration` — in this
   * object, atomically, so that no member commit in flight can undo the reset.
   */
  resetOffset(group: string, offset: number, resetGeneration: number): Outcome<GroupOffset> {
    return answer(() => {
      this.#requireOpen();
      const stored = this.offsets.reset(group, offset, resetGeneration);
      this.stats.offset(group, stored.offset, 0);
      this.#afterAppend(); // the reset replicates, and wins over older offsets on every copy
      return stored;
    });
  }

  /** A group's committed offset (-1 and updatedAt 0 when it has none), with the queue's min and max offsets. */
  getOffset(
    group: string,
  ): Outcome<GroupOffset & { minOffset: number; maxOffset: number; correction?: OffsetCorrection }> {
    return answer(() => {
      this.#requireOpen();
      return {
        ...this.offsets.get(group),
        minOffset: this.#minOffset(),
        maxOffset: this.nextOffset,
        ...this.#correctionOf(group),
      };
    });
  }

  /**
   * A consumer group member's pull: takes or renews the group's lock on this
   * queue (clustering), commits `commitOffset` if given, and reads from
   * `offset`, or from the committed offset, or — for a queue the group never
   * consumed — from where `startFrom` says, which it commits at once so that
   * the next owner starts at the same place.
   */
  memberPull(req: MemberPullRequest): Promise<Outcome<PullResult & { offset: number; lock?: LockGrant }>> {
    return answer(async () => {
      const { offset, lock } = this.#memberStart(req);
      const result = await this.#pull({ ...req, offset });
      // Behind the min offset (retention deleted what it pointed at): OFFSET_ILLEGAL, and the offset moves up to it.
      if (result.status === 'OFFSET_ILLEGAL' && offset < result.minOffset)
        this.#correctOffset(req.offsetKey, offset, result.minOffset);
      return lock ? { ...result, offset, lock } : { ...result, offset };
    });
  }

  /** The start of a member's read (a pull's or a stream's): the lock taken or renewed, the commit, the offset to read from. */
  #memberStart(req: MemberStart): { offset: number; lock?: LockGrant } {
    this.#requireOpen();
    let lock: LockGrant | undefined;
    if (req.lockOwner !== undefined) {
      this.replication.requireMaster(); // the lock has one authority: the master's copy
      const now = Date.now(); // one clock reading, so that a fresh lock answers its full duration
      lock = grantOf(this.locks.acquire(req.lockGroup, req.lockOwner, now), now);
    }
    if (req.commitOffset !== undefined) this.#commitOffset(req.offsetKey, req.commitOffset, req.generation);
    let offset = req.offset;
    if (offset === undefined) {
      const committed = this.offsets.get(req.offsetKey).offset;
      offset = committed >= 0 ? committed : this.#commitOffset(req.offsetKey, this.#startOffset(req.startFrom)).offset;
    }
    return lock ? { offset, lock } : { offset };
  }

  /**
   * Where a group starts on this queue when it has no offset here. CONSUME_FROM_LAST_OFFSET
   * is not the max offset at the first pull but the first message stored at or after the
   * group's subscription (docs/consuming.md), so that a queue added to the topic later, or a
   * message sent between subscribing and the first pull, is not skipped.
   */
  #startOffset(from: StartFrom): number {
    if (from.consumeFromWhere === 'CONSUME_FROM_FIRST_OFFSET') return this.#minOffset();
    const since = from.consumeFromWhere === 'CONSUME_FROM_TIMESTAMP' ? from.consumeTimestamp : from.subscribedAt;
    return this.log.searchOffset(since, this.nextOffset);
  }

  /** Releases the group's lock on this queue if `clientId` holds it. */
  unlock(group: string, clientId: string): Outcome<boolean> {
    return answer(() => {
      this.#requireOpen();
      this.streams.release(group, clientId); // its streams would take the lock again at their next push
      return this.locks.release(group, clientId);
    });
  }

  /** Renews the group's lock on this queue if it names `clientId` (QueueLocks.renew); null when it is not that member's. */
  renewLock(group: string, clientId: string): Outcome<LockGrant | null> {
    return answer(() => {
      this.#requireOpen();
      this.replication.requireMaster();
      const now = Date.now();
      const holder = this.locks.renew(group, clientId, now);
      return holder && grantOf(holder, now);
    });
  }

  /** Who holds the group's lock on this queue, if anyone. */
  lockHolder(group: string): Outcome<LockHolder | null> {
    return answer(() => {
      this.#requireOpen();
      return this.locks.holder(group);
    });
  }

  /** Messages in and out per minute since `since` (minutes with no traffic are left out). */
  minuteStats(since: number): Outcome<MinuteStats[]> {
    return answer(() => {
      this.#requireOpen();
      return this.stats.since(since);
    });
  }

  /** What a group's lag over time is computed from (src/core/lag-history.ts): the offsets of `keys` per minute since `since`, the traffic, the queue's offsets now. */
  offsetHistory(keys: string[], since: number): Outcome<QueueOffsetHistory> {
    return answer(() => {
      this.#requireOpen();
      return {
        minOffset: this.#minOffset(),
        maxOffset: this.nextOffset,
        minutes: this.stats.since(since),
        keys: keys.map((key) => ({ offset: this.offsets.get(key).offset, minutes: this.stats.offsetsOf(key, since) })),
      };
    });
  }

  /** Answers even while held sends cannot be written (its `writes` say so), so that /metrics can show it. */
  status(): Outcome<QueueStatus> {
    return answer(() => this.#status());
  }

  #status(): QueueStatus {
    this.#requireLive();
    this.#flushed(); // when it cannot, `writes` says so
    return {
      minOffset: this.#minOffset(),
      maxOffset: this.nextOffset,
      lastUpdateTimestamp: this.lastStoreTimestamp,
      pendingTimers: this.timers.count(),
      writes: this.flush.state(),
      storage: {
        rowsWritten: this.writes.rowsWritten,
        messagesAppended: this.log.appended,
        bytesWritten: this.log.bytesWritten,
        databaseBytes: this.ctx.storage.sql.databaseSize,
      },
    };
  }

  /**
   * Holds messages until `deliverAt`: the alarm then appends them, in order,
   * and they take their offsets (see timers.ts).
   */
  schedule(messages: NewMessage[], deliverAt: number): Promise<Outcome<ScheduledTimer[]>> {
    return answer(async () => {
      this.#requireOpen();
      this.replication.requireMaster();
      const ids = this.ctx.storage.transactionSync(() => this.timers.add(messages, deliverAt));
      await this.#rearm();
      return ids.map((timerId) => ({ timerId, deliverAt }));
    });
  }

  /** A pending timer; null when it was delivered, cancelled or never scheduled. */
  getTimer(timerId: number): Outcome<PendingTimer | null> {
    return answer(() => {
      this.#requireOpen();
      return this.timers.get(timerId);
    });
  }

  /**
   * Cancels a pending timer and returns it; null when it was delivered,
   * cancelled or never scheduled. The alarm is left as it is: if it was set
   * for this timer, it finds nothing due and re-arms.
   */
  cancelTimer(timerId: number): Outcome<PendingTimer | null> {
    return answer(() => {
      this.#requireOpen();
      this.replication.requireMaster();
      const timer = this.timers.get(timerId);
      if (timer) this.timers.remove([timerId]);
      return timer;
    });
  }

  // Pop (RocketMQ 5 SimpleConsumer): logic in pop.ts.

  #bounds(): QueueBounds {
    return {
      nextOffset: this.nextOffset,
      minOffset: () => this.#minOffset(),
      startOffset: (from) => this.#startOffset(from),
    };
  }

  /** Pops for a group (see QueuePops.pop); the caller sends `deadLetters` to the DLQ and acks them. */
  pop(req: PopRequest): Outcome<PopAnswer> {
    return answer(() => {
      this.#requireOpen();
      this.replication.requireMaster();
      return this.ctx.storage.transactionSync(() => {
        const popped = this.pops.pop(req, Date.now(), this.#bounds());
        this.stats.count('out', popped.messages.length);
        return popped;
      });
    });
  }

  /** Acks deliveries by (offset, handleSeq); one outcome each, in order. */
  ackPopped(group: string, handles: { queueOffset: number; handleSeq: number }[]): Outcome<AckOutcome[]> {
    return answer(() => {
      this.#requireOpen();
      this.replication.requireMaster();
      const outcomes = this.ctx.storage.transactionSync(() => this.pops.ack(group, handles, Date.now()));
      this.#wakeWaiters(); // an ack may free the next message of an ordered key
      return outcomes;
    });
  }

  /** RocketMQ's changeInvisibleDuration: a new handle, visible again `invisibleMs` from now. */
  changeInvisible(group: string, queueOffset: number, handleSeq: number, invisibleMs: number): Outcome<PoppedEntry> {
    return answer(() => {
      this.#requireOpen();
      this.replication.requireMaster();
      const entry = this.ctx.storage.transactionSync(() =>
        this.pops.changeInvisible(group, queueOffset, handleSeq, invisibleMs, Date.now()),
      );
      this.#wakeWaiters();
      return entry;
    });
  }

  /** Long polling for pops: true as soon as a pop for the group would find something, false when `waitMs` ends first. */
  waitPoppable(
    req: Pick<PopRequest, 'group' | 'tags' | 'retryOf' | 'orderly' | 'startFrom'>,
    waitMs: number,
  ): Promise<Outcome<boolean>> {
    return answer(() => {
      return this.#waitFor(
        () => this.pops.available(req.group, req, req.orderly, req.startFrom, Date.now(), this.#bounds()),
        () => this.pops.nextVisible(req.group, Date.now()),
        waitMs,
      );
    });
  }

  popState(group: string): Outcome<PopState> {
    return answer(() => {
      this.#requireOpen();
      return this.pops.state(group);
    });
  }

  // Transactions: logic in transactions.ts.

  /** Stores a half message, invisible to consumers, first checked at `checkAt`. */
  prepareHalf(producerGroup: string, message: NewMessage, checkAt: number): Promise<Outcome<number>> {
    return answer(async () => {
      this.#requireOpen();
      this.replication.requireMaster();
      const halfId = this.transactions.prepare(producerGroup, message, checkAt, Date.now());
      await this.#rearm();
      return halfId;
    });
  }

  getHalf(halfId: number): Outcome<HalfMessage | null> {
    return answer(() => {
      this.#requireOpen();
      return this.transactions.get(halfId);
    });
  }

  /**
   * Commits (appends, in the same transaction as it leaves the half messages)
   * or rolls back a half message. Null when it is not pending. With
   * `producerGroup`, a half message of another group is refused. A commit on a
   * SYNC_MASTER is answered once a slave has the message, as a send is
   * (`status`; the message is committed whatever it says, as RocketMQ's
   * EndTransactionProcessor.sendFinalMessage answers SUCCESS for
   * FLUSH_SLAVE_TIMEOUT and SLAVE_NOT_AVAILABLE).
   */
  endTransaction(
    halfId: number,
    resolution: 'COMMIT' | 'ROLLBACK',
    producerGroup?: string,
  ): Promise<Outcome<{ half: HalfMessage; stored: AppendResult | null; status: SyncStatus } | null>> {
    return answer(async () => {
      const ended = this.#endTransactionNow(halfId, resolution, producerGroup);
      if (!ended?.stored || !this.replication.isSyncMaster()) return ended && { ...ended, status: 'SEND_OK' };
      return { ...ended, status: await this.#syncToSlaves(ended.stored.queueOffset + 1) };
    });
  }

  /** SYNC_MASTER: waits (at most SLAVE_TIMEOUT_MS) until a slave has every message below `target`; the alarm ships what one still lacks. */
  async #syncToSlaves(target: number): Promise<SyncStatus> {
    const status = await this.replication.waitForSlaves(target, clusterConfig(this.env).slaveTimeoutMs);
    if (status !== 'SEND_OK') await this.#rearm();
    return status;
  }

  #endTransactionNow(
    halfId: number,
    resolution: 'COMMIT' | 'ROLLBACK',
    producerGroup?: string,
  ): { half: HalfMessage; stored: AppendResult | null } | null {
    this.#requireOpen();
    this.replication.requireMaster();
    return this.ctx.storage.transactionSync(() => {
      const half = this.transactions.get(halfId);
      if (!half) return null;
      if (producerGroup !== undefined && half.producerGroup !== producerGroup) {
        throw new FlareError(
          'INVALID_TRANSACTION_HANDLE',
          `the transaction belongs to producer group ${half.producerGroup}, not ${producerGroup}`,
        );
      }
      this.transactions.take(halfId);
      return { half, stored: resolution === 'COMMIT' ? this.#append([half.message])[0] : null };
    });
  }

  /** Half messages of a producer group due for a check, each invisible to the next half pop for `invisibleMs`. */
  popHalf(producerGroup: string, maxMessages: number, invisibleMs: number): Outcome<HalfMessage[]> {
    return answer(() => {
      this.#requireOpen();
      this.replication.requireMaster();
      return this.ctx.storage.transactionSync(() =>
        this.transactions.popHalf(producerGroup, maxMessages, invisibleMs, Date.now()),
      );
    });
  }

  /** Long polling for half-message pops. */
  waitHalfPoppable(producerGroup: string, waitMs: number): Promise<Outcome<boolean>> {
    return answer(() => {
      return this.#waitFor(
        () => this.transactions.halfAvailable(producerGroup, Date.now()),
        () => this.transactions.nextVisible(producerGroup, Date.now()),
        waitMs,
      );
    });
  }

  async #checkTransactions(): Promise<CheckRunResult> {
    const config = clusterConfig(this.env);
    const queue = this.identity!;
    const result = await this.transactions.runChecks({
      now: Date.now(),
      queue,
      intervalMs: config.transactionCheckIntervalMs,
      checkMax: config.transactionCheckMax,
      transaction: (fn) => this.ctx.storage.transactionSync(fn),
      checkTargetOf: (group) => producerGroupObject(this.env, group).checkTarget(),
      recordDiscarded: async (group, halves: HalfMessageView[]) => {
        await producerGroupObject(this.env, group).recordDiscarded(group, halves);
      },
      resolve: (halfId, resolution) => {
        if (!this.dropped) this.#endTransactionNow(halfId, resolution); // the alarm ships it to the slaves next
      },
    });
    if (result.checked > 0) this.#wakeWaiters(); // checked half messages are now poppable
    return result;
  }

  /** Waits until `ready()`, re-checking on every append or ack and at `wakeAt()`; false when `waitMs` ends first. */
  async #waitFor(ready: () => boolean, wakeAt: () => number | null, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      this.#requireOpen();
      if (ready()) return true;
      const now = Date.now();
      const remaining = deadline - now;
      if (remaining <= 0) return false;
      const at = wakeAt();
      await this.#waitForAppend(at === null ? remaining : Math.min(remaining, Math.max(at - now, 1)));
    }
  }

  // High availability (replication, fault injection, retention): logic in replication.ts,
  // fault-switch.ts and retention.ts.

  /**
   * A producer's send: appends (with the sends that arrive meanwhile: group
   * commit), answered once durable; then on a SYNC_MASTER with slaves waits (at
   * most SLAVE_TIMEOUT_MS) for a slave to store the messages too. They stay
   * stored here whatever the status; the alarm ships what a slave still lacks.
   */
  putMessages(messages: NewMessage[]): Promise<Outcome<PutMessagesResult>> {
    return answer(async () => {
      if (this.#asyncFlush() && fitsHeld(messages)) return { status: 'SEND_OK', results: await this.#hold(messages) };
      const results = await this.groupCommit.submit(messages);
      if (!this.replication.isSyncMaster()) return { status: 'SEND_OK', results };
      return { status: await this.#syncToSlaves(results[results.length - 1].queueOffset + 1), results };
    });
  }

  /** A slave's side of replication: stores a batch from the master as it is (see replication.ts). */
  replicate(batch: ReplicationBatch): Promise<Outcome<ReplicationAck>> {
    return answer(async () => {
      if (batch.identity.brokerId === MASTER_ID) throw new Error('replicate() is for slave queues (brokerId >= 1)');
      if (!this.identity) this.#open(batch.identity);
      this.#requireOpen();
      const ack = this.ctx.storage.transactionSync(() => {
        // The master's topic was deleted and re-created since this copy last heard from it: what it holds is of the old life.
        if (batch.incarnation !== this.#incarnation()) {
          this.#clear();
          this.meta.set('incarnation', batch.incarnation);
        }
        return this.replication.applyBatch(batch, this.nextOffset, (floor) => this.meta.set('offset_floor', floor));
      });
      this.#load();
      this.#wakeWaiters();
      if (this.alarmAt === null || this.retention.overCap(this.#retentionPolicy())) await this.#rearm(); // retention scheduled here too
      return ack;
    });
  }

  /**
   * Fault injection (the Broker sets it on each of its queues): while down,
   * every request is refused with BROKER_UNAVAILABLE and the alarm rests.
   * Back up, a master takes the offsets its slaves' consumers committed meanwhile.
   */
  setFault(down: boolean): Promise<Outcome<FaultState>> {
    return answer(async () => {
      if (down && this.identity && !this.dropped) this.#flushed();
      this.fault.set(down);
      this.#wakeWaiters(); // long polls end (and fail) now
      if (!down && this.identity && !this.dropped) await this.replication.reconcile();
      await this.#rearm();
      return this.fault.get();
    });
  }

  /** How far each slave of this master queue has got (empty for a slave, or a group without slaves). */
  replicationStatus(): Outcome<ReplicaStatus[]> {
    return answer(() => {
      this.#requireOpen();
      return this.replication.status();
    });
  }

  /** Bytes the log holds (what MAX_QUEUE_BYTES caps). */
  storedBytes(): Outcome<number> {
    return answer(() => {
      this.#requireOpen();
      return this.retention.bytes();
    });
  }

  /**
   * ASYNC_FLUSH applies to a master without SYNC_MASTER replication (a
   * SYNC_MASTER ships what is written, so its sends are written at once).
   */
  #asyncFlush(): boolean {
    const id = this.identity;
    if (!id || id.brokerId !== MASTER_ID || this.replication.isSyncMaster()) return false;
    return brokerOf(clusterConfig(this.env), id.brokerName, id.brokerId)?.flushDiskType === 'ASYNC_FLUSH';
  }

  /** ASYNC_FLUSH: stores the send in local storage, unconfirmed, and answers its offsets; the log takes it later (flush.ts). */
  async #hold(messages: NewMessage[]): Promise<AppendResult[]> {
    this.#requireLive();
    this.replication.requireMaster();
    const storeTimestamp = Math.max(Date.now(), this.lastStoreTimestamp);
    this.lastStoreTimestamp = storeTimestamp;
    const first = await this.flush.hold(messages, storeTimestamp);
    return messages.map((_, i) => ({ queueOffset: first + i, storeTimestamp }));
  }

  /** ASYNC_FLUSH: writes held sends to the log at the offsets they were given, and `forget`s them, in one transaction. */
  #writeHeld(held: readonly HeldSend[], forget: () => void): void {
    const count = held.reduce((n, send) => n + send.messages.length, 0);
    this.ctx.storage.transactionSync(() => {
      // A row per send, as if each had been written when it was answered (retention deletes whole rows, so a row never mixes sends).
      for (const send of held) this.log.insert(send.messages, send.first, send.storeTimestamp);
      this.stats.count('in', count);
      forget();
    });
    const last = held[held.length - 1];
    this.nextOffset = last.first + last.messages.length;
    this.lastStoreTimestamp = Math.max(this.lastStoreTimestamp, last.storeTimestamp);
    this.#wakeWaiters();
    this.#afterAppend();
  }

  #retentionPolicy(): RetentionPolicy {
    const config = clusterConfig(this.env);
    const broker = this.identity ? brokerOf(config, this.identity.brokerName, this.identity.brokerId) : undefined;
    return {
      deleteWhen: broker?.deleteWhen ?? '04',
      fileReservedTime: broker?.fileReservedTime ?? 72,
      maxQueueBytes: config.maxQueueBytes,
    };
  }

  #runRetention(now: number): RetentionRun {
    const run = this.retention.run(
      this.#retentionPolicy(),
      now,
      (fn) => this.ctx.storage.transactionSync(fn),
      (floor) => this.meta.set('offset_floor', Math.max(floor, Number(this.meta.get('offset_floor') ?? 0))),
    );
    if (run.deletedByAge + run.deletedByCap > 0) {
      log.info('retention deleted messages', {
        ...this.identity!,
        deletedByAge: run.deletedByAge,
        deletedByCap: run.deletedByCap,
        minOffset: this.#minOffset(),
      });
    }
    return run;
  }

  #correctOffset(group: string, from: number, to: number): void {
    this.ctx.storage.transactionSync(() => {
      this.#commitOffset(group, to);
      this.retention.recordCorrection(group, from, to, Date.now());
    });
  }

  #correctionOf(group: string): { correction?: OffsetCorrection } {
    const correction = this.retention.correction(group);
    return correction ? { correction } : {};
  }

  /**
   * After any append (or offset commit): ship it to slaves and enforce the cap
   * from the alarm, armed now if either has work; and, once per object, arm it
   * if it is not armed, so that every queue holding messages has its retention
   * run scheduled (the alarm re-arms itself after each run).
   */
  #afterAppend(): void {
    if (
      this.alarmAt === null ||
      this.replication.replicas().length > 0 ||
      this.retention.overCap(this.#retentionPolicy())
    ) {
      // After the caller's transaction (an append may run inside one), not within it.
      this.ctx.waitUntil(Promise.resolve().then(() => this.#rearm()));
    }
  }

  /** The next due times of replication, retention and the expiry of broadcasting offsets. */
  #haNextDue(now: number): (number | null)[] {
    if (!this.identity || this.dropped) return [];
    return [
      this.log.migrating() ? now : null,
      this.replication.nextDue(now),
      this.retention.nextDue(this.#retentionPolicy(), now),
      this.broadcastOffsets.nextDue(clusterConfig(this.env).broadcastOffsetExpiryMs),
    ];
  }

  /** Deletes the offsets of broadcasting instances gone for longer than BROADCAST_OFFSET_EXPIRY_MS (broadcast-offsets.ts), when due. */
  async #expireBroadcastOffsets(now: number): Promise<void> {
    const expiryMs = clusterConfig(this.env).broadcastOffsetExpiryMs;
    const due = this.broadcastOffsets.nextDue(expiryMs);
    if (due === null || due > now) return;
    const run = await this.broadcastOffsets.expire(now, expiryMs, async (group) => {
      try {
        return await consumerGroupObject(this.env, group).liveInstances();
      } catch (err) {
        log.error("a group did not answer; its broadcasting instances' old offsets are kept until the next run", {
          ...this.identity!,
          group,
          error: err,
        });
        return null;
      }
    });
    if (run.expired.length > 0) {
      log.info('the offsets of broadcasting instances gone too long expired', {
        ...this.identity!,
        offsetKeys: run.expired,
        expiryMs,
      });
    }
  }

  /**
   * Does what is due, then re-arms. Idempotent, as the platform retries an
   * alarm that throws: each delivered chunk of timers is appended and removed
   * in one transaction, a transaction check is counted before the check URL
   * is asked (transactions.ts), and re-arming reads what is left.
   */
  override async alarm(): Promise<void> {
    if (this.identity && !this.dropped) this.stats.persist(); // reads counted in memory (stats.ts)
    if (this.identity && !this.dropped && !this.fault.down && this.#flushed()) {
      this.#migrateLog();
      // A slave holds timers and half messages for reads after a failover; only the master delivers and checks them.
      if (!this.replication.isSlave()) {
        this.timers.deliverDue(
          Date.now(),
          (fn) => this.ctx.storage.transactionSync(fn),
          (messages) => this.#append(messages),
        );
        await this.#checkTransactions(); // what it leaves due re-arms the alarm at once
      }
      await this.replication.shipDue(Date.now());
      this.#runRetention(Date.now());
      await this.#expireBroadcastOffsets(Date.now());
    }
    await this.#rearm();
  }

  /** Writes what ASYNC_FLUSH holds; false when it cannot (logged and counted, and tried again on the next request): the alarm then leaves the log alone. */
  #flushed(): boolean {
    try {
      this.flush.flush();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * One alarm per object: sets it to the earliest next-due time of its
   * schedules, or clears it when none has anything due. A new schedule
   * (retention, replication, …) adds its next due time to the list and its
   * work to alarm().
   */
  async #rearm(): Promise<void> {
    const next = this.fault.down
      ? [] // down (fault injection): nothing runs until it is back, and setFault re-arms
      : [
          ...(this.replication.isSlave() ? [] : [this.timers.nextDue(), this.transactions.nextDue()]),
          ...this.#haNextDue(Date.now()),
        ].filter((t): t is number => t !== null);
    // Known before the await, so that appends meanwhile do not re-arm again.
    this.alarmAt = next.length === 0 ? null : Math.min(...next);
    if (this.alarmAt === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(this.alarmAt);
  }
}
