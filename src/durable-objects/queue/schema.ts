/**
 * The `rev` column each replicated table gets, in a migration of the table's own module (so that a later migration
 * rebuilding the table sees it). Rows written before it take `existing`, an expression distinct per row of the
 * table (its key), so that no revision is shared by more rows than there are tables and a batch can always stop
 * between two revisions; a slave's first batch (acknowledged revision NO_STATE_REV) takes them all. `mqt_half` (a row
 * per message, updated by checks) indexes `rev`; `mq_timer` needs no index (INSERT_ONLY: `existing` must then grow
 * with its key); the pop tables (a row per group and per live checkpoint) are read whole when they changed, which
 * saves an index write on every pop and ack.
 */
export const revColumn = (table: string, existing: string, indexed = false): string =>
  `ALTER TABLE ${table} ADD COLUMN rev INTEGER NOT NULL DEFAULT 0; UPDATE ${table} SET rev = ${existing};` +
  (indexed ? ` CREATE INDEX ${table}_rev ON ${table} (rev);` : '');

/**
 * The timers table of a queue object (migration 2 of MessageQueue): delayed
 * messages waiting to be appended. AUTOINCREMENT keeps timer ids from being
 * reused, even after a topic is deleted, so a handle never names another timer.
 */
export const TIMERS_MIGRATION = `CREATE TABLE mq_timer (
     timer_id INTEGER PRIMARY KEY AUTOINCREMENT,
     deliver_at INTEGER NOT NULL,
     scheduled_at INTEGER NOT NULL,
     body BLOB NOT NULL,
     tags TEXT NOT NULL,
     keys TEXT NOT NULL,
     properties TEXT NOT NULL,
     born_ts INTEGER NOT NULL,
     unique_key TEXT NOT NULL,
     reconsume_times INTEGER NOT NULL
   );
   CREATE INDEX mq_timer_due ON mq_timer (deliver_at, timer_id);`;

/**
 * The schema of a queue object's log (prefix `mq`; the version is kept in `mq_schema`). Migration i brings the
 * schema to version i + 1: a later release appends to the list and never edits an entry, since objects created by
 * an older release run only what they have not seen. docs/storage.md describes the tables.
 */
export const QUEUE_MIGRATIONS: readonly string[] = [
  // 1. The first log: a row per message (mq_message) and a row per key (mq_key). Since 3, only objects created
  //    before it hold rows there, moved to mq_batch when they open (legacy-log.ts).
  `CREATE TABLE mq_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
   CREATE TABLE mq_message (
     queue_offset INTEGER PRIMARY KEY,
     body BLOB NOT NULL,
     tags TEXT NOT NULL,
     keys TEXT NOT NULL,
     properties TEXT NOT NULL,
     born_ts INTEGER NOT NULL,
     store_ts INTEGER NOT NULL,
     unique_key TEXT NOT NULL,
     reconsume_times INTEGER NOT NULL
   );
   CREATE INDEX mq_message_store_ts ON mq_message (store_ts);
   CREATE INDEX mq_message_unique_key ON mq_message (unique_key);
   CREATE INDEX mq_message_tags ON mq_message (tags, queue_offset);
   CREATE TABLE mq_key (key TEXT NOT NULL, store_ts INTEGER NOT NULL, queue_offset INTEGER NOT NULL,
     PRIMARY KEY (key, store_ts, queue_offset)) WITHOUT ROWID;
   CREATE TABLE mq_offset (grp TEXT PRIMARY KEY, queue_offset INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;`,
  // 2. Delayed messages.
  TIMERS_MIGRATION,
  // 3. The batch log: a row per append (log-row.ts), keyed by the offset of its first message (the rowid, so an
  //    insert writes one row and no index); log_end is the log's byte position after the row (RocketMQ's CommitLog
  //    physical offset), so that the bytes stored are the difference of two rows. mq_index holds the keys of the
  //    messages that have keys, and the unique keys that their time window does not find (log-row.ts).
  `CREATE TABLE mq_batch (
     first_offset INTEGER PRIMARY KEY,
     count INTEGER NOT NULL,
     first_ts INTEGER NOT NULL,
     last_ts INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     log_end INTEGER NOT NULL,
     tag_mask INTEGER NOT NULL,
     indexed INTEGER NOT NULL,
     key_filter BLOB NOT NULL,
     data BLOB NOT NULL
   );
   CREATE TABLE mq_index (kind INTEGER NOT NULL, key TEXT NOT NULL, store_ts INTEGER NOT NULL, queue_offset INTEGER NOT NULL,
     PRIMARY KEY (kind, key, store_ts, queue_offset)) WITHOUT ROWID;`,
  // 4. The revision of a timer's last write, for the slaves (state-replication.ts).
  revColumn('mq_timer', 'timer_id'),
];

