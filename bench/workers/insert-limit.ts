import { DurableObject } from 'cloudflare:workers';

/**
 * limit.doInsert: how many rows one SQLite-backed Durable Object inserts
 * within one request. `plain` rows are (id, 1 KiB blob); `flaremq` rows have
 * the shape and the three secondary indexes of flaremq's mq_message table,
 * to show what the indexes cost against the plain ceiling.
 */
export class InsertLimit extends DurableObject {
  insert(rows: number, size: number, schema: 'plain' | 'flaremq'): number {
    const sql = this.ctx.storage.sql;
    const body = new Uint8Array(size);
    crypto.getRandomValues(body.subarray(0, Math.min(size, 65536)));
    if (schema === 'plain') {
      sql.exec('CREATE TABLE IF NOT EXISTS row (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    } else {
      sql.exec(`CREATE TABLE IF NOT EXISTS row (id INTEGER PRIMARY KEY, body BLOB NOT NULL, tags TEXT NOT NULL, keys TEXT NOT NULL,
        properties TEXT NOT NULL, born_ts INTEGER NOT NULL, store_ts INTEGER NOT NULL, unique_key TEXT NOT NULL, reconsume_times INTEGER NOT NULL)`);
      sql.exec('CREATE INDEX IF NOT EXISTS row_store_ts ON row (store_ts)');
      sql.exec('CREATE INDEX IF NOT EXISTS row_unique_key ON row (unique_key)');
      sql.exec('CREATE INDEX IF NOT EXISTS row_tags ON row (tags, id)');
    }
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (let i = 0; i < rows; i++) {
        if (schema === 'plain') {
          sql.exec('INSERT INTO row (id, body) VALUES (?, ?)', i, body.buffer);
        } else {
          const uniqueKey = `${now.toString(16)}${Math.floor(Math.random() * 2 ** 48).toString(16)}${i}`;
          sql.exec(
            'INSERT INTO row (id, body, tags, keys, properties, born_ts, store_ts, unique_key, reconsume_times) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            i, body.buffer, '', '', '{}', now, now, uniqueKey, 0,
          );
        }
      }
    });
    return rows;
  }

  /** One row per call: each call is its own event, so its own commit (limit.doCommit). */
  insertOne(id: number, size: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS one (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    sql.exec('INSERT INTO one (id, body) VALUES (?, ?)', id, new Uint8Array(size).buffer);
  }

  /** A call that stores nothing (to tell the commit from the call). */
  noop(): number {
    return 0;
  }
}
