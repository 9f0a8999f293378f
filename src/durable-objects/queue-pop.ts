import { FlareError } from '../core/errors';
import { MAX_PULL_BYTES, PULL_SCAN_WINDOW } from '../core/limits';
import type { StoredMessage } from '../core/message';
import { PROPERTY_RETRY_TOPIC, shardingKeyOf } from '../core/system-properties';
import type { StartFrom } from './message-queue';
import type { QueueLog, ScanFilter } from './queue-log';
import { migrate } from './schema';

/**
 * Pop state of one queue, per consumer group (RocketMQ 5's SimpleConsumer):
 * a cursor (the next offset never popped) and the in-flight entries, each a
 * message popped and not acked yet, with when it becomes visible again, how
 * often it was delivered, and the sequence number of its current receipt
 * handle. In ordered pops, entries with `deliveries = 0` are messages read past
 * the cursor but held back behind an earlier message of their sharding key.
 *
 * So that a client may repeat a call whose answer it lost (RocketMQ's ack and
 * changeInvisibleDuration are safe to repeat), an entry remembers the handle
 * its last change of invisibility replaced (`changed_from_seq`, with the
 * `changed_ms` asked), and an acked delivery leaves a row in `mqp_acked` for
 * ACK_REPEAT_WINDOW_MS.
 */
const MIGRATIONS = [
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
];

/** Messages an ordered pop may hold back per group and queue; the cursor stops there until some are acked. */
export const MAX_HELD_BACK = 1000;
/** A message on its way to the DLQ stays invisible this long; if the Worker fails to move it, the next pop tries again. */
export const DEAD_LETTER_HOLD_MS = 30_000;
/** In-flight entries one pop looks at, at most (lapsed ones, and held-back ones in an ordered pop). */
const MAX_ENTRIES_PER_POP = 1000;
/**
 * How long an acked delivery is remembered, so that the same ack repeated (its
 * answer was lost) is answered `acked` again rather than RECEIPT_HANDLE_EXPIRED.
 * It covers the SDK's retries (4 attempts with their timeouts) many times over.
 */
export const ACK_REPEAT_WINDOW_MS = 5 * 60_000;
/** Offsets one pop scans past its cursor, at most, when the tag filter rejects them. */
const MAX_SCAN_PER_POP = 10 * PULL_SCAN_WINDOW;

export interface PopRequest {
  group: string;
  maxMessages: number;
  invisibleMs: number;
  /** Accepted tags; null for every message. */
  tags: readonly string[] | null;
  /** Ordered pop: a message waits until the one before it with the same sharding key is acked. */
  orderly: boolean;
  /** Where the group's cursor starts on its first pop of this queue. */
  startFrom: StartFrom;
  /** A message delivered more than this many times goes to the group's DLQ instead. */
  maxReconsumeTimes: number;
  /** Stop adding messages once bodies pass this many bytes. @defaultValue MAX_PULL_BYTES */
  maxBytes?: number;
  /**
   * In a group's retry topic: only the retry messages of this topic (their
   * RETRY_TOPIC property), for a pop of it. `group` is then the pop state's
   * key for that topic (popStateKey in core/receipt-handle.ts).
   */
  retryOf?: string;
}

/** What a pop takes from the log: the tags it accepts and, in a retry topic, the topic whose retry messages it wants. */
export type PopFilter = Pick<PopRequest, 'tags' | 'retryOf'>;

/** A pop's filter as a scan of the log takes it. */
function scanFilter(f: PopFilter): ScanFilter {
  const retryOf = f.retryOf;
  return { tags: f.tags ?? null, accept: retryOf === undefined ? undefined : (m) => m.properties[PROPERTY_RETRY_TOPIC] === retryOf };
}

/** Whether a stored message passes a pop's filter (as scanFilter, for one message). */
function accepts(f: PopFilter, message: StoredMessage): boolean {
  return (!f.tags || f.tags.includes(message.tags)) && (f.retryOf === undefined || message.properties[PROPERTY_RETRY_TOPIC] === f.retryOf);
}

