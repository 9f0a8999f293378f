import { migrate, type MetaTable } from '../schema';
import { STATE_REPLICATION_MIGRATIONS } from './schema';

/**
 * The state of a queue besides its log and offsets that its slaves hold too: pending timers (`mq_timer`,
 * timers.ts), half messages (`mqt_half`, transactions.ts) and pop state (`mqp_cursor`, `mqp_inflight`,
 * `mqp_acked`, pop.ts). RocketMQ keeps each in a topic of its own that replicates with the CommitLog
 * (SCHEDULE_TOPIC_XXXX: ScheduleMessageService; RMQ_SYS_TRANS_HALF_TOPIC and RMQ_SYS_TRANS_OP_HALF_TOPIC:
 * TransactionalMessageBridge; the pop checkpoints of rmq_sys_REVIVE_LOG: PopReviveService), so a slave has them
 * when its master is gone. Here they ship incrementally, in the ReplicationBatch that carries the log's rows
 * (replication.ts):
 *
 * - each row carries `rev`, the revision of its last write: a per-object counter kept in memory (the largest
 *   revision stored, read when the object starts), stamped on the row being written anyway, so that stamping
 *   costs no row;
 * - a delete leaves a tombstone (`mqrs_tombstone`: one row per deleting statement, with the keys it deleted), only
 *   while the queue has slaves, pruned once every slave acknowledged past it (the counter never goes back: it is
 *   read from the revisions stored, tombstoned and acknowledged, and saved in `mq_meta` when the topic is deleted);
 * - a batch carries the rows and tombstones with a revision above the one the slave acknowledged (`mqr_replica`),
 *   so a ship costs what changed since; the slave applies them in the transaction that stores the log's rows,
 *   tombstones first (a row present on the master was written after any delete of its key).
 *
 * A slave holds this state without acting on it: its alarm delivers no timer and checks no transaction, and pops
 * go to the master; reads (`getTimer`, `getHalf`, `popState`) answer from it while the master is down.
 */

/** The replicated tables and their primary keys. */
export const REPLICATED_TABLES = {
  mq_timer: ['timer_id'],
  mqt_half: ['half_id'],
  mqp_cursor: ['grp'],
  mqp_inflight: ['grp', 'seq'],
  mqp_acked: ['grp', 'seq'],
} as const satisfies Record<string, readonly string[]>;

export type ReplicatedTable = keyof typeof REPLICATED_TABLES;

/**
 * A row written to the first table takes the place of the row of the same key in the second: a checkpoint none of
 * whose messages is in flight moves from `mqp_inflight` to `mqp_acked` (pop.ts), and the slave moves it too,
 * so the master writes no tombstone for it.
 */
const REPLACES: Partial<Record<ReplicatedTable, ReplicatedTable>> = { mqp_acked: 'mqp_inflight' };

/**
 * Tables whose rows are inserted and deleted, never updated, under an increasing integer key (AUTOINCREMENT):
 * their revisions grow with the key, so the rows after a revision are found through the key, and `rev` needs no
 * index (which would be one more row written per delayed message, and per delivery).
 */
const INSERT_ONLY: Partial<Record<ReplicatedTable, string>> = { mq_timer: 'timer_id' };

/** A row's primary key, in the order of REPLICATED_TABLES. */
export type RowKey = (string | number)[];

/** What changed in the replicated state since a slave's acknowledged revision. */
export interface StateChanges {
  /** The revision the slave has once it applied this: the next batch carries what changed after it. */
  rev: number;
  /** Rows written since, as stored (column name to value). */
  rows: { table: ReplicatedTable; row: Record<string, SqlStorageValue> }[];
  /** Rows deleted since, by key. */
  deleted: { table: ReplicatedTable; keys: RowKey[] }[];
}

/** The revision a slave that acknowledged none has: every row, revision 0 included, is newer. */
export const NO_STATE_REV = -1;

const TABLES = Object.keys(REPLICATED_TABLES) as ReplicatedTable[];
const COLUMN_NAME = /^[a-z_]+$/;

