import { brokerOf, slavesOf } from '../../core/broker-groups';
import { clusterConfig, type BrokerConfig } from '../../core/config';
import { FlareError } from '../../core/errors';
import { MASTER_ID } from '../../core/route';
import type { QueueIdentity } from '../../core/object-names';
import type { Env } from '../../env';
import { queueObject } from '../stubs';
import { migrate } from '../schema';
import type { QueueLog } from './log';
import { rowsOf, type LogRow } from './log-row';
import { BatchView } from '../../core/batch-codec';
import type { QueueOffsets, ReplicatedOffset } from './offsets';
import { NO_STATE_REV, type StateChanges, type StateRevisions } from './state-replication';
import { REPLICATION_MIGRATIONS } from './schema';
import { log } from '../../log';

export type { ReplicatedOffset } from './offsets';

/**
 * Replication of one queue from its master object (brokerId 0) to the same
 * queue on each slave of the group (brokerId ≥ 1, placed in the slave's
 * region): RocketMQ's HAService, per queue. The master ships the rows of its
 * log as stored (log-row.ts: a row per append, with its offsets and store
 * times), the group's consumer offsets, and what changed in its pending
 * timers, half messages and pop state (state-replication.ts); a slave
 * stores the rows as they are, through the log's one insert path, applies the
 * state's changes in the same transaction, and answers how far it has got.
 *
 * - SYNC_MASTER: a send waits (SLAVE_TIMEOUT_MS) until a slave has the
 *   message: FLUSH_SLAVE_TIMEOUT when it is too slow, SLAVE_NOT_AVAILABLE when
 *   none can be reached (the message stays stored on the master either way).
 * - ASYNC_MASTER (and whatever a SYNC_MASTER's sends did not ship): the
 *   master's alarm ships what the slaves lack, in batches.
 *
 * - Consumer offsets go both ways and never move back (QueueOffsets.merge):
 *   the master ships its offsets with its batches; a slave sends the commits
 *   its consumers made while the master was unreachable to the master as soon
 *   as it answers (`pushOffsets`, retried by the slave's alarm every
 *   REPLICA_RETRY_MS), and with each acknowledgement.
 * - A batch carries the master's incarnation (the offset where the queue's
 *   current life began, set when its topic was deleted): a slave that missed
 *   the delete drops what it holds of the old life before it applies the batch.
 *
 * Tables: `mqr_replica` on the master (how far each slave has acknowledged, in
 * the log and in the replicated state;
 * on a slave, row 0 records its last failed push of offsets to the master),
 * `mqr_offset_shadow` on a slave (the consumer offsets as the master last
 * sent them, so that commits made on the slave while the master was down can
 * be told apart and sent back).
 */

/** A replication batch stops adding rows once they hold this many messages (at least one row). */
export const SHIP_CHUNK_COUNT = 1000;
/** A replication batch stops adding rows once their blobs pass this many bytes (at least one row). */
export const SHIP_CHUNK_BYTES = 4 * 1024 * 1024;
/** Most batches one alarm run ships to one slave; the alarm re-arms at once for the rest. */
export const MAX_BATCHES_PER_RUN = 20;
/** After a failed ship, a slave is not tried again for this long (RocketMQ's HAClient reconnects every 5 s); sends meanwhile answer SLAVE_NOT_AVAILABLE at once. */
export const REPLICA_RETRY_MS = 5_000;

export interface ReplicationBatch {
  /** The slave queue's identity (brokerId ≥ 1): a slave that has not opened it yet opens it. */
  identity: QueueIdentity;
  /** Consecutive rows of the master's log, from the slave's max offset on (or from the master's min offset). */
  rows: LogRow[];
  /** The master's min offset: a slave behind it skips to it (the master deleted what lies between). */
  masterMinOffset: number;
  /** Where the master queue's current life began (0, or its offset counter when its topic was last deleted). */
  incarnation: number;
  /** Every consumer offset of the master, when they changed since the last batch; null otherwise. */
  offsets: ReplicatedOffset[] | null;
  /** What changed in the pending timers, half messages and pop state since the slave's acknowledged revision; null when nothing did. */
  state: StateChanges | null;
}

