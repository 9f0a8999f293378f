import { FlareError } from '../../core/errors';
import { MAX_HELD_BACK, MAX_PULL_BYTES, PULL_SCAN_WINDOW } from '../../core/limits';
import type { StoredMessage } from '../../core/message';
import { PROPERTY_RETRY_TOPIC, shardingKeyOf } from '../../core/system-properties';
import type { StartFrom } from './message-queue';
import type { QueueLog } from './log';
import type { StateRevisions } from './state-replication';
import { migrate } from '../schema';
import { POP_MIGRATIONS } from './schema';

/**
 * Pop state of one queue, per consumer group (RocketMQ 5's SimpleConsumer),
 * kept as RocketMQ 5's broker keeps it: a checkpoint per pop answer, not a row
 * per message (PopCheckPoint, written by PopMessageProcessor; acks set a bit of
 * its bitMap in AckMessageProcessor; ChangeInvisibleTimeProcessor acks the
 * message in its checkpoint and writes a new checkpoint for it alone).
 *
 * - `mqp_cursor`: per group, the next offset never popped, and the messages an
 *   ordered pop read past it but holds back behind an earlier message of their
 *   sharding key (`held`, JSON [[offset, shardingKey], ...]).
 * - `mqp_inflight`: one row per checkpoint, `seq` its number (every receipt
 *   handle of the answer carries it, with the message's offset): when its
 *   messages become visible again, and per message (`msgs`, JSON [[offset,
 *   deliveries, firstPopTimestamp, shardingKey], ...]) its state (`states`,
 *   the ack bitmap: 0 in flight, -1 acked, -2 dropped (gone from the log, or
 *   not for the pop's filter), n > 0 moved to checkpoint n: delivered again,
 *   or its invisibility changed). `live` counts the messages in flight.
 * - `mqp_acked`: a checkpoint none of whose messages is in flight any more,
 *   kept ACK_REPEAT_WINDOW_MS so that a client may repeat a call whose answer
 *   it lost (RocketMQ's ack and changeInvisibleDuration are safe to repeat):
 *   an acked message is acked again, and a change of invisibility repeated
 *   finds the checkpoint it made (`changed_from_seq`, `changed_ms` there).
 *
 * A pop writes its new checkpoint, the cursor, the handle counter, and each
 * older checkpoint it delivers lapsed messages from; an ack of any number of
 * handles of one answer writes its checkpoint once (twice when the last one is
 * acked: it moves to `mqp_acked`).
 */

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

/** The log filter of a pop: tags by the log, RETRY_TOPIC by `accept`. */
function logFilter(f: PopFilter): { tags: readonly string[] | null; accept?: (m: StoredMessage) => boolean } {
  const retryOf = f.retryOf;
  return retryOf === undefined
    ? { tags: f.tags }
    : { tags: f.tags, accept: (m) => m.properties[PROPERTY_RETRY_TOPIC] === retryOf };
}

