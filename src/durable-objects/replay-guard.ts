/**
 * The signatures of signed REST writes seen inside their validity window
 * (src/workers/security/replay.ts): a write whose signature is already here is
 * a replay. One object per access key and first hex digit of the signature
 * (16 per key, so that one busy producer's writes spread over 16 objects);
 * a row lives until its signature could no longer pass the timestamp check.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { migrate } from './schema';
import { answer, type Outcome } from '../core/outcome';

const MIGRATIONS = [
  `CREATE TABLE rg_seen (signature TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
   CREATE INDEX rg_seen_expiry ON rg_seen (expires_at);`,
];

/** Rows of expired signatures deleted per call: cleanup stays small and steady. */
const PURGE_BATCH = 256;

export class ReplayGuard extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, 'rg', MIGRATIONS));
  }

  /**
   * Records `signature`, kept until `expiresAt` (ms since the epoch). Returns
   * true the first time, false when it was already recorded (a replay).
   */
  firstUse(signature: string, expiresAt: number, now: number = Date.now()): Outcome<boolean> {
    return answer(() => {
      this.sql.exec(
        'DELETE FROM rg_seen WHERE signature IN (SELECT signature FROM rg_seen WHERE expires_at < ? ORDER BY expires_at LIMIT ?)',
        now,
        PURGE_BATCH,
      );
      const cursor = this.sql.exec(
        'INSERT INTO rg_seen (signature, expires_at) VALUES (?, ?) ON CONFLICT (signature) DO NOTHING',
        signature,
        expiresAt,
      );
      return cursor.rowsWritten > 0;
    });
  }
}
