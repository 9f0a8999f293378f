import { FlareError } from '../../core/errors';
import type { GroupOffset } from './message-queue';
import type { MetaTable } from '../schema';

/** A consumer offset as it travels between a master and its slaves (replication.ts). */
export interface ReplicatedOffset {
  group: string;
  offset: number;
  updatedAt: number;
  /** The generation of the group's last offset reset on this queue (0: never reset). */
  resetGeneration: number;
}

/** How a commit treats a lower offset: `advance` keeps the stored offset (members), `set` stores it (an operator's commit). */
export type CommitMode = 'advance' | 'set';

/**
 * Consumer offsets of every group on one queue (`mq_offset`), kept beside the
 * log so that reading and advancing an offset is one transaction, and the
 * generation of each group's last offset reset.
 *
 * A committed offset never moves back except by a reset or an operator's
 * commit: a member's commit lower than the stored offset leaves it as it is
 * (RocketMQ's client commits with increaseOnly, RemoteBrokerOffsetStore
 * .updateOffset), and a copy merging
 * another copy's offsets takes the one of the newer reset generation, else
 * the higher (`merge`).
 */
export class QueueOffsets {
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: MetaTable,
  ) {}

  /**
   * Stores a group's offset, which must lie within [0, maxOffset]; with
   * `advance`, one lower than the stored offset leaves it as it is (answered
   * as stored). With a
   * `generation`, refuses a commit made for one older than the group's last
   * offset reset (GENERATION_STALE).
   */
  commit(
    group: string,
    offset: number,
    maxOffset: number,
    generation?: number,
    mode: CommitMode = 'advance',
  ): GroupOffset {
    if (generation !== undefined) {
      const reset = this.resetGeneration(group);
      if (generation < reset) {
        throw new FlareError(
          'GENERATION_STALE',
          `the offsets of ${group} were reset in generation ${reset}, after generation ${generation}: reload the committed offset instead`,
        );
      }
    }
    if (offset > maxOffset) {
      throw new FlareError('OFFSET_OUT_OF_RANGE', `offset ${offset} is past the queue's max offset ${maxOffset}`);
    }
    const current = this.get(group);
    if (mode === 'advance' && offset < current.offset) return current;
    return this.store(group, offset);
  }

  /** An explicit reset: stores `offset` even below the stored one, and refuses commits of generations older than `generation` from now on. */
  reset(group: string, offset: number, generation: number): GroupOffset {
    this.markReset(group, generation);
    return this.store(group, offset);
  }

  private store(group: string, offset: number): GroupOffset {
    const updatedAt = Date.now();
    this.sql.exec(
      `INSERT INTO mq_offset (grp, queue_offset, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (grp) DO UPDATE SET queue_offset = excluded.queue_offset, updated_at = excluded.updated_at`,
      group,
      offset,
      updatedAt,
    );
    return { group, offset, updatedAt };
  }

  /**
   * From now on, commits of `group` made for a generation older than `generation` are
   * refused. Never lowered: a reset retried, or two resets crossing, keep the highest.
   */
  markReset(group: string, generation: number): void {
    const current = Number(this.meta.get(`reset_generation:${group}`) ?? 0);
    if (generation > current) this.meta.set(`reset_generation:${group}`, generation);
  }

  private resetGeneration(group: string): number {
    return Number(this.meta.get(`reset_generation:${group}`) ?? 0);
  }

  /**
   * Takes an offset from another copy of the queue when it comes from a newer
   * reset generation, or from the same one and is not lower (so that copies
   * converge on the same row); answers whether it was taken.
   */
  merge(o: ReplicatedOffset): boolean {
    const current = this.get(o.group);
    const generation = this.resetGeneration(o.group);
    if (
      current.offset >= 0 &&
      (o.resetGeneration < generation || (o.resetGeneration === generation && o.offset < current.offset))
    )
      return false;
    if (o.resetGeneration > generation) this.markReset(o.group, o.resetGeneration);
    this.sql.exec(
      `INSERT INTO mq_offset (grp, queue_offset, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (grp) DO UPDATE SET queue_offset = excluded.queue_offset, updated_at = excluded.updated_at`,
      o.group,
      o.offset,
      o.updatedAt,
    );
    return true;
  }

  /** Every group's offset as it replicates. */
  replicated(): ReplicatedOffset[] {
    return this.list().map((o) => ({ ...o, resetGeneration: this.resetGeneration(o.group) }));
  }

  /** A group's committed offset, or -1 with updatedAt 0 when it has none. */
  get(group: string): GroupOffset {
    const row = this.sql
      .exec<{ queue_offset: number; updated_at: number }>(
        'SELECT queue_offset, updated_at FROM mq_offset WHERE grp = ?',
        group,
      )
      .toArray()[0];
    return { group, offset: row?.queue_offset ?? -1, updatedAt: row?.updated_at ?? 0 };
  }

  list(): GroupOffset[] {
    return this.sql
      .exec<{ grp: string; queue_offset: number; updated_at: number }>(
        'SELECT grp, queue_offset, updated_at FROM mq_offset ORDER BY grp',
      )
      .toArray()
      .map((r) => ({ group: r.grp, offset: r.queue_offset, updatedAt: r.updated_at }));
  }

  /** Deletes every offset (the topic was deleted). */
  clear(): void {
    this.sql.exec('DELETE FROM mq_offset');
  }
}
