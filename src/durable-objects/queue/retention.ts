import { deleteWhenHours, nextRetentionRun, retentionCutoff } from '../../core/retention';
import type { QueueLog } from './log';
import { migrate } from '../schema';
import { RETENTION_MIGRATIONS } from './schema';

/**
 * Retention of one queue object (RocketMQ's CleanCommitLogService, per queue): it deletes whole rows of the log
 * from its front (QueueLog.deleteOlderThan, deleteOldestBytes), so that offsets are never reused and the min
 * offset is the first offset of the oldest row kept. The bytes the log holds are its own count
 * (QueueLog.bytes(): two rows' byte positions), not a table kept by triggers. `mqret_stats` keeps when
 * retention last ran; `mqret_correction` records the last time a group's offset was moved up to the min offset
 * because what it pointed at had been deleted.
 */

/** Messages one retention transaction deletes at most. */
export const RETENTION_CHUNK = 5_000;
/** Messages one alarm run deletes at most; the alarm re-arms at once for the rest. */
export const MAX_RETENTION_DELETES_PER_RUN = 100_000;

/** The broker's retention settings and the cluster's cap, for one queue object. */
export interface RetentionPolicy {
  /** Hours (UTC, "04;16") when messages older than fileReservedTime are deleted. */
  deleteWhen: string;
  /** Hours a message is kept. */
  fileReservedTime: number;
  /** Storage cap of the object: above it the oldest messages go, at any hour. */
  maxQueueBytes: number;
}

export interface RetentionRun {
  deletedByAge: number;
  deletedByCap: number;
}

/** A group's offset moved up to the min offset (its messages were deleted). */
export interface OffsetCorrection {
  from: number;
  to: number;
  at: number;
}

export class QueueRetention {
  constructor(
    private readonly sql: SqlStorage,
    private readonly log: QueueLog,
  ) {}

  /** Creates the tables (after the log's own migrations); call under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, 'mqret', RETENTION_MIGRATIONS);
  }

  /** Bytes the log holds. */
  bytes(): number {
    return this.log.bytes();
  }

  private lastRun(): number {
    return this.sql.exec<{ last_run: number }>('SELECT last_run FROM mqret_stats WHERE id = 1').one().last_run;
  }

  /** Over the cap (never while an old log is being moved: retention waits for the migration, a few alarm runs). */
  overCap(policy: Pick<RetentionPolicy, 'maxQueueBytes'>): boolean {
    return !this.log.migrating() && this.bytes() > policy.maxQueueBytes;
  }

  /**
   * Now when over the cap; else the first deleteWhen hour at which the
   * oldest row's last message is past fileReservedTime; null when the log is
   * empty (so an idle, empty queue has no alarm) or being migrated.
   */
  nextDue(policy: RetentionPolicy, now: number): number | null {
    if (this.log.migrating()) return null;
    if (this.overCap(policy)) return now;
    const oldest = this.log.oldestRowEnd();
    if (oldest === null) return null;
    const eligibleAt = Math.max(now, oldest + policy.fileReservedTime * 3_600_000);
    return nextRetentionRun(deleteWhenHours(policy.deleteWhen), this.lastRun(), eligibleAt);
  }

  /**
   * Does what is due at `now`: in a deleteWhen hour not yet run, deletes the
   * rows whose messages are all older than fileReservedTime; at any hour,
   * while over the cap, deletes the oldest messages. Always from the front of
   * the log, so the min offset advances and offsets are never reused
   * (`setFloor` records the next offset for an emptied log). Chunked
   * transactions; stops after MAX_RETENTION_DELETES_PER_RUN and leaves the
   * rest due now.
   */
  run(
    policy: RetentionPolicy,
    now: number,
    transaction: (fn: () => void) => void,
    setFloor: (offset: number) => void,
  ): RetentionRun {
    let deletedByAge = 0;
    let deletedByCap = 0;
    if (this.log.migrating()) return { deletedByAge, deletedByCap };
    const budget = () => MAX_RETENTION_DELETES_PER_RUN - deletedByAge - deletedByCap;
    const chunk = (remove: () => { deleted: number; next: number }): number => {
      let deleted = 0;
      transaction(() => {
        const run = remove();
        deleted = run.deleted;
        if (run.deleted > 0) setFloor(run.next);
      });
      return deleted;
    };
    if (nextRetentionRun(deleteWhenHours(policy.deleteWhen), this.lastRun(), now) === now) {
      const cutoff = retentionCutoff(policy.fileReservedTime, now);
      let done = false;
      while (budget() > 0) {
        // Store times never go back within a queue, so what is past the cutoff is a prefix of the log.
        const deleted = chunk(() => this.log.deleteOlderThan(cutoff, Math.min(RETENTION_CHUNK, budget())));
        if (deleted === 0) {
          done = true;
          break;
        }
        deletedByAge += deleted;
      }
      if (done) this.sql.exec('UPDATE mqret_stats SET last_run = ? WHERE id = 1', now);
    }
    while (budget() > 0 && this.overCap(policy)) {
      const excess = this.bytes() - policy.maxQueueBytes;
      const deleted = chunk(() => this.log.deleteOldestBytes(excess, Math.min(RETENTION_CHUNK, budget())));
      if (deleted === 0) break;
      deletedByCap += deleted;
    }
    return { deletedByAge, deletedByCap };
  }

  /** Records that `group`'s offset was moved from `from` up to the min offset `to`. */
  recordCorrection(group: string, from: number, to: number, now: number): void {
    this.sql.exec(
      `INSERT INTO mqret_correction (grp, from_offset, to_offset, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (grp) DO UPDATE SET from_offset = excluded.from_offset, to_offset = excluded.to_offset, at = excluded.at`,
      group,
      from,
      to,
      now,
    );
  }

  /** The last correction of a group's offset on this queue, or null. */
  correction(group: string): OffsetCorrection | null {
    const row = this.sql
      .exec<{ from_offset: number; to_offset: number; at: number }>(
        'SELECT from_offset, to_offset, at FROM mqret_correction WHERE grp = ?',
        group,
      )
      .toArray()[0];
    return row ? { from: row.from_offset, to: row.to_offset, at: row.at } : null;
  }

  /** Drops the corrections (the topic was deleted). The byte count is the log's own. */
  clear(): void {
    this.sql.exec('DELETE FROM mqret_correction');
  }
}
