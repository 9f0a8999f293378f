import { revColumn } from './queue-state-replication';
import { TIMERS_MIGRATION } from './queue-timers';

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
  // 4. The revision of a timer's last write, for the slaves (queue-state-replication.ts).
  revColumn('mq_timer', 'timer_id'),
];