export interface ReplicationAck {
  /** The slave's max offset after the batch: where the next batch starts. */
  maxOffset: number;
  /** Offsets committed on the slave (while the master was down) that differ from the master's. */
  localOffsets: ReplicatedOffset[];
}

/** What a send to a SYNC_MASTER learns of its slaves (RocketMQ's PutMessageStatus, as a SendStatus). */
export type SyncStatus = 'SEND_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** One slave of a master queue, as the master sees it. */
export interface ReplicaStatus {
  brokerId: number;
  region: string;
  /** The slave's max offset as it last acknowledged. */
  ackedOffset: number;
  /** Messages the slave lacks. */
  lagEntries: number;
  /** Age of the oldest message the slave lacks, in seconds (0 when it lacks none). */
  lagSeconds: number;
  /** When the slave last acknowledged a batch (0: never). */
  lastAckTimestamp: number;
  /** False while the last ship failed (retried after REPLICA_RETRY_MS). */
  available: boolean;
  lastError: string;
}

/** What the replication needs of its queue object. */
export interface ReplicationHost {
  readonly env: Env;
  identity(): QueueIdentity | null;
  /** The offset the next message takes. */
  nextOffset(): number;
  minOffset(): number;
  /** Where this queue's current life began (see ReplicationBatch.incarnation). */
  incarnation(): number;
  readonly offsets: QueueOffsets;
  readonly log: QueueLog;
  /** Revisions of the timers, half messages and pop state (state-replication.ts). */
  readonly revisions: StateRevisions;
  transaction<T>(fn: () => T): T;
}

type ReplicaRow = {
  broker_id: number;
  acked_offset: number;
  acked_at: number;
  offsets_digest: string;
  failed_at: number;
  last_error: string;
  acked_state_rev: number;
};

