import { parseBroadcastOffsetKey } from '../../core/group-config';
import type { MetaTable } from '../schema';

/** The expiry runs at most this often, whatever the rows' ages (a group that did not answer is asked again then). */
export const BROADCAST_EXPIRY_SPACING_MS = 3_600_000;

/** What one expiry run did. */
export interface BroadcastExpiryRun {
  /** Offset keys (`group#instanceName`) deleted. */
  expired: string[];
  /** Keys kept because their instance is a live member: their updatedAt is moved to now. */
  kept: string[];
}

type Row = { grp: string; updated_at: number };

/**
 * Expiry of broadcasting offsets on one queue: the `group#instanceName` rows
 * of `mq_offset`. Each instance that ever consumed the queue leaves a row;
 * one that stays away (a host gone for good) leaves it forever. Rows last
 * committed longer than the expiry age ago go, with their retention
 * correction and reset generation, unless the group answers that the
 * instance is a live member (an idle instance on a quiet queue commits
 * nothing): those are kept and their updatedAt moved to now, which pushes
 * their next check one age away. Run from the queue object's alarm, beside
 * retention. RocketMQ keeps a broadcasting consumer's offsets on the client
 * (LocalFileOffsetStore), where they go with the host; here they live on the
 * broker, hence this.
 */
export class BroadcastOffsets {
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: MetaTable,
  ) {}

  private lastRun(): number {
    return Number(this.meta.get('broadcast_expiry_run') ?? 0);
  }

  /** When the oldest broadcasting row turns `expiryMs` old (at most once per BROADCAST_EXPIRY_SPACING_MS); null when there is none. */
  nextDue(expiryMs: number): number | null {
    const oldest = this.sql
      .exec<{ t: number | null }>("SELECT MIN(updated_at) AS t FROM mq_offset WHERE instr(grp, '#') > 0")
      .one().t;
    if (oldest === null) return null;
    return Math.max(oldest + expiryMs, this.lastRun() + BROADCAST_EXPIRY_SPACING_MS);
  }

  /**
   * Deletes the rows last committed before `now - expiryMs` whose instance
   * `liveInstances(group)` does not list; null from it (the group did not
   * answer) keeps that group's rows until the next run. A commit that lands
   * while the group is asked makes its row recent, and it is then kept.
   */
  async expire(
    now: number,
    expiryMs: number,
    liveInstances: (group: string) => Promise<string[] | null>,
  ): Promise<BroadcastExpiryRun> {
    this.meta.set('broadcast_expiry_run', now);
    const cutoff = now - expiryMs;
    const byGroup = new Map<string, { key: string; instanceName: string }[]>();
    for (const r of this.sql.exec<Row>(
      "SELECT grp, updated_at FROM mq_offset WHERE instr(grp, '#') > 0 AND updated_at < ?",
      cutoff,
    )) {
      const parsed = parseBroadcastOffsetKey(r.grp);
      if (!parsed) continue;
      const rows = byGroup.get(parsed.group) ?? [];
      rows.push({ key: r.grp, instanceName: parsed.instanceName });
      byGroup.set(parsed.group, rows);
    }
    const run: BroadcastExpiryRun = { expired: [], kept: [] };
    for (const [group, rows] of byGroup) {
      const live = await liveInstances(group);
      if (live === null) continue;
      for (const { key, instanceName } of rows) {
        if (live.includes(instanceName)) {
          if (
            this.sql.exec('UPDATE mq_offset SET updated_at = ? WHERE grp = ? AND updated_at < ?', now, key, cutoff)
              .rowsWritten > 0
          )
            run.kept.push(key);
        } else if (
          this.sql.exec('DELETE FROM mq_offset WHERE grp = ? AND updated_at < ?', key, cutoff).rowsWritten > 0
        ) {
          this.sql.exec('DELETE FROM mqret_correction WHERE grp = ?', key);
          this.sql.exec('DELETE FROM mq_meta WHERE key = ?', `reset_generation:${key}`);
          run.expired.push(key);
        }
      }
    }
    return run;
  }
}
