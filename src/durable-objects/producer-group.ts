import { DurableObject } from 'cloudflare:workers';
import { newCheckSecret } from '../core/check-signing';
import { MAX_DISCARDED_KEPT, type HalfMessageView } from '../core/transaction';
import type { Env } from '../env';
import { MetaTable, migrate } from './schema';
import { toAllNameServers } from './name-server-client';
import { answer, type Outcome } from '../core/outcome';

const MIGRATIONS = [
  `CREATE TABLE pg_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
   CREATE TABLE pg_discarded (
     transaction_handle TEXT PRIMARY KEY,
     discarded_at INTEGER NOT NULL,
     half TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX pg_discarded_at ON pg_discarded (discarded_at);`,
];

/** A producer group's settings and what the API shows of it. */
export interface ProducerGroupStatus {
  group: string;
  /** Where the queue objects POST half messages due for a check; null when the group has none. */
  checkUrl: string | null;
  /** When checkUrl was last set; 0 if never. */
  updatedAt: number;
  /** Transactions discarded after their last check, since the group began (the list keeps the newest 1000). */
  discardedTotal: number;
}

/** A half message discarded after its last check, with its body in base64. */
export interface DiscardedTransaction extends HalfMessageView {
  discardedAt: number;
}

/**
 * One producer group (RocketMQ's producer group, as the broker knows it for
 * transaction check-back): its check URL, and the transactions discarded
 * after their last check, kept for operators to list.
 */
export class ProducerGroup extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly meta: MetaTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.meta = new MetaTable(this.sql, 'pg_meta');
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, 'pg', MIGRATIONS));
  }

  /**
   * Sets (or with null removes) the check URL, and the check secret when one
   * is given (validated by the caller); otherwise keeps the group's secret, or
   * draws one. Answers the status with the secret: only the admin who
   * configures the group sees it (docs/transactions.md#signed-checks).
   */
  configure(
    group: string,
    checkUrl: string | null,
    checkSecret?: string,
  ): Promise<Outcome<ProducerGroupStatus & { checkSecret: string }>> {
    return answer(async () => {
      this.meta.set('name', group);
      this.meta.set('check_url', checkUrl ?? '');
      this.meta.set('updated_at', Date.now());
      if (checkSecret !== undefined) this.meta.set('check_secret', checkSecret);
      await this.#register(group);
      return { ...this.#status(group), checkSecret: this.#checkSecret() };
    });
  }

  /** Lists the group with the NameServers (GET /api/v1/producer-groups), once. */
  async #register(group: string): Promise<void> {
    if (this.meta.get('registered') === 1) return;
    if (await toAllNameServers(this.env, (ns) => ns.registerProducerGroup(group))) this.meta.set('registered', 1);
  }

  /** The check secret; drawn on first use (a group configured before secrets existed gets one at its first check). */
  #checkSecret(): string {
    const secret = this.meta.get('check_secret');
    if (typeof secret === 'string' && secret !== '') return secret;
    const drawn = newCheckSecret();
    this.meta.set('check_secret', drawn);
    return drawn;
  }

  status(group: string): Outcome<ProducerGroupStatus> {
    return answer(() => this.#status(group));
  }

  #status(group: string): ProducerGroupStatus {
    return {
      group,
      checkUrl: this.#checkUrl(),
      updatedAt: Number(this.meta.get('updated_at') ?? 0),
      discardedTotal: Number(this.meta.get('discarded_total') ?? 0),
    };
  }

  #checkUrl(): string | null {
    const url = this.meta.get('check_url');
    return typeof url === 'string' && url !== '' ? url : null;
  }

  /** Where to POST checks and the secret to sign them with; null when the group has no check URL. */
  checkTarget(): Outcome<{ url: string; secret: string } | null> {
    return answer(() => {
      const url = this.#checkUrl();
      return url === null ? null : { url, secret: this.#checkSecret() };
    });
  }

  /** Records discarded transactions; idempotent per transaction handle. Keeps the newest MAX_DISCARDED_KEPT. */
  recordDiscarded(group: string, halves: HalfMessageView[]): Promise<Outcome<number>> {
    return answer(async () => {
      await this.#register(group);
      const now = Date.now();
      let added = 0;
      this.ctx.storage.transactionSync(() => {
        if (this.meta.get('name') === undefined) this.meta.set('name', group);
        for (const h of halves) {
          added += this.sql
            .exec(
              'INSERT OR IGNORE INTO pg_discarded (transaction_handle, discarded_at, half) VALUES (?, ?, ?) RETURNING 1',
              h.transactionHandle,
              now,
              JSON.stringify(h),
            )
            .toArray().length;
        }
        this.meta.set('discarded_total', Number(this.meta.get('discarded_total') ?? 0) + added);
        this.sql.exec(
          `DELETE FROM pg_discarded WHERE transaction_handle IN (
             SELECT transaction_handle FROM pg_discarded ORDER BY discarded_at DESC, transaction_handle DESC LIMIT -1 OFFSET ?)`,
          MAX_DISCARDED_KEPT,
        );
      });
      return added;
    });
  }

  /** The newest discarded transactions (of `topic` only, when given), newest first, and how many the list holds (of every topic). */
  listDiscarded(max: number, topic?: string): Outcome<{ kept: number; transactions: DiscardedTransaction[] }> {
    return answer(() => {
      const kept = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM pg_discarded').one().n;
      const rows =
        topic === undefined
          ? this.sql.exec<{ discarded_at: number; half: string }>(
              'SELECT discarded_at, half FROM pg_discarded ORDER BY discarded_at DESC, transaction_handle DESC LIMIT ?',
              max,
            )
          : this.sql.exec<{ discarded_at: number; half: string }>(
              "SELECT discarded_at, half FROM pg_discarded WHERE json_extract(half, '$.topic') = ? ORDER BY discarded_at DESC, transaction_handle DESC LIMIT ?",
              topic,
              max,
            );
      const transactions = rows
        .toArray()
        .map((r) => ({ ...(JSON.parse(r.half) as HalfMessageView), discardedAt: r.discarded_at }));
      return { kept, transactions };
    });
  }
}
