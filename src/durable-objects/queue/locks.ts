import { FlareError } from '../../core/errors';
import { migrate } from '../schema';
import { LOCK_MIGRATIONS } from './schema';

/** How long a queue lock lasts unless its holder's pulls renew it (RocketMQ's rebalance lock, 60 s). */
export const QUEUE_LOCK_MS = 60_000;

export interface LockHolder {
  clientId: string;
  expiresAt: number;
}

/**
 * What a member is told of a lock it took or renewed: when it expires (this
 * server's clock), and how long it lasts from the moment the server took the
 * request. A client adds `durationMs` to the time it sent the request, which
 * is earlier: a bound that holds whatever its clock says.
 */
export interface LockGrant {
  expiresAt: number;
  durationMs: number;
}

export const grantOf = (holder: LockHolder, now = Date.now()): LockGrant => ({
  expiresAt: holder.expiresAt,
  durationMs: holder.expiresAt - now,
});

/**
 * A pull by the lock's holder writes the lock again only once less than
 * QUEUE_LOCK_MS minus this is left, so that a member pulling many times a
 * second writes it at most once per 10 s, not per pull. It is told the stored
 * expiry (at least 50 s away), so the 30 s its client trusts a lock for keep
 * 20 s of margin (process-queue.ts lockTrusted).
 */
export const LOCK_REWRITE_SLACK_MS = 10_000;

/**
 * Per-group locks on one queue: the member holding a group's lock is the only
 * one of that group that reads the queue, until it releases it or stops
 * renewing it for 60 s. Kept in the queue's own object, beside its offsets.
 */
export class QueueLocks {
  constructor(private readonly sql: SqlStorage) {}

  /** Creates the table; call from the object's constructor, under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, 'mql', LOCK_MIGRATIONS);
  }

  holder(group: string, now = Date.now()): LockHolder | null {
    const row = this.sql
      .exec<{ client_id: string; expires_at: number }>(
        'SELECT client_id, expires_at FROM mql_lock WHERE grp = ?',
        group,
      )
      .toArray()[0];
    return row && row.expires_at > now ? { clientId: row.client_id, expiresAt: row.expires_at } : null;
  }

  /**
   * Takes or renews the lock for `clientId`; QUEUE_LOCKED while another member
   * holds it. A lock of `clientId` with more than QUEUE_LOCK_MS −
   * LOCK_REWRITE_SLACK_MS left is answered as stored, without a write.
   */
  acquire(group: string, clientId: string, now = Date.now()): LockHolder {
    const current = this.holder(group, now);
    if (current && current.clientId === clientId && current.expiresAt - now > QUEUE_LOCK_MS - LOCK_REWRITE_SLACK_MS)
      return current;
    if (current && current.clientId !== clientId) {
      throw new FlareError(
        'QUEUE_LOCKED',
        `member ${current.clientId} of group ${group} holds this queue until it releases it or until ${new Date(current.expiresAt).toISOString()}; retry later`,
      );
    }
    const expiresAt = now + QUEUE_LOCK_MS;
    this.sql.exec(
      `INSERT INTO mql_lock (grp, client_id, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (grp) DO UPDATE SET client_id = excluded.client_id, expires_at = excluded.expires_at`,
      group,
      clientId,
      expiresAt,
    );
    return { clientId, expiresAt };
  }

  /**
   * Renews the lock for `clientId` if the lock names it: held, or expired with
   * no other member having taken it since (RocketMQ's lockBatchMQ, sent by
   * RebalanceImpl.lockAll every 20 s). Unlike {@link acquire} it never takes a
   * lock another member held or that was released, so it needs no assignment:
   * an old owner whose handler still runs keeps the queue until it unlocks.
   * null when the lock is not (or no longer) this member's.
   */
  renew(group: string, clientId: string, now = Date.now()): LockHolder | null {
    const expiresAt = now + QUEUE_LOCK_MS;
    const renewed =
      this.sql.exec('UPDATE mql_lock SET expires_at = ? WHERE grp = ? AND client_id = ?', expiresAt, group, clientId)
        .rowsWritten > 0;
    return renewed ? { clientId, expiresAt } : null;
  }

  /** Releases the lock if `clientId` holds it; true when it did. */
  release(group: string, clientId: string): boolean {
    return this.sql.exec('DELETE FROM mql_lock WHERE grp = ? AND client_id = ?', group, clientId).rowsWritten > 0;
  }

  /** Drops every lock (the queue's topic was deleted). */
  clear(): void {
    this.sql.exec('DELETE FROM mql_lock');
  }
}
