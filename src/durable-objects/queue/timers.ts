import type { NewMessage } from '../../core/message';
import { MESSAGE_COLUMNS, messageFromColumns, messageToColumns, type MessageColumns } from './message-columns';
import type { StateRevisions } from './state-replication';

/** Most messages one delivery transaction appends. */
export const DELIVERY_CHUNK_COUNT = 1000;
/** A delivery transaction stops adding messages once their bodies pass this many bytes. */
export const DELIVERY_CHUNK_BYTES = 4 * 1024 * 1024;
/** Most messages one alarm run delivers; the alarm re-arms at once for the rest. */
export const MAX_DELIVERIES_PER_RUN = 20_000;

/** The answer to scheduling one message. */
export interface ScheduledTimer {
  timerId: number;
  deliverAt: number;
}

/** A delayed message waiting in its queue. */
export interface PendingTimer {
  timerId: number;
  /** When it becomes due, ms since the epoch. */
  deliverAt: number;
  /** When it was scheduled. */
  scheduledAt: number;
  message: NewMessage;
}

type TimerRow = MessageColumns & {
  timer_id: number;
  deliver_at: number;
  scheduled_at: number;
};

function fromRow(r: TimerRow): PendingTimer {
  return { timerId: r.timer_id, deliverAt: r.deliver_at, scheduledAt: r.scheduled_at, message: messageFromColumns(r) };
}

/**
 * Delayed and timer messages of one queue (RocketMQ's SCHEDULE_TOPIC_XXXX and
 * timer wheel, in the target queue's own object). A message waits here without
 * a queue offset; when it is due the object's alarm appends it to the log in
 * due order (deliverAt, then the order it was scheduled in), where it takes
 * its offset, as RocketMQ re-puts it then. This class only reads and writes
 * the table; the object runs the transactions and the alarm.
 */
export class QueueTimers {
  constructor(
    private readonly sql: SqlStorage,
    /** Stamps what changes here for the slaves (state-replication.ts). */
    private readonly revisions: StateRevisions,
  ) {}

  /** Stores messages due at `deliverAt`, in order; returns their timer ids. */
  add(messages: readonly NewMessage[], deliverAt: number, now = Date.now()): number[] {
    return messages.map(
      (m) =>
        this.sql
          .exec<{ timer_id: number }>(
            `INSERT INTO mq_timer (deliver_at, scheduled_at, ${MESSAGE_COLUMNS}, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING timer_id`,
            deliverAt,
            now,
            ...messageToColumns(m),
            this.revisions.next(),
          )
          .one().timer_id,
    );
  }

  /** The pending timer, or null when it was delivered, cancelled or never scheduled. */
  get(timerId: number): PendingTimer | null {
    const row = this.sql.exec<TimerRow>('SELECT * FROM mq_timer WHERE timer_id = ?', timerId).toArray()[0];
    return row ? fromRow(row) : null;
  }

  /** Removes timers (delivered or cancelled); returns how many there were. */
  remove(timerIds: readonly number[]): number {
    const removed = timerIds.filter(
      (id) => this.sql.exec('DELETE FROM mq_timer WHERE timer_id = ? RETURNING 1', id).toArray().length > 0,
    );
    this.revisions.deleted(
      'mq_timer',
      removed.map((id) => [id]),
    );
    return removed.length;
  }

  /**
   * Timers due at `now`, in due order: at most `maxCount`, and no more once
   * their bodies pass `maxBytes` (at least one).
   */
  due(now: number, maxCount: number, maxBytes: number): PendingTimer[] {
    const out: PendingTimer[] = [];
    let bytes = 0;
    const cursor = this.sql.exec<TimerRow>(
      'SELECT * FROM mq_timer WHERE deliver_at <= ? ORDER BY deliver_at, timer_id LIMIT ?',
      now,
      maxCount,
    );
    for (const row of cursor) {
      out.push(fromRow(row));
      bytes += row.body.byteLength;
      if (bytes >= maxBytes) break;
    }
    return out;
  }

  /**
   * Delivers what is due at `now`, in due order, chunk by chunk: each chunk is
   * removed from the table and handed to `deliver` (which appends it to the
   * log) inside one `transaction`, so a message is either appended and gone
   * from here or still pending. This is what makes the alarm idempotent. Stops
   * after MAX_DELIVERIES_PER_RUN messages; returns how many it delivered.
   */
  deliverDue(now: number, transaction: (fn: () => void) => void, deliver: (messages: NewMessage[]) => void): number {
    let delivered = 0;
    while (delivered < MAX_DELIVERIES_PER_RUN) {
      const due = this.due(now, DELIVERY_CHUNK_COUNT, DELIVERY_CHUNK_BYTES);
      if (due.length === 0) break;
      transaction(() => {
        this.remove(due.map((t) => t.timerId));
        deliver(due.map((t) => t.message));
      });
      delivered += due.length;
    }
    return delivered;
  }

  /** When the next timer is due; null when none is pending. */
  nextDue(): number | null {
    return this.sql.exec<{ t: number | null }>('SELECT MIN(deliver_at) AS t FROM mq_timer').one().t;
  }

  /** Pending timers. */
  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mq_timer').one().n;
  }

  /** Drops every pending timer (the topic was deleted). Ids stay unused. */
  clear(): void {
    this.sql.exec('DELETE FROM mq_timer');
  }
}