/** Bytes a row takes in a batch, roughly (blobs and strings by length). */
function rowBytes(row: Record<string, SqlStorageValue>): number {
  let n = 0;
  for (const v of Object.values(row))
    n += v instanceof ArrayBuffer ? v.byteLength : typeof v === 'string' ? v.length : 8;
  return n;
}

type Change = { rev: number; bytes: number } & (
  | { table: ReplicatedTable; row: Record<string, SqlStorageValue> }
  | { table: ReplicatedTable; keys: RowKey[] }
);

export class StateRevisions {
  /** The largest revision given out (held in memory: see the file's comment). */
  private last = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: MetaTable,
    /** Whether the queue ships to slaves now (tombstones are written only then). */
    private readonly replicated: () => boolean,
  ) {}

  /**
   * Creates the tombstones' table and reads the counter (after the replicated tables' own migrations and
   * `mqr_replica`'s): the largest revision stored, tombstoned, or acknowledged by a slave (a revision given to a
   * write whose transaction rolled back may have been shipped as the end of a batch), and `state_rev`, saved when
   * the topic is deleted.
   */
  migrate(): void {
    migrate(this.sql, 'mqrs', STATE_REPLICATION_MIGRATIONS);
    const max = (query: string) => this.sql.exec<{ r: number | null }>(query).one().r ?? 0;
    const stored = TABLES.map((t) => max(`SELECT MAX(rev) AS r FROM ${t}`));
    const tombstone = max('SELECT MAX(rev) AS r FROM mqrs_tombstone');
    const acked = max('SELECT MAX(acked_state_rev) AS r FROM mqr_replica');
    this.last = Math.max(Number(this.meta.get('state_rev') ?? 0), tombstone, acked, ...stored);
  }

  /** The revision to stamp on a row written now. */
  next(): number {
    return ++this.last;
  }

  /** The latest revision given out. */
  current(): number {
    return this.last;
  }

  /** Records rows deleted from `table` (by key), so that the slaves delete them too; nothing when there is none or no slave. */
  deleted(table: ReplicatedTable, keys: RowKey[]): void {
    if (keys.length === 0 || !this.replicated()) return;
    this.sql.exec(
      'INSERT INTO mqrs_tombstone (rev, tbl, keys) VALUES (?, ?, ?)',
      this.next(),
      table,
      JSON.stringify(keys),
    );
  }

  /**
   * The changes after revision `after`, oldest first: at most `maxRows` rows and tombstones, stopping once rows pass
   * `maxBytes` (at least one). Everything up to the answer's `rev` is in it.
   */
  changes(after: number, maxRows: number, maxBytes: number): StateChanges | null {
    if (after >= this.last) return null;
    let cut = this.last;
    const found: Change[] = [];
    const read = (rows: Change[]) => {
      // A source that filled its limit may have more beyond its last revision: the batch stops there.
      if (rows.length >= maxRows) cut = Math.min(cut, rows[rows.length - 1].rev);
      found.push(...rows);
    };
    for (const table of TABLES) {
      read(
        this.rowsAfter(table, after, maxRows).map((row) => ({
          rev: row.rev as number,
          bytes: rowBytes(row),
          table,
          row,
        })),
      );
    }
    const tombstones = this.sql
      .exec<{ rev: number; tbl: ReplicatedTable; keys: string }>(
        'SELECT rev, tbl, keys FROM mqrs_tombstone WHERE rev > ? ORDER BY rev LIMIT ?',
        after,
        maxRows,
      )
      .toArray();
    read(
      tombstones.map((t) => ({ rev: t.rev, bytes: t.keys.length, table: t.tbl, keys: JSON.parse(t.keys) as RowKey[] })),
    );

    const out: StateChanges = { rev: cut, rows: [], deleted: [] };
    let bytes = 0;
    let count = 0;
    let previous = after;
    for (const c of found.filter((c) => c.rev <= cut).sort((a, b) => a.rev - b.rev)) {
      // Full: stop between two revisions (rows of different tables may share one: see revColumn), so that everything
      // up to the previous one is in.
      if (count > 0 && (count >= maxRows || bytes >= maxBytes) && c.rev !== previous) {
        out.rev = previous;
        break;
      }
      previous = c.rev;
      if ('row' in c) out.rows.push({ table: c.table, row: c.row });
      else out.deleted.push({ table: c.table, keys: c.keys });
      bytes += c.bytes;
      count++;
    }
    return out;
  }

  /** The rows of `table` written after revision `after`, in revision order, at most `limit`. */
  private rowsAfter(table: ReplicatedTable, after: number, limit: number): Record<string, SqlStorageValue>[] {
    const key = INSERT_ONLY[table];
    if (!key)
      return this.sql
        .exec<Record<string, SqlStorageValue>>(
          `SELECT * FROM ${table} WHERE rev > ? ORDER BY rev LIMIT ?`,
          after,
          limit,
        )
        .toArray();
    const from = this.firstKeyAfter(table, key, after);
    if (from === null) return [];
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT * FROM ${table} WHERE ${key} >= ? ORDER BY ${key} LIMIT ?`,
        from,
        limit,
      )
      .toArray();
  }

  /**
   * In an INSERT_ONLY table: the smallest key whose row has a revision above `after`, or null. A binary search over
   * the key (revisions grow with it), each step one lookup by primary key.
   */
  private firstKeyAfter(table: ReplicatedTable, key: string, after: number): number | null {
    const bounds = this.sql
      .exec<{ lo: number | null; hi: number | null }>(`SELECT MIN(${key}) AS lo, MAX(${key}) AS hi FROM ${table}`)
      .one();
    if (bounds.lo === null || bounds.hi === null) return null;
    // The first row at or after key x: its revision grows with x.
    const at = (x: number) =>
      this.sql
        .exec<{ k: number; rev: number }>(
          `SELECT ${key} AS k, rev FROM ${table} WHERE ${key} >= ? ORDER BY ${key} LIMIT 1`,
          x,
        )
        .one();
    if (at(bounds.hi).rev <= after) return null;
    let lo = bounds.lo;
    let hi = bounds.hi;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (at(mid).rev > after) hi = mid;
      else lo = mid + 1;
    }
    return at(lo).k;
  }

  /** On a slave: applies a batch's changes (inside the caller's transaction), deletes first. */
  apply(changes: StateChanges): void {
    for (const { table, keys } of changes.deleted) {
      if (!REPLICATED_TABLES[table]) throw new Error(`replication: ${table} is not a replicated table`);
      for (const key of keys) this.deleteRow(table, key);
    }
    for (const { table, row } of changes.rows) {
      if (!REPLICATED_TABLES[table]) throw new Error(`replication: ${table} is not a replicated table`);
      const columns = Object.keys(row);
      if (!columns.every((c) => COLUMN_NAME.test(c))) throw new Error(`replication: bad column in a row of ${table}`);
      this.sql.exec(
        `INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        ...Object.values(row),
      );
      const replaced = REPLACES[table];
      if (replaced)
        this.deleteRow(
          replaced,
          REPLICATED_TABLES[table].map((c) => row[c] as string | number),
        );
    }
  }

  private deleteRow(table: ReplicatedTable, key: RowKey): void {
    this.sql.exec(
      `DELETE FROM ${table} WHERE ${REPLICATED_TABLES[table].map((c) => `${c} = ?`).join(' AND ')}`,
      ...key,
    );
  }

  /** Drops the tombstones every slave has (at or below `acked`; the counter, read from the acknowledgements too, stays past them). */
  prune(acked: number): void {
    this.sql.exec('DELETE FROM mqrs_tombstone WHERE rev <= ?', acked);
  }

  /** Drops the tombstones (the topic was deleted: the slaves drop their copies of the state); the counter goes on. */
  clear(): void {
    this.meta.set('state_rev', this.last);
    this.sql.exec('DELETE FROM mqrs_tombstone');
  }
}
