import { FlareError } from '../core/errors';
import type { GroupOffset } from './message-queue';
import type { MetaTable } from './schema';

/**
 * Consumer offsets of every group on one queue (`mq_offset`), kept beside the
 * log so that reading and advancing an offset is one transaction, and the
 * generation of each group's last offset reset.
 */
export class QueueOffsets {
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: MetaTable,
  ) {}

  /**
   * Stores a group's offset, which must lie within [0, maxOffset]. With a
   * `generation`, refuses a commit made for one older than the group's last
   * offset reset (GENERATION_STALE).
   */
  commit(group: string, offset: number, maxOffset: number, generation?: number): GroupOffset {
    if (generation !== undefined) {
      const reset = Number(this.meta.get(`reset_generation:${group}`) ?? 0);
      if (generation < reset) {
        throw new FlareError('GENERATION_STALE', `the offsets of ${group} were reset in generation ${reset}, after generation ${generation}: reload the committed offset instead`);
      }
    }
    if (offset > maxOffset) {
      throw new FlareError('OFFSET_OUT_OF_RANGE', `offset ${offset} is past the queue's max offset ${maxOffset}`);
    }
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

  /** A group's committed offset, or -1 with updatedAt 0 when it has none. */
  get(group: string): GroupOffset {
    const row = this.sql
      .exec<{ queue_offset: number; updated_at: number }>('SELECT queue_offset, updated_at FROM mq_offset WHERE grp = ?', group)
      .toArray()[0];
    return { group, offset: row?.queue_offset ?? -1, updatedAt: row?.updated_at ?? 0 };
  }

  list(): GroupOffset[] {
    return this.sql
      .exec<{ grp: string; queue_offset: number; updated_at: number }>('SELECT grp, queue_offset, updated_at FROM mq_offset ORDER BY grp')
      .toArray()
      .map((r) => ({ group: r.grp, offset: r.queue_offset, updatedAt: r.updated_at }));
  }

  /** Deletes every offset (the topic was deleted). */
  clear(): void {
    this.sql.exec('DELETE FROM mq_offset');
  }
}