/** Prefix `mql`: member locks (locks.ts). */
export const LOCK_MIGRATIONS: readonly string[] = [
  `CREATE TABLE mql_lock (grp TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;`,
];

/** Prefix `mqs`: traffic per minute (stats.ts). */
export const STATS_MIGRATIONS: readonly string[] = [
  `CREATE TABLE mqs_minute (minute INTEGER PRIMARY KEY, msgs_in INTEGER NOT NULL DEFAULT 0,
     msgs_out INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;`,
  // 2. Each offset key's committed offset at the end of each minute it was stored in, and the messages its commits
  //    moved over in that minute (a group's lag and consumption over time).
  `CREATE TABLE mqs_offset (grp TEXT NOT NULL, minute INTEGER NOT NULL, queue_offset INTEGER NOT NULL,
     consumed INTEGER NOT NULL, PRIMARY KEY (grp, minute)) WITHOUT ROWID;`,
];

/** Prefix `mqp`: pop state: cursors and checkpoints (pop.ts). */
export const POP_MIGRATIONS: readonly string[] = [
  `CREATE TABLE mqp_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
   CREATE TABLE mqp_cursor (grp TEXT PRIMARY KEY, next_offset INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE mqp_inflight (
     grp TEXT NOT NULL,
     queue_offset INTEGER NOT NULL,
     sharding_key TEXT NOT NULL,
     invisible_until INTEGER NOT NULL,
     deliveries INTEGER NOT NULL,
     first_pop_ts INTEGER NOT NULL,
     pop_ts INTEGER NOT NULL,
     handle_seq INTEGER NOT NULL,
     PRIMARY KEY (grp, queue_offset)
   ) WITHOUT ROWID;
   CREATE INDEX mqp_inflight_visible ON mqp_inflight (grp, invisible_until);
   CREATE INDEX mqp_inflight_key ON mqp_inflight (grp, sharding_key, queue_offset);`,
  `ALTER TABLE mqp_inflight ADD COLUMN changed_from_seq INTEGER;
   ALTER TABLE mqp_inflight ADD COLUMN changed_ms INTEGER;
   CREATE TABLE mqp_acked (
     grp TEXT NOT NULL,
     queue_offset INTEGER NOT NULL,
     handle_seq INTEGER NOT NULL,
     forget_at INTEGER NOT NULL,
     PRIMARY KEY (grp, queue_offset)
   ) WITHOUT ROWID;
   CREATE INDEX mqp_acked_forget ON mqp_acked (forget_at);`,
  // Checkpoints instead of a row per message (the tables keep their names; earlier rows move over: an in-flight entry
  // becomes a checkpoint of one message under its handle, held-back entries go to the cursor, acked ones stay acked).
  `ALTER TABLE mqp_inflight RENAME TO mqp_inflight_v2;
   ALTER TABLE mqp_acked RENAME TO mqp_acked_v2;
   CREATE TABLE mqp_inflight (
     grp TEXT NOT NULL,
     seq INTEGER NOT NULL,
     pop_ts INTEGER NOT NULL,
     invisible_until INTEGER NOT NULL,
     live INTEGER NOT NULL,
     msgs TEXT NOT NULL,
     states TEXT NOT NULL,
     changed_from_seq INTEGER,
     changed_ms INTEGER,
     PRIMARY KEY (grp, seq)
   ) WITHOUT ROWID;
   CREATE INDEX mqp_ck_visible ON mqp_inflight (grp, invisible_until);
   CREATE TABLE mqp_acked (grp TEXT NOT NULL, seq INTEGER NOT NULL, forget_at INTEGER NOT NULL, msgs TEXT NOT NULL, states TEXT NOT NULL,
     PRIMARY KEY (grp, seq)) WITHOUT ROWID;
   CREATE INDEX mqp_ck_forget ON mqp_acked (forget_at);
   ALTER TABLE mqp_cursor ADD COLUMN held TEXT NOT NULL DEFAULT '[]';
   INSERT INTO mqp_inflight (grp, seq, pop_ts, invisible_until, live, msgs, states, changed_from_seq, changed_ms)
     SELECT grp, handle_seq, pop_ts, invisible_until, 1, json_array(json_array(queue_offset, deliveries, first_pop_ts, sharding_key)), '[0]',
       changed_from_seq, changed_ms
     FROM mqp_inflight_v2 WHERE deliveries > 0;
   INSERT OR IGNORE INTO mqp_acked (grp, seq, forget_at, msgs, states)
     SELECT grp, changed_from_seq, CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 300000, json_array(json_array(queue_offset, 0, 0, '')),
       json_array(handle_seq)
     FROM mqp_inflight_v2 WHERE deliveries > 0 AND changed_from_seq IS NOT NULL;
   UPDATE mqp_cursor SET held = (SELECT json_group_array(json_array(queue_offset, sharding_key)) FROM
       (SELECT queue_offset, sharding_key FROM mqp_inflight_v2 h WHERE h.grp = mqp_cursor.grp AND h.deliveries = 0 ORDER BY queue_offset))
     WHERE grp IN (SELECT grp FROM mqp_inflight_v2 WHERE deliveries = 0);
   INSERT OR IGNORE INTO mqp_acked (grp, seq, forget_at, msgs, states)
     SELECT grp, handle_seq, forget_at, json_array(json_array(queue_offset, 0, 0, '')), '[-1]' FROM mqp_acked_v2;
   DROP TABLE mqp_inflight_v2;
   DROP TABLE mqp_acked_v2;`,
  // The revision of each row's last write, for the slaves (state-replication.ts).
  revColumn('mqp_cursor', '(SELECT COUNT(*) FROM mqp_cursor c WHERE c.grp <= mqp_cursor.grp)') +
    revColumn('mqp_inflight', 'seq') +
    revColumn('mqp_acked', 'seq'),
];

