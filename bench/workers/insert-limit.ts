import { DurableObject } from 'cloudflare:workers';

export type RowShape = 'plain' | 'flaremq';

/**
 * limit.doInsert: how many rows one SQLite-backed Durable Object inserts.
 * `plain` rows are (id, blob); `flaremq` rows have the shape and the three
 * secondary indexes of flaremq's mq_message table, to show what they cost
 * against the plain ceiling.
 */
export class InsertLimit extends DurableObject {
  private nextId = 0;
  private shape: RowShape | null = null;

  private ensureTable(shape: RowShape): void {
    if (this.shape === shape) return;
    const sql = this.ctx.storage.sql;
    if (shape === 'plain') {
      sql.exec('CREATE TABLE IF NOT EXISTS row (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    } else {
      sql.exec(`CREATE TABLE IF NOT EXISTS row (id INTEGER PRIMARY KEY, body BLOB NOT NULL, tags TEXT NOT NULL, keys TEXT NOT NULL,
        properties TEXT NOT NULL, born_ts INTEGER NOT NULL, store_ts INTEGER NOT NULL, unique_key TEXT NOT NULL, reconsume_times INTEGER NOT NULL)`);
      sql.exec('CREATE INDEX IF NOT EXISTS row_store_ts ON row (store_ts)');
      sql.exec('CREATE INDEX IF NOT EXISTS row_unique_key ON row (unique_key)');
      sql.exec('CREATE INDEX IF NOT EXISTS row_tags ON row (tags, id)');
    }
    this.shape = shape;
  }

  /** Inserts `rows` rows of `size` bytes in one transaction. */
  insert(rows: number, size: number, shape: RowShape): number {
    this.ensureTable(shape);
    const sql = this.ctx.storage.sql;
    const body = new Uint8Array(size);
    crypto.getRandomValues(body.subarray(0, Math.min(size, 65536)));
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (let i = 0; i < rows; i++) {
        const id = this.nextId++;
        if (shape === 'plain') {
          sql.exec('INSERT INTO row (id, body) VALUES (?, ?)', id, body.buffer);
        } else {
          // A unique key like flaremq's: time, then random (so its index takes inserts all over).
          const uniqueKey = `${now.toString(16)}${Math.floor(Math.random() * 2 ** 48).toString(16)}${id}`;
          sql.exec(
            'INSERT INTO row (id, body, tags, keys, properties, born_ts, store_ts, unique_key, reconsume_times) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            id,
            body.buffer,
            '',
            '',
            '{}',
            now,
            now,
            uniqueKey,
            0,
          );
        }
      }
    });
    return rows;
  }

  /**
   * limit.commitLatency: one row written and made durable (`storage.sync()`, what a SYNC_FLUSH send waits for),
   * `n` times one after the other; the mean milliseconds per commit, timed in the object (its clock advances on I/O).
   */
  async commitLatency(n: number, size: number): Promise<number> {
    this.ensureTable('plain');
    const body = new Uint8Array(size);
    const start = Date.now();
    for (let i = 0; i < n; i++) {
      this.ctx.storage.sql.exec('INSERT INTO row (id, body) VALUES (?, ?)', this.nextId++, body.buffer);
      await this.ctx.storage.sync();
    }
    return (Date.now() - start) / n;
  }
}