/** One delivery of a message to the group. */
export interface PoppedEntry {
  message: StoredMessage;
  handleSeq: number;
  /** This delivery. */
  popTimestamp: number;
  /** The first delivery. */
  firstPopTimestamp: number;
  /** When it becomes visible again unless acked. */
  invisibleUntil: number;
  /** Deliveries so far, this one included (RocketMQ's consumed times). */
  deliveries: number;
}

export interface PopAnswer {
  messages: PoppedEntry[];
  /**
   * Messages whose next delivery would pass maxReconsumeTimes: not delivered,
   * but held invisible for DEAD_LETTER_HOLD_MS so that the caller sends them to
   * the group's DLQ and then acks them with their handleSeq.
   */
  deadLetters: PoppedEntry[];
}

/** What the queue object tells the pop about its log. */
export interface QueueBounds {
  nextOffset: number;
  minOffset(): number;
  startOffset(from: StartFrom): number;
}

/** Why an ack or a change of invisibility found nothing: no entry, or a newer handle. */
export type HandleProblem = 'NOT_IN_FLIGHT' | 'SUPERSEDED';

export type AckOutcome = { acked: true } | { acked: false; problem: HandleProblem };

/** The group's pop state on this queue, for tests and operators. */
export interface PopState {
  /** Next offset never popped; -1 before the group's first pop here. */
  cursor: number;
  /** Popped and not acked (invisible or waiting for redelivery). */
  inFlight: number;
  /** Held back by an ordered pop behind an earlier message of their sharding key. */
  heldBack: number;
}

type EntryRow = {
  grp: string;
  queue_offset: number;
  sharding_key: string;
  invisible_until: number;
  deliveries: number;
  first_pop_ts: number;
  pop_ts: number;
  handle_seq: number;
  /** The handle the last change of invisibility replaced, and the invisible time it asked; null since the last pop. */
  changed_from_seq: number | null;
  changed_ms: number | null;
};

/** The head-of-key rule of ordered pops: no earlier in-flight entry of the same sharding key. */
const HEAD_OF_KEY = `(f.sharding_key = '' OR NOT EXISTS (SELECT 1 FROM mqp_inflight e
  WHERE e.grp = f.grp AND e.sharding_key = f.sharding_key AND e.queue_offset < f.queue_offset))`;

export class QueuePops {
  constructor(
    private readonly sql: SqlStorage,
    private readonly log: Pick<QueueLog, 'get' | 'scan'>,
  ) {}

  /** Creates the tables; call from the object's constructor, under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, 'mqp', MIGRATIONS);
  }

  /** A fresh handle sequence number: never reused in this queue, not even after its topic is deleted. */
  private nextSeq(): number {
    return this.sql
      .exec<{ value: number }>(
        `INSERT INTO mqp_meta (key, value) VALUES ('handle_seq', 1)
         ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value`,
      )
      .one().value;
  }

  private cursor(group: string): number | null {
    return this.sql.exec<{ next_offset: number }>('SELECT next_offset FROM mqp_cursor WHERE grp = ?', group).toArray()[0]?.next_offset ?? null;
  }

  private setCursor(group: string, offset: number): void {
    this.sql.exec(
      'INSERT INTO mqp_cursor (grp, next_offset) VALUES (?, ?) ON CONFLICT (grp) DO UPDATE SET next_offset = excluded.next_offset',
      group,
      offset,
    );
  }

  /** The group's cursor, created where startFrom says on its first use; never below the queue's min offset. */
  private cursorOrStart(group: string, from: StartFrom, q: QueueBounds): number {
    let cursor = this.cursor(group);
    if (cursor === null) {
      cursor = q.startOffset(from);
      this.setCursor(group, cursor);
    }
    return Math.max(cursor, q.minOffset());
  }

  private message(offset: number): StoredMessage | null {
    return this.log.get(offset);
  }