/** Prefix `mqt`: half messages (transactions.ts). */
export const TRANSACTION_MIGRATIONS: readonly string[] = [
  `CREATE TABLE mqt_half (
     half_id INTEGER PRIMARY KEY AUTOINCREMENT,
     producer_group TEXT NOT NULL,
     body BLOB NOT NULL,
     tags TEXT NOT NULL,
     keys TEXT NOT NULL,
     properties TEXT NOT NULL,
     born_ts INTEGER NOT NULL,
     unique_key TEXT NOT NULL,
     reconsume_times INTEGER NOT NULL,
     prepared_at INTEGER NOT NULL,
     next_check_at INTEGER NOT NULL,
     check_times INTEGER NOT NULL,
     invisible_until INTEGER NOT NULL
   );
   CREATE INDEX mqt_half_due ON mqt_half (next_check_at, half_id);
   CREATE INDEX mqt_half_group ON mqt_half (producer_group, invisible_until, half_id);`,
  // The revision of a half message's last write, for the slaves (state-replication.ts).
  revColumn('mqt_half', 'half_id', true),
];

/** Prefix `mqr`: how far each slave got (replication.ts). */
export const REPLICATION_MIGRATIONS: readonly string[] = [
  `CREATE TABLE mqr_replica (broker_id INTEGER PRIMARY KEY, acked_offset INTEGER NOT NULL, acked_at INTEGER NOT NULL,
     offsets_digest TEXT NOT NULL, failed_at INTEGER NOT NULL, last_error TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE mqr_offset_shadow (grp TEXT PRIMARY KEY, queue_offset INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;`,
  // The revision of the replicated state each slave has (state-replication.ts); -1: none yet.
  `ALTER TABLE mqr_replica ADD COLUMN acked_state_rev INTEGER NOT NULL DEFAULT -1;`,
];

/** Prefix `mqrs`: tombstones of replicated state (state-replication.ts). */
export const STATE_REPLICATION_MIGRATIONS: readonly string[] = [
  `CREATE TABLE mqrs_tombstone (rev INTEGER PRIMARY KEY, tbl TEXT NOT NULL, keys TEXT NOT NULL);`,
];

/** The bytes a message row of the first log counted for (migration 1 only; that log is gone: legacy-log.ts). */
const rowBytes = (r: string) =>
  `(length(${r}.body) + length(${r}.tags) + length(${r}.keys) + length(${r}.properties) + length(${r}.unique_key) + 64)`;

/** Prefix `mqret`: retention runs and offset corrections (retention.ts). */
export const RETENTION_MIGRATIONS: readonly string[] = [
  `CREATE TABLE mqret_stats (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL, last_run INTEGER NOT NULL);
   INSERT INTO mqret_stats (id, bytes, last_run) SELECT 1, COALESCE(SUM(${rowBytes('m')}), 0), 0 FROM mq_message m;
   CREATE TRIGGER mqret_insert AFTER INSERT ON mq_message BEGIN UPDATE mqret_stats SET bytes = bytes + ${rowBytes('NEW')} WHERE id = 1; END;
   CREATE TRIGGER mqret_delete AFTER DELETE ON mq_message BEGIN UPDATE mqret_stats SET bytes = bytes - ${rowBytes('OLD')} WHERE id = 1; END;
   CREATE INDEX mqret_key_offset ON mq_key (queue_offset);
   CREATE TABLE mqret_correction (grp TEXT PRIMARY KEY, from_offset INTEGER NOT NULL, to_offset INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;`,
  // The batch log counts its bytes itself: no trigger per message (mqret_stats.bytes is no longer kept).
  `DROP TRIGGER IF EXISTS mqret_insert;
   DROP TRIGGER IF EXISTS mqret_delete;`,
];