/** Whether a stored message passes a pop's filter (as the log's scan would). */
function accepts(f: PopFilter, message: StoredMessage): boolean {
  const { tags, accept } = logFilter(f);
  return (!tags || tags.includes(message.tags)) && (accept?.(message) ?? true);
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

/** A message in a checkpoint: [offset, deliveries, firstPopTimestamp, shardingKey]. */
type CkMessage = [number, number, number, string];

/** Per message of a checkpoint (its ack bitmap, with where a message went). */
const IN_FLIGHT = 0;
const ACKED = -1;
const DROPPED = -2;

/** A checkpoint as read: from `mqp_inflight` (live) or `mqp_acked` (done: popTs, invisibleUntil and the change are not kept). */
interface Checkpoint {
  seq: number;
  popTs: number;
  invisibleUntil: number;
  msgs: CkMessage[];
  states: number[];
  changedFromSeq: number | null;
  changedMs: number | null;
  live: boolean;
}

type CkRow = {
  seq: number;
  pop_ts: number;
  invisible_until: number;
  msgs: string;
  states: string;
  changed_from_seq: number | null;
  changed_ms: number | null;
};

const toCheckpoint = (r: CkRow): Checkpoint => ({
  seq: r.seq,
  popTs: r.pop_ts,
  invisibleUntil: r.invisible_until,
  msgs: JSON.parse(r.msgs) as CkMessage[],
  states: JSON.parse(r.states) as number[],
  changedFromSeq: r.changed_from_seq,
  changedMs: r.changed_ms,
  live: true,
});

/** A message a pop may deliver again: in flight in a lapsed checkpoint, or held back (no checkpoint). */
interface Candidate {
  ck: Checkpoint | null;
  index: number;
  offset: number;
  deliveries: number;
  firstPopTs: number;
  key: string;
}

/** Checkpoints whose invisibility lapsed that one pop reads, at most. */
const MAX_LAPSED_CHECKPOINTS_PER_POP = 100;

export class QueuePops {
  constructor(
    private readonly sql: SqlStorage,
    private readonly log: QueueLog,
    /** Stamps what changes here for the slaves (state-replication.ts). */
    private readonly revisions: StateRevisions,
  ) {}

  /** Creates the tables; call from the object's constructor, under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, 'mqp', POP_MIGRATIONS);
  }

  /**
   * Fresh handle sequence numbers (checkpoint numbers): never reused in this
   * queue, not even after its topic is deleted. The counter is written once,
   * by `save`, however many were taken.
   */
  private seqs(): { take(): number; save(): void } {
    const start =
      this.sql.exec<{ value: number }>("SELECT value FROM mqp_meta WHERE key = 'handle_seq'").toArray()[0]?.value ?? 0;
    let last = start;
    return {
      take: () => ++last,
      save: () => {
        if (last !== start)
          this.sql.exec(
            "INSERT INTO mqp_meta (key, value) VALUES ('handle_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            last,
          );
      },
    };
  }

  private cursorRow(group: string): { next_offset: number; held: [number, string][] } | null {
    const row = this.sql
      .exec<{ next_offset: number; held: string }>('SELECT next_offset, held FROM mqp_cursor WHERE grp = ?', group)
      .toArray()[0];
    return row ? { next_offset: row.next_offset, held: JSON.parse(row.held) as [number, string][] } : null;
  }

  private checkpoint(group: string, seq: number): Checkpoint | null {
    const live = this.sql.exec<CkRow>('SELECT * FROM mqp_inflight WHERE grp = ? AND seq = ?', group, seq).toArray()[0];
    if (live) return toCheckpoint(live);
    const done = this.sql
      .exec<{ msgs: string; states: string }>(
        'SELECT msgs, states FROM mqp_acked WHERE grp = ? AND seq = ?',
        group,
        seq,
      )
      .toArray()[0];
    if (!done) return null;
    const msgs = JSON.parse(done.msgs) as CkMessage[];
    return {
      seq,
      popTs: 0,
      invisibleUntil: 0,
      msgs,
      states: JSON.parse(done.states) as number[],
      changedFromSeq: null,
      changedMs: null,
      live: false,
    };
  }

  /** The group's checkpoints with a message in flight; `lapsedBy`: only those visible again by then (oldest first, at most a bound). */
  private liveCheckpoints(group: string, lapsedBy?: number): Checkpoint[] {
    const rows =
      lapsedBy === undefined
        ? this.sql.exec<CkRow>('SELECT * FROM mqp_inflight WHERE grp = ?', group)
        : this.sql.exec<CkRow>(
            'SELECT * FROM mqp_inflight WHERE grp = ? AND invisible_until <= ? ORDER BY invisible_until LIMIT ?',
            group,
            lapsedBy,
            MAX_LAPSED_CHECKPOINTS_PER_POP,
          );
    return rows.toArray().map(toCheckpoint);
  }

  private insertCheckpoint(
    group: string,
    seq: number,
    popTs: number,
    invisibleUntil: number,
    msgs: CkMessage[],
    changed?: { fromSeq: number; ms: number },
  ): void {
    this.sql.exec(
      `INSERT INTO mqp_inflight (grp, seq, pop_ts, invisible_until, live, msgs, states, changed_from_seq, changed_ms, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      group,
      seq,
      popTs,
      invisibleUntil,
      msgs.length,
      JSON.stringify(msgs),
      JSON.stringify(msgs.map(() => IN_FLIGHT)),
      changed?.fromSeq ?? null,
      changed?.ms ?? null,
      this.revisions.next(),
    );
  }

  /** Writes a live checkpoint's changed states: one row; once none is in flight, it moves to `mqp_acked` for ACK_REPEAT_WINDOW_MS. */
  private saveStates(group: string, ck: Checkpoint, now: number): void {
    const live = ck.states.filter((s) => s === IN_FLIGHT).length;
    if (live > 0) {
      this.sql.exec(
        'UPDATE mqp_inflight SET states = ?, live = ?, rev = ? WHERE grp = ? AND seq = ?',
        JSON.stringify(ck.states),
        live,
        this.revisions.next(),
        group,
        ck.seq,
      );
      return;
    }
    // No tombstone: a slave that stores the checkpoint in mqp_acked drops it from mqp_inflight (state-replication.ts).
    this.sql.exec('DELETE FROM mqp_inflight WHERE grp = ? AND seq = ?', group, ck.seq);
    this.sql.exec(
      'INSERT OR REPLACE INTO mqp_acked (grp, seq, forget_at, msgs, states, rev) VALUES (?, ?, ?, ?, ?, ?)',
      group,
      ck.seq,
      now + ACK_REPEAT_WINDOW_MS,
      JSON.stringify(ck.msgs),
      JSON.stringify(ck.states),
      this.revisions.next(),
    );
    ck.live = false;
  }

  /** Forgets done checkpoints past their repeat window. */
  private forget(now: number): void {
    const gone = this.sql
      .exec<{ grp: string; seq: number }>('DELETE FROM mqp_acked WHERE forget_at <= ? RETURNING grp, seq', now)
      .toArray();
    this.revisions.deleted(
      'mqp_acked',
      gone.map((r) => [r.grp, r.seq]),
    );
  }

  /** Ordered pops: per sharding key, the lowest offset in flight or held back (a message is first of its key when it is that offset). */
  private firstOfKeys(live: Checkpoint[], held: readonly [number, string][]): Map<string, number> {
    const first = new Map<string, number>();
    const see = (offset: number, key: string) => {
      if (key !== '' && !(offset >= (first.get(key) ?? Infinity))) first.set(key, offset);
    };
    for (const ck of live) ck.msgs.forEach(([offset, , , key], i) => ck.states[i] === IN_FLIGHT && see(offset, key));
    for (const [offset, key] of held) see(offset, key);
    return first;
  }

  /** Lapsed in-flight messages and held-back ones, by offset: what a pop delivers before new messages. */
  private candidates(lapsed: Checkpoint[], held: readonly [number, string][]): Candidate[] {
    const out: Candidate[] = [];
    for (const ck of lapsed) {
      ck.msgs.forEach(([offset, deliveries, firstPopTs, key], index) => {
        if (ck.states[index] === IN_FLIGHT) out.push({ ck, index, offset, deliveries, firstPopTs, key });
      });
    }
    for (const [offset, key] of held) out.push({ ck: null, index: -1, offset, deliveries: 0, firstPopTs: 0, key });
    return out.sort((a, b) => a.offset - b.offset).slice(0, MAX_ENTRIES_PER_POP);
  }

  /**
   * Pops up to maxMessages for the group: first the in-flight messages whose
   * invisibility lapsed (delivered again, deliveries + 1) and held-back ones
   * now first of their key, then new ones from the cursor, filtered by tags
   * (and, in a retry topic, by RETRY_TOPIC). The answer is one new checkpoint
   * (two when some messages go to the DLQ). Run it inside a storage transaction.
   */
  pop(req: PopRequest, now: number, q: QueueBounds): PopAnswer {
    this.forget(now);
    const messages: PoppedEntry[] = [];
    const deadLetters: PoppedEntry[] = [];
    const maxBytes = req.maxBytes ?? MAX_PULL_BYTES;
    let bytes = 0;
    const full = () => messages.length >= req.maxMessages || bytes >= maxBytes;
    const seqs = this.seqs();
    let seq: number | null = null;
    let deadSeq: number | null = null;
    const popped: CkMessage[] = [];
    const dead: CkMessage[] = [];
    const touched = new Set<Checkpoint>();
    const deliveredKeys = new Set<string>();
    const deliver = (message: StoredMessage, deliveries: number, firstPopTs: number): number => {
      seq ??= seqs.take();
      const key = shardingKeyOf(message.properties);
      const entry: PoppedEntry = {
        message,
        handleSeq: seq,
        popTimestamp: now,
        firstPopTimestamp: firstPopTs > 0 ? firstPopTs : now,
        invisibleUntil: now + req.invisibleMs,
        deliveries: deliveries + 1,
      };
      popped.push([message.queueOffset, entry.deliveries, entry.firstPopTimestamp, key]);
      messages.push(entry);
      bytes += message.body.byteLength;
      if (key !== '') deliveredKeys.add(key);
      return seq;
    };

    const cursorRow = this.cursorRow(req.group);
    let held = [...(cursorRow?.held ?? [])];
    const heldBefore = held.length;
    const unheld = new Set<number>();

    // 1. Messages visible again (and, in an ordered pop, first of their key), by offset.
    const live = req.orderly ? this.liveCheckpoints(req.group) : null;
    const lapsed = live ? live.filter((ck) => ck.invisibleUntil <= now) : this.liveCheckpoints(req.group, now);
    const firstOfKey = live ? this.firstOfKeys(live, held) : new Map<string, number>();
    for (const c of this.candidates(lapsed, held)) {
      if (full() || deadLetters.length >= req.maxMessages) break;
      const move = (to: number) => {
        if (c.ck) {
          c.ck.states[c.index] = to;
          touched.add(c.ck);
        } else unheld.add(c.offset);
      };
      const message = this.log.get(c.offset);
      // Gone from the log (topic deleted and re-created, retention), or not for this tag expression: nothing to deliver.
      if (!message || !accepts(req, message)) {
        move(DROPPED);
        continue;
      }
      if (req.orderly && c.key !== '' && (deliveredKeys.has(c.key) || firstOfKey.get(c.key)! < c.offset)) continue;
      if (c.ck && c.deliveries > req.maxReconsumeTimes) {
        deadSeq ??= seqs.take();
        dead.push([c.offset, c.deliveries, c.firstPopTs, c.key]);
        deadLetters.push({
          message,
          handleSeq: deadSeq,
          popTimestamp: now,
          firstPopTimestamp: c.firstPopTs,
          invisibleUntil: now + DEAD_LETTER_HOLD_MS,
          deliveries: c.deliveries,
        });
        move(deadSeq);
        continue;
      }
      move(deliver(message, c.deliveries, c.firstPopTs));
    }
    if (unheld.size > 0) held = held.filter(([offset]) => !unheld.has(offset));

    // 2. New messages from the cursor.
    let cursor = cursorRow ? cursorRow.next_offset : q.startOffset(req.startFrom);
    const cursorBefore = cursorRow ? cursor : null;
    if (!full()) {
      cursor = Math.max(cursor, q.minOffset());
      const scanEnd = Math.min(cursor + MAX_SCAN_PER_POP, q.nextOffset);
      const filter = logFilter(req);
      scan: while (!full() && cursor < scanEnd) {
        const want = Math.max(req.maxMessages - messages.length, req.orderly ? 64 : 1);
        // Held-back messages do not count against maxBytes: an ordered pop reads its `want` whatever their size.
        const found = this.log.scan(
          cursor,
          Math.min(cursor + PULL_SCAN_WINDOW, scanEnd),
          filter,
          want,
          req.orderly ? Infinity : maxBytes - bytes,
        );
        for (const message of found.messages) {
          if (full()) break scan;
          const key = shardingKeyOf(message.properties);
          if (req.orderly && key !== '' && (deliveredKeys.has(key) || firstOfKey.has(key))) {
            if (held.length >= MAX_HELD_BACK) break scan;
            held.push([message.queueOffset, key]);
          } else {
            deliver(message, 0, 0);
          }
          cursor = message.queueOffset + 1;
        }
        cursor = found.next;
      }
    }

    // Writes: the older checkpoints touched, the new ones, the counter, the cursor.
    for (const ck of touched) this.saveStates(req.group, ck, now);
    if (seq !== null) this.insertCheckpoint(req.group, seq, now, now + req.invisibleMs, popped);
    if (deadSeq !== null) this.insertCheckpoint(req.group, deadSeq, now, now + DEAD_LETTER_HOLD_MS, dead);
    seqs.save();
    if (cursor !== cursorBefore || held.length !== heldBefore || unheld.size > 0) {
      this.sql.exec(
        `INSERT INTO mqp_cursor (grp, next_offset, held, rev) VALUES (?, ?, ?, ?)
         ON CONFLICT (grp) DO UPDATE SET next_offset = excluded.next_offset, held = excluded.held, rev = excluded.rev`,
        req.group,
        cursor,
        JSON.stringify(held),
        this.revisions.next(),
      );
    }
    return { messages, deadLetters };
  }

  /**
   * Whether a pop for the group would find something now: a message visible
   * again or held back (first of its key, in an ordered pop), or a new
   * matching message past the cursor (unless an ordered pop holds back all it
   * may). Writes nothing: a group that never popped here is looked at from
   * where its first pop will start.
   */
  available(
    group: string,
    filter: PopFilter,
    orderly: boolean,
    startFrom: StartFrom,
    now: number,
    q: QueueBounds,
  ): boolean {
    const cursorRow = this.cursorRow(group);
    const held = cursorRow?.held ?? [];
    if (orderly) {
      const live = this.liveCheckpoints(group);
      const firstOfKey = this.firstOfKeys(live, held);
      const ready = this.candidates(
        live.filter((ck) => ck.invisibleUntil <= now),
        held,
      ).some((c) => c.key === '' || firstOfKey.get(c.key) === c.offset);
      if (ready) return true;
      if (held.length >= MAX_HELD_BACK) return false;
    } else if (
      held.length > 0 ||
      this.sql.exec('SELECT 1 FROM mqp_inflight WHERE grp = ? AND invisible_until <= ? LIMIT 1', group, now).toArray()
        .length > 0
    ) {
      return true;
    }
    const cursor = Math.max(cursorRow ? cursorRow.next_offset : q.startOffset(startFrom), q.minOffset());
    if (cursor >= q.nextOffset) return false;
    if (!filter.tags && filter.retryOf === undefined) return true;
    // As far as one pop scans; past that, a pop moves the cursor on, and the next look goes on from there.
    const end = Math.min(cursor + MAX_SCAN_PER_POP, q.nextOffset);
    return end < q.nextOffset || this.log.scan(cursor, end, logFilter(filter), 1, Infinity).messages.length > 0;
  }

  /** When the group's next in-flight message becomes visible again; null when none is invisible. */
  nextVisible(group: string, now: number): number | null {
    return this.sql
      .exec<{ t: number | null }>(
        'SELECT MIN(invisible_until) AS t FROM mqp_inflight WHERE grp = ? AND invisible_until > ?',
        group,
        now,
      )
      .one().t;
  }

  /**
   * Acks deliveries, one outcome each, in order: a message is acked if its
   * handle's checkpoint still has it in flight, and acked again if it was
   * acked under that handle (the same call repeated gets the same answer:
   * while the checkpoint has messages in flight, and ACK_REPEAT_WINDOW_MS
   * after its last one). Each checkpoint is written once.
   */
  ack(group: string, handles: readonly { queueOffset: number; handleSeq: number }[], now: number): AckOutcome[] {
    this.forget(now);
    const cks = new Map<number, Checkpoint | null>();
    const touched = new Set<Checkpoint>();
    const outcomes = handles.map(({ queueOffset, handleSeq }): AckOutcome => {
      if (!cks.has(handleSeq)) cks.set(handleSeq, this.checkpoint(group, handleSeq));
      const ck = cks.get(handleSeq)!;
      const i = ck ? ck.msgs.findIndex(([offset]) => offset === queueOffset) : -1;
      const state = ck && i >= 0 ? ck.states[i] : DROPPED;
      if (state === IN_FLIGHT && ck!.live) {
        ck!.states[i] = ACKED;
        touched.add(ck!);
      }
      if (state === IN_FLIGHT || state === ACKED) return { acked: true };
      return { acked: false, problem: state > 0 ? 'SUPERSEDED' : 'NOT_IN_FLIGHT' };
    });
    for (const ck of touched) this.saveStates(group, ck, now);
    return outcomes;
  }

  /**
   * RocketMQ's changeInvisibleDuration: the message becomes visible again
   * `invisibleMs` from now, under a new handle: it moves out of its checkpoint
   * into a new one of its own (ChangeInvisibleTimeProcessor). The old handle
   * no longer acks. The same call repeated (same handle, same `invisibleMs`),
   * as long as no later pop, change or ack replaced the handle it gave, gets
   * the same answer. Throws RECEIPT_HANDLE_EXPIRED when `handleSeq` is not
   * the current handle.
   */
  changeInvisible(group: string, offset: number, handleSeq: number, invisibleMs: number, now: number): PoppedEntry {
    const ck = this.checkpoint(group, handleSeq);
    const i = ck ? ck.msgs.findIndex(([o]) => o === offset) : -1;
    const state = ck && i >= 0 ? ck.states[i] : DROPPED;
    if (state > 0) {
      const moved = this.checkpoint(group, state);
      if (
        moved?.live &&
        moved.changedFromSeq === handleSeq &&
        moved.changedMs === invisibleMs &&
        moved.states[0] === IN_FLIGHT
      ) {
        const message = this.log.get(offset);
        const [, deliveries, firstPopTs] = moved.msgs[0];
        if (message)
          return {
            message,
            handleSeq: moved.seq,
            popTimestamp: moved.popTs,
            firstPopTimestamp: firstPopTs,
            invisibleUntil: moved.invisibleUntil,
            deliveries,
          };
      }
      throw handleError('SUPERSEDED');
    }
    if (state !== IN_FLIGHT || !ck!.live) throw handleError('NOT_IN_FLIGHT');
    const message = this.log.get(offset);
    if (!message) throw handleError('NOT_IN_FLIGHT');
    const [, deliveries, firstPopTs, key] = ck!.msgs[i];
    const seqs = this.seqs();
    const seq = seqs.take();
    const invisibleUntil = now + invisibleMs;
    ck!.states[i] = seq;
    this.saveStates(group, ck!, now);
    this.insertCheckpoint(group, seq, ck!.popTs, invisibleUntil, [[offset, deliveries, firstPopTs, key]], {
      fromSeq: handleSeq,
      ms: invisibleMs,
    });
    seqs.save();
    return {
      message,
      handleSeq: seq,
      popTimestamp: ck!.popTs,
      firstPopTimestamp: firstPopTs,
      invisibleUntil,
      deliveries,
    };
  }

  state(group: string): PopState {
    const inFlight = this.sql
      .exec<{ n: number }>('SELECT COALESCE(SUM(live), 0) AS n FROM mqp_inflight WHERE grp = ?', group)
      .one().n;
    const cursorRow = this.cursorRow(group);
    return { cursor: cursorRow?.next_offset ?? -1, inFlight, heldBack: cursorRow?.held.length ?? 0 };
  }

  /** Drops every cursor and checkpoint (the topic was deleted). Handle sequence numbers stay unused. */
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