  /**
   * Pops up to maxMessages for the group: first the in-flight messages whose
   * invisibility lapsed (delivered again, deliveries + 1), then new ones from
   * the cursor, filtered by tags (and, in a retry topic, by RETRY_TOPIC). Run it inside a storage transaction.
   */
  pop(req: PopRequest, now: number, q: QueueBounds): PopAnswer {
    const messages: PoppedEntry[] = [];
    const deadLetters: PoppedEntry[] = [];
    const maxBytes = req.maxBytes ?? MAX_PULL_BYTES;
    let bytes = 0;
    const full = () => messages.length >= req.maxMessages || bytes >= maxBytes;
    const deliveredKeys = new Set<string>();
    const deliver = (offset: number, message: StoredMessage, previous: EntryRow | null): void => {
      const entry: PoppedEntry = {
        message,
        handleSeq: this.nextSeq(),
        popTimestamp: now,
        firstPopTimestamp: previous && previous.first_pop_ts > 0 ? previous.first_pop_ts : now,
        invisibleUntil: now + req.invisibleMs,
        deliveries: (previous?.deliveries ?? 0) + 1,
      };
      this.sql.exec(
        `INSERT INTO mqp_inflight (grp, queue_offset, sharding_key, invisible_until, deliveries, first_pop_ts, pop_ts, handle_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (grp, queue_offset) DO UPDATE SET invisible_until = excluded.invisible_until, deliveries = excluded.deliveries,
           first_pop_ts = excluded.first_pop_ts, pop_ts = excluded.pop_ts, handle_seq = excluded.handle_seq,
           changed_from_seq = NULL, changed_ms = NULL`,
        req.group,
        offset,
        shardingKeyOf(message.properties),
        entry.invisibleUntil,
        entry.deliveries,
        entry.firstPopTimestamp,
        entry.popTimestamp,
        entry.handleSeq,
      );
      messages.push(entry);
      bytes += message.body.byteLength;
      const key = shardingKeyOf(message.properties);
      if (key !== '') deliveredKeys.add(key);
    };

    // 1. In-flight entries visible again (and, in an ordered pop, first of their key), oldest first.
    let looked = 0;
    while (!full() && deadLetters.length < req.maxMessages && looked < MAX_ENTRIES_PER_POP) {
      const batch = this.sql
        .exec<EntryRow>(
          `SELECT f.* FROM mqp_inflight f WHERE f.grp = ? AND f.invisible_until <= ?${req.orderly ? ` AND ${HEAD_OF_KEY}` : ''}
           ORDER BY f.queue_offset LIMIT ?`,
          req.group,
          now,
          Math.min(req.maxMessages * 2, MAX_ENTRIES_PER_POP),
        )
        .toArray();
      if (batch.length === 0) break;
      looked += batch.length;
      for (const entry of batch) {
        if (full() || deadLetters.length >= req.maxMessages) break;
        const message = this.message(entry.queue_offset);
        // Gone from the log (topic deleted and re-created, retention), or not for this tag expression: nothing to deliver.
        if (!message || !accepts(req, message)) {
          this.sql.exec('DELETE FROM mqp_inflight WHERE grp = ? AND queue_offset = ?', req.group, entry.queue_offset);
          continue;
        }
        if (req.orderly && deliveredKeys.has(entry.sharding_key)) continue;
        if (entry.deliveries > req.maxReconsumeTimes) {
          const held: PoppedEntry = {
            message,
            handleSeq: this.nextSeq(),
            popTimestamp: now,
            firstPopTimestamp: entry.first_pop_ts,
            invisibleUntil: now + DEAD_LETTER_HOLD_MS,
            deliveries: entry.deliveries,
          };
          this.sql.exec(
            'UPDATE mqp_inflight SET invisible_until = ?, handle_seq = ?, changed_from_seq = NULL, changed_ms = NULL WHERE grp = ? AND queue_offset = ?',
            held.invisibleUntil,
            held.handleSeq,
            req.group,
            entry.queue_offset,
          );
          deadLetters.push(held);
          continue;
        }
        deliver(entry.queue_offset, message, entry);
      }
    }

    // 2. New messages from the cursor.
    if (full()) return { messages, deadLetters };
    let cursor = this.cursorOrStart(req.group, req.startFrom, q);
    let heldBack = req.orderly
      ? this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mqp_inflight WHERE grp = ? AND deliveries = 0', req.group).one().n
      : 0;
    const scanEnd = Math.min(cursor + MAX_SCAN_PER_POP, q.nextOffset);
    const filter = scanFilter(req);
    scan: while (!full() && cursor < scanEnd) {
      const end = Math.min(cursor + PULL_SCAN_WINDOW, scanEnd);
      const limit = Math.max(req.maxMessages - messages.length, req.orderly ? 64 : 1);
      const rows = this.log.scan(cursor, end, filter, limit, Number.POSITIVE_INFINITY).messages;
      for (const message of rows) {
        if (full()) break scan;
        const key = shardingKeyOf(message.properties);
        const blocked =
          req.orderly &&
          key !== '' &&
          (deliveredKeys.has(key) ||
            this.sql.exec('SELECT 1 FROM mqp_inflight WHERE grp = ? AND sharding_key = ? LIMIT 1', req.group, key).toArray().length > 0);
        if (blocked) {
          if (heldBack >= MAX_HELD_BACK) break scan;
          this.sql.exec(
            `INSERT INTO mqp_inflight (grp, queue_offset, sharding_key, invisible_until, deliveries, first_pop_ts, pop_ts, handle_seq)
             VALUES (?, ?, ?, 0, 0, 0, 0, 0)`,
            req.group,
            message.queueOffset,
            key,
          );
          heldBack++;
        } else {
          deliver(message.queueOffset, message, null);
        }
        cursor = message.queueOffset + 1;
      }
      // The window holds no more matching messages.
      if (rows.length < limit) cursor = end;
    }
    this.setCursor(req.group, cursor);
    return { messages, deadLetters };
  }