export class QueueReplication {
  /** One ship at a time per slave; concurrent waiters share it (group commit). */
  private readonly inflight = new Map<number, Promise<void>>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly host: ReplicationHost,
  ) {}

  /** Creates the tables; call from the object's constructor, under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, 'mqr', REPLICATION_MIGRATIONS);
  }

  private master(): BrokerConfig | undefined {
    const id = this.host.identity();
    return id ? brokerOf(clusterConfig(this.host.env), id.brokerName, MASTER_ID) : undefined;
  }

  /** The slaves this queue ships to: none unless this is a master queue whose group has slaves. */
  replicas(): BrokerConfig[] {
    const id = this.host.identity();
    if (!id || id.brokerId !== MASTER_ID) return [];
    return slavesOf(clusterConfig(this.host.env), id.brokerName);
  }

  /** True for a slave's copy of a queue. */
  isSlave(): boolean {
    const id = this.host.identity();
    return id !== null && id.brokerId !== MASTER_ID;
  }

  /** True for a SYNC_MASTER queue with slaves: its sends wait for one. */
  isSyncMaster(): boolean {
    return this.master()?.brokerRole === 'SYNC_MASTER' && this.replicas().length > 0;
  }

  /** Throws SLAVE_READ_ONLY on a slave's queue: only replication writes there. */
  requireMaster(): void {
    const id = this.host.identity();
    if (id && id.brokerId !== MASTER_ID) {
      throw new FlareError(
        'SLAVE_READ_ONLY',
        `queue ${id.topic}/${id.brokerName}/${id.queueId} on brokerId ${id.brokerId} is a slave's copy and is read-only; send to the group's master`,
      );
    }
  }

  private state(brokerId: number): ReplicaRow {
    return (
      this.sql.exec<ReplicaRow>('SELECT * FROM mqr_replica WHERE broker_id = ?', brokerId).toArray()[0] ?? {
        broker_id: brokerId,
        acked_offset: 0,
        acked_at: 0,
        offsets_digest: '',
        failed_at: 0,
        last_error: '',
        acked_state_rev: NO_STATE_REV,
      }
    );
  }

  private saveState(row: ReplicaRow): void {
    this.sql.exec(
      `INSERT INTO mqr_replica (broker_id, acked_offset, acked_at, offsets_digest, failed_at, last_error, acked_state_rev) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (broker_id) DO UPDATE SET acked_offset = excluded.acked_offset, acked_at = excluded.acked_at,
         offsets_digest = excluded.offsets_digest, failed_at = excluded.failed_at, last_error = excluded.last_error,
         acked_state_rev = excluded.acked_state_rev`,
      row.broker_id,
      row.acked_offset,
      row.acked_at,
      row.offsets_digest,
      row.failed_at,
      row.last_error,
      row.acked_state_rev,
    );
  }

  /** Changes whenever a consumer offset does: a batch carries the offsets only then. */
  private offsetsDigest(): string {
    const r = this.sql
      .exec<{ n: number; s: number; u: number }>(
        'SELECT COUNT(*) AS n, COALESCE(SUM(queue_offset), 0) AS s, COALESCE(SUM(updated_at % 1000000007), 0) AS u FROM mq_offset',
      )
      .one();
    return `${r.n}:${r.s}:${r.u}`;
  }

  private lacks(row: ReplicaRow): boolean {
    return (
      Math.max(row.acked_offset, this.host.minOffset()) < this.host.nextOffset() ||
      row.offsets_digest !== this.offsetsDigest() ||
      row.acked_state_rev < this.host.revisions.current()
    );
  }

  /** Ships one batch to a slave and records its answer (or its failure, then throws). */
  private async shipOnce(replica: BrokerConfig): Promise<void> {
    const id = this.host.identity()!;
    const before = this.state(replica.brokerId);
    const from = Math.max(before.acked_offset, this.host.minOffset());
    const digest = this.offsetsDigest();
    const batch: ReplicationBatch = {
      identity: { ...id, brokerId: replica.brokerId },
      rows: this.host.log.rowsFrom(from, SHIP_CHUNK_COUNT, SHIP_CHUNK_BYTES),
      masterMinOffset: this.host.minOffset(),
      incarnation: this.host.incarnation(),
      offsets: digest !== before.offsets_digest ? this.host.offsets.replicated() : null,
      state: this.host.revisions.changes(before.acked_state_rev, SHIP_CHUNK_COUNT, SHIP_CHUNK_BYTES),
    };
    try {
      const ack = await queueObject(this.host.env, batch.identity).replicate(batch);
      this.host.transaction(() => {
        for (const o of ack.localOffsets) this.host.offsets.merge(o);
        // Offsets taken from the slave change the digest, so the next batch sends them back: both sides converge.
        const ackedStateRev = Math.max(this.state(replica.brokerId).acked_state_rev, batch.state?.rev ?? NO_STATE_REV);
        this.saveState({
          ...this.state(replica.brokerId),
          acked_offset: ack.maxOffset,
          acked_at: Date.now(),
          offsets_digest: digest,
          failed_at: 0,
          last_error: '',
          acked_state_rev: ackedStateRev,
        });
        this.host.revisions.prune(Math.min(...this.replicas().map((r) => this.state(r.brokerId).acked_state_rev)));
      });
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      this.saveState({ ...this.state(replica.brokerId), failed_at: Date.now(), last_error: message.slice(0, 500) });
      throw err;
    }
  }

  private ship(replica: BrokerConfig): Promise<void> {
    let running = this.inflight.get(replica.brokerId);
    if (!running) {
      running = this.shipOnce(replica).finally(() => this.inflight.delete(replica.brokerId));
      this.inflight.set(replica.brokerId, running);
    }
    return running;
  }

  /** Ships until the slave has everything below `target` (throws when a ship fails). */
  private async shipUntil(replica: BrokerConfig, target: number): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      if (Math.max(this.state(replica.brokerId).acked_offset, this.host.minOffset()) >= target) return;
      await this.ship(replica);
    }
  }

  private available(row: ReplicaRow, now: number): boolean {
    return row.failed_at === 0 || now - row.failed_at >= REPLICA_RETRY_MS;
  }

  /**
   * For a SYNC_MASTER send that stored messages below `target`: waits until a
   * slave has them, at most `timeoutMs`. SEND_OK when one has;
   * FLUSH_SLAVE_TIMEOUT when none answered in time (the ship goes on, and the
   * alarm finishes it); SLAVE_NOT_AVAILABLE when none could be reached or every
   * slave failed within the last REPLICA_RETRY_MS.
   */
  async waitForSlaves(target: number, timeoutMs: number, now = Date.now()): Promise<SyncStatus> {
    const candidates = this.replicas().filter((r) => this.available(this.state(r.brokerId), now));
    if (candidates.length === 0) return 'SLAVE_NOT_AVAILABLE';
    const shipped = Promise.any(candidates.map((r) => this.shipUntil(r, target))).then(
      () => 'ok' as const,
      () => 'failed' as const,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([shipped, timeout]);
    clearTimeout(timer);
    return outcome === 'ok' ? 'SEND_OK' : outcome === 'timeout' ? 'FLUSH_SLAVE_TIMEOUT' : 'SLAVE_NOT_AVAILABLE';
  }

  /** When the alarm should ship next: now while a reachable slave lacks something, after the retry delay for one that failed; null when none lacks anything. */
  nextDue(now: number): number | null {
    if (this.isSlave()) {
      const push = this.state(MASTER_ID);
      return push.failed_at !== 0 && this.localOffsets().length > 0
        ? Math.max(now, push.failed_at + REPLICA_RETRY_MS)
        : null;
    }
    let due: number | null = null;
    for (const r of this.replicas()) {
      const row = this.state(r.brokerId);
      if (!this.lacks(row)) continue;
      const at = this.available(row, now) ? now : row.failed_at + REPLICA_RETRY_MS;
      due = due === null ? at : Math.min(due, at);
    }
    return due;
  }

  /** The alarm's work: ships what each reachable slave lacks, in batches. Never throws (a failure is recorded and retried). */
  async shipDue(now: number): Promise<void> {
    if (this.isSlave()) {
      if (this.nextDue(now) !== null) await this.pushOffsets(now);
      return;
    }
    await Promise.all(
      this.replicas().map(async (r) => {
        for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
          const row = this.state(r.brokerId);
          if (!this.available(row, now) || !this.lacks(row)) return;
          try {
            await this.ship(r);
          } catch (err) {
            log.warn('replicating a queue to a slave failed; retried later', {
              ...this.host.identity(),
              slaveBrokerId: r.brokerId,
              error: err,
            });
            return;
          }
        }
      }),
    );
  }

  /** Each slave's lag, as the master sees it. */
  status(now = Date.now()): ReplicaStatus[] {
    return this.replicas().map((r) => {
      const row = this.state(r.brokerId);
      const from = Math.max(row.acked_offset, this.host.minOffset());
      const lagEntries = Math.max(0, this.host.nextOffset() - from);
      const oldest = lagEntries > 0 ? this.host.log.get(from) : null;
      return {
        brokerId: r.brokerId,
        region: r.region,
        ackedOffset: row.acked_offset,
        lagEntries,
        lagSeconds: oldest ? Math.max(0, (now - oldest.storeTimestamp) / 1000) : 0,
        lastAckTimestamp: row.acked_at,
        available: this.available(row, now),
        lastError: row.last_error,
      };
    });
  }

  /**
   * On a slave: sends the offsets committed here that the master has not
   * sent back to the master now, unless a push failed within the last
   * REPLICA_RETRY_MS (the slave's alarm then tries again). Never throws: a
   * failure is recorded.
   */
  async pushOffsets(now = Date.now()): Promise<void> {
    const id = this.host.identity();
    const row = this.state(MASTER_ID);
    if (!id || !this.isSlave() || !this.available(row, now)) return;
    const local = this.localOffsets();
    if (local.length === 0) return;
    try {
      await queueObject(this.host.env, { ...id, brokerId: MASTER_ID }).takeSlaveOffsets(this.host.incarnation(), local);
      this.saveState({ ...row, acked_at: Date.now(), failed_at: 0, last_error: '' });
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      this.saveState({ ...row, failed_at: Date.now(), last_error: message.slice(0, 500) });
    }
  }

  /** On a master: takes offsets its slaves' consumers committed (see QueueOffsets.merge); offsets of another incarnation are ignored. */
  takeOffsets(incarnation: number, offsets: readonly ReplicatedOffset[]): void {
    if (incarnation !== this.host.incarnation()) return;
    this.host.transaction(() => {
      for (const o of offsets) this.host.offsets.merge(o);
    });
  }

  /** On a slave: offsets committed here that differ from what the master last sent. */
  private localOffsets(): ReplicatedOffset[] {
    const shadow = new Map(
      this.sql
        .exec<{ grp: string; queue_offset: number; updated_at: number }>(
          'SELECT grp, queue_offset, updated_at FROM mqr_offset_shadow',
        )
        .toArray()
        .map((r) => [r.grp, r]),
    );
    return this.host.offsets.replicated().filter((o) => {
      const s = shadow.get(o.group);
      return !s || s.queue_offset !== o.offset || s.updated_at !== o.updatedAt;
    });
  }

  /**
   * On a slave: stores a batch (inside the caller's transaction). Entries it
   * already has are skipped; when it is behind the master's min offset, what it
   * holds is dropped and it continues from there (`setFloor` records that, so
   * offsets are never reused). Answers its max offset and its local commits.
   */
  applyBatch(batch: ReplicationBatch, nextOffset: number, setFloor: (offset: number) => void): ReplicationAck {
    let next = nextOffset;
    if (batch.masterMinOffset > next) {
      this.host.log.clear();
      next = batch.masterMinOffset;
      setFloor(next);
    }
    for (let row of batch.rows) {
      if (row.first + row.count <= next) continue;
      if (row.first > next) throw new Error(`replication gap: expected offset ${next}, got ${row.first}`);
      // A row reaching below this copy's end (its old log was cut into rows elsewhere): stored from its end on.
      if (row.first < next) row = rowsOf(next, new BatchView(row.data).messages().slice(next - row.first))[0];
      this.host.log.insertRows([row]);
      next = row.first + row.count;
    }
    if (batch.offsets) {
      for (const o of batch.offsets) {
        this.host.offsets.merge(o);
        this.sql.exec(
          `INSERT INTO mqr_offset_shadow (grp, queue_offset, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (grp) DO UPDATE SET queue_offset = excluded.queue_offset, updated_at = excluded.updated_at`,
          o.group,
          o.offset,
          o.updatedAt,
        );
      }
    }
    if (batch.state) this.host.revisions.apply(batch.state);
    const localOffsets = this.localOffsets();
    return { maxOffset: next, localOffsets };
  }

  /**
   * On a master coming back: takes the offsets its slaves' consumers committed
   * while it was down (newer ones win), by shipping a batch to each reachable
   * slave now. Failures are left to the alarm.
   */
  async reconcile(): Promise<void> {
    await Promise.allSettled(this.replicas().map((r) => this.ship(r)));
  }

  /** Forgets how far slaves got, and the state's tombstones (the topic was deleted: the slaves drop their copies too). */
  clear(): void {
    this.sql.exec('DELETE FROM mqr_replica');
    this.sql.exec('DELETE FROM mqr_offset_shadow');
    this.host.revisions.clear();
  }
}