  /**
   * Whether a pop for the group would find something now: an in-flight
   * message visible again (first of its key, in an ordered pop), or a new
   * matching message past the cursor (unless an ordered pop holds back all it may).
   */
  available(group: string, filter: PopFilter, orderly: boolean, startFrom: StartFrom, now: number, q: QueueBounds): boolean {
    const visible = this.sql
      .exec(`SELECT 1 FROM mqp_inflight f WHERE f.grp = ? AND f.invisible_until <= ?${orderly ? ` AND ${HEAD_OF_KEY}` : ''} LIMIT 1`, group, now)
      .toArray();
    if (visible.length > 0) return true;
    if (orderly && this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mqp_inflight WHERE grp = ? AND deliveries = 0', group).one().n >= MAX_HELD_BACK) {
      return false;
    }
    const cursor = this.cursorOrStart(group, startFrom, q);
    if (cursor >= q.nextOffset) return false;
    if (!filter.tags && filter.retryOf === undefined) return true;
    return this.log.scan(cursor, q.nextOffset, scanFilter(filter), 1, Number.POSITIVE_INFINITY).messages.length > 0;
  }

  /** When the group's next in-flight message becomes visible again; null when none is invisible. */
  nextVisible(group: string, now: number): number | null {
    return this.sql.exec<{ t: number | null }>('SELECT MIN(invisible_until) AS t FROM mqp_inflight WHERE grp = ? AND invisible_until > ?', group, now).one().t;
  }

  private entry(group: string, offset: number): EntryRow | null {
    return this.sql.exec<EntryRow>('SELECT * FROM mqp_inflight WHERE grp = ? AND queue_offset = ?', group, offset).toArray()[0] ?? null;
  }

  private problem(group: string, offset: number): HandleProblem {
    const entry = this.entry(group, offset);
    return entry && entry.deliveries > 0 ? 'SUPERSEDED' : 'NOT_IN_FLIGHT';
  }

  /**
   * Acks deliveries, one outcome each, in order: an entry is removed if the
   * handle is its current one. A handle acked within ACK_REPEAT_WINDOW_MS is
   * acked again (the same call repeated gets the same answer).
   */
  ack(group: string, handles: readonly { queueOffset: number; handleSeq: number }[], now: number): AckOutcome[] {
    this.sql.exec('DELETE FROM mqp_acked WHERE forget_at <= ?', now);
    return handles.map(({ queueOffset, handleSeq }) => {
      const removed = this.sql.exec(
        'DELETE FROM mqp_inflight WHERE grp = ? AND queue_offset = ? AND handle_seq = ? AND deliveries > 0',
        group,
        queueOffset,
        handleSeq,
      );
      if (removed.rowsWritten > 0) {
        this.sql.exec(
          `INSERT INTO mqp_acked (grp, queue_offset, handle_seq, forget_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (grp, queue_offset) DO UPDATE SET handle_seq = excluded.handle_seq, forget_at = excluded.forget_at`,
          group,
          queueOffset,
          handleSeq,
          now + ACK_REPEAT_WINDOW_MS,
        );
        return { acked: true };
      }
      const ackedBefore = this.sql
        .exec('SELECT 1 FROM mqp_acked WHERE grp = ? AND queue_offset = ? AND handle_seq = ? AND forget_at > ?', group, queueOffset, handleSeq, now)
        .toArray();
      return ackedBefore.length > 0 ? { acked: true } : { acked: false, problem: this.problem(group, queueOffset) };
    });
  }

  /**
   * RocketMQ's changeInvisibleDuration: the message becomes visible again
   * `invisibleMs` from now, under a new handle; the old one no longer acks.
   * The same call repeated (same handle, same `invisibleMs`), as long as no
   * later pop, change or ack replaced the handle it gave, gets the same answer.
   * Throws RECEIPT_HANDLE_EXPIRED when `handleSeq` is not the current handle.
   */
  changeInvisible(group: string, offset: number, handleSeq: number, invisibleMs: number, now: number): PoppedEntry {
    const entry = this.entry(group, offset);
    const repeated = entry !== null && entry.deliveries > 0 && entry.changed_from_seq === handleSeq && entry.changed_ms === invisibleMs;
    if (!entry || entry.deliveries === 0 || (entry.handle_seq !== handleSeq && !repeated)) {
      throw handleError(entry && entry.deliveries > 0 ? 'SUPERSEDED' : 'NOT_IN_FLIGHT');
    }
    const message = this.message(offset);
    if (!message) {
      this.sql.exec('DELETE FROM mqp_inflight WHERE grp = ? AND queue_offset = ?', group, offset);
      throw handleError('NOT_IN_FLIGHT');
    }
    const changed = { message, popTimestamp: entry.pop_ts, firstPopTimestamp: entry.first_pop_ts, deliveries: entry.deliveries };
    if (repeated) return { ...changed, handleSeq: entry.handle_seq, invisibleUntil: entry.invisible_until };
    const seq = this.nextSeq();
    const invisibleUntil = now + invisibleMs;
    this.sql.exec(
      'UPDATE mqp_inflight SET invisible_until = ?, handle_seq = ?, changed_from_seq = ?, changed_ms = ? WHERE grp = ? AND queue_offset = ?',
      invisibleUntil,
      seq,
      handleSeq,
      invisibleMs,
      group,
      offset,
    );
    return { ...changed, handleSeq: seq, invisibleUntil };
  }

  state(group: string): PopState {
    const counts = this.sql
      .exec<{ inflight: number; held: number }>(
        'SELECT COUNT(*) AS inflight, COALESCE(SUM(deliveries = 0), 0) AS held FROM mqp_inflight WHERE grp = ?',
        group,
      )
      .one();
    return { cursor: this.cursor(group) ?? -1, inFlight: counts.inflight - counts.held, heldBack: counts.held };
  }

  /** Drops every cursor and entry (the topic was deleted). Handle sequence numbers stay unused. */
  clear(): void {
    this.sql.exec('DELETE FROM mqp_cursor');
    this.sql.exec('DELETE FROM mqp_inflight');
    this.sql.exec('DELETE FROM mqp_acked');
  }
}

/** The error for a handle that no longer names an in-flight delivery. */
export function handleError(problem: HandleProblem): FlareError {
  return new FlareError(
    'RECEIPT_HANDLE_EXPIRED',
    problem === 'SUPERSEDED'
      ? 'the message was delivered again, or its invisibility changed, under a newer receipt handle; only the latest handle acks'
      : 'the message is not in flight for this group: it was acked already (or its topic was deleted)',
  );
}
