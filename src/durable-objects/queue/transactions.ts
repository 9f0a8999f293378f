import { checkSigningHeaders } from '../../core/check-signing';
import type { NewMessage } from '../../core/message';
import {
  CHECK_TIMEOUT_MS,
  parseCheckAnswer,
  toHalfMessageView,
  type HalfMessage,
  type HalfMessageQueue,
  type HalfMessageView,
  type TransactionResolution,
} from '../../core/transaction';
import { migrate } from '../schema';
import { TRANSACTION_MIGRATIONS } from './schema';
import { MESSAGE_COLUMNS, messageFromColumns, messageToColumns, type MessageColumns } from './message-columns';
import type { StateRevisions } from './state-replication';
import { log } from '../../log';

/**
 * Half messages of one queue (RocketMQ's RMQ_SYS_TRANS_HALF_TOPIC and op
 * topic, in the target queue's own object): a transactional send waits here,
 * without a queue offset and invisible to consumers, until its producer
 * commits it (appended to the log in the same transaction as it leaves this
 * table) or rolls it back (deleted). AUTOINCREMENT keeps half ids, and so
 * transaction handles, from being reused.
 */

/** Most half messages one alarm run checks or discards; the alarm re-arms at once for the rest. */
export const CHECKS_PER_RUN = 64;

type HalfRow = MessageColumns & {
  half_id: number;
  producer_group: string;
  prepared_at: number;
  next_check_at: number;
  check_times: number;
  invisible_until: number;
};

function fromRow(r: HalfRow): HalfMessage {
  return {
    halfId: r.half_id,
    producerGroup: r.producer_group,
    preparedAt: r.prepared_at,
    nextCheckAt: r.next_check_at,
    checkTimes: r.check_times,
    message: messageFromColumns(r),
  };
}

/** What a check run needs from the object and the cluster. */
export interface CheckRun {
  now: number;
  queue: HalfMessageQueue;
  /** TRANSACTION_CHECK_INTERVAL_MS and TRANSACTION_CHECK_MAX. */
  intervalMs: number;
  checkMax: number;
  transaction(fn: () => void): void;
  /** The producer group's check URL, if it registered one, and its check secret. */
  checkTargetOf(group: string): Promise<{ url: string; secret: string } | null>;
  /** Records half messages discarded after their last check with their producer group. */
  recordDiscarded(group: string, halves: HalfMessageView[]): Promise<void>;
  /** Commits or rolls back a half message if it is still pending. */
  resolve(halfId: number, resolution: 'COMMIT' | 'ROLLBACK'): void;
}

export interface CheckRunResult {
  checked: number;
  discarded: number;
  /** More half messages are due than one run handles. */
  more: boolean;
}

/**
 * POSTs a half message (JSON, a HalfMessageView) to a producer group's check
 * URL, signed with the group's check secret (src/core/check-signing.ts), and
 * reads `{"status": "COMMIT" | "ROLLBACK" | "UNKNOWN"}`. A URL that fails,
 * times out (CHECK_TIMEOUT_MS) or answers anything else means UNKNOWN.
 */
export async function askCheckUrl(
  target: { url: string; secret: string },
  half: HalfMessageView,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<TransactionResolution> {
  const url = target.url;
  const about = {
    producerGroup: half.producerGroup,
    topic: half.topic,
    brokerName: half.brokerName,
    queueId: half.queueId,
    uniqueKey: half.uniqueKey,
    checkTimes: half.checkTimes,
    url,
  };
  try {
    const body = JSON.stringify(half);
    const signed = await checkSigningHeaders(target.secret, half.producerGroup, body);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-flaremq-transaction-handle': half.transactionHandle,
        ...signed,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) {
      log.warn('a transaction check URL answered an error; checking again later', { ...about, status: res.status });
      return 'UNKNOWN';
    }
    return parseCheckAnswer(JSON.parse(text));
  } catch (err) {
    log.warn('a transaction check failed; checking again later', { ...about, error: err });
    return 'UNKNOWN';
  }
}

/**
 * The half messages of a queue. Check-back is driven by the object's alarm
 * (runChecks): a half message unresolved at its check time is counted as
 * checked, offered to its producer group's check URL if it has one, and
 * from then on exposed to the half-message pop; after the last check it is
 * discarded and recorded with its producer group.
 */
export class QueueTransactions {
  constructor(
    private readonly sql: SqlStorage,
    /** Stamps what changes here for the slaves (state-replication.ts). */
    private readonly revisions: StateRevisions,
  ) {}

  /** Creates the table; call from the object's constructor, under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, 'mqt', TRANSACTION_MIGRATIONS);
  }

  /** Stores a half message, first checked at `checkAt`; returns its id. */
  prepare(producerGroup: string, m: NewMessage, checkAt: number, now: number): number {
    return this.sql
      .exec<{ half_id: number }>(
        `INSERT INTO mqt_half (producer_group, ${MESSAGE_COLUMNS}, prepared_at, next_check_at, check_times, invisible_until, rev)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?) RETURNING half_id`,
        producerGroup,
        ...messageToColumns(m),
        now,
        checkAt,
        this.revisions.next(),
      )
      .one().half_id;
  }

  get(halfId: number): HalfMessage | null {
    const row = this.sql.exec<HalfRow>('SELECT * FROM mqt_half WHERE half_id = ?', halfId).toArray()[0];
    return row ? fromRow(row) : null;
  }

  /** Removes a half message and returns it (commit or rollback); null when it is not pending. */
  take(halfId: number): HalfMessage | null {
    const half = this.get(halfId);
    if (half) {
      this.sql.exec('DELETE FROM mqt_half WHERE half_id = ?', halfId);
      this.revisions.deleted('mqt_half', [[halfId]]);
    }
    return half;
  }

  /**
   * Half messages of the group exposed for checking (checked at least once)
   * and not popped within their invisible time, oldest first; each becomes
   * invisible to the next half-message pop for `invisibleMs`.
   */
  popHalf(group: string, max: number, invisibleMs: number, now: number): HalfMessage[] {
    const rows = this.sql
      .exec<HalfRow>(
        'SELECT * FROM mqt_half WHERE producer_group = ? AND invisible_until <= ? AND check_times > 0 ORDER BY half_id LIMIT ?',
        group,
        now,
        max,
      )
      .toArray();
    for (const r of rows)
      this.sql.exec(
        'UPDATE mqt_half SET invisible_until = ?, rev = ? WHERE half_id = ?',
        now + invisibleMs,
        this.revisions.next(),
        r.half_id,
      );
    return rows.map(fromRow);
  }

  /** Whether a half-message pop for the group would find something now. */
  halfAvailable(group: string, now: number): boolean {
    return (
      this.sql
        .exec(
          'SELECT 1 FROM mqt_half WHERE producer_group = ? AND invisible_until <= ? AND check_times > 0 LIMIT 1',
          group,
          now,
        )
        .toArray().length > 0
    );
  }

  /** When a popped half message of the group becomes poppable again; null when none is invisible. */
  nextVisible(group: string, now: number): number | null {
    return this.sql
      .exec<{ t: number | null }>(
        'SELECT MIN(invisible_until) AS t FROM mqt_half WHERE producer_group = ? AND invisible_until > ? AND check_times > 0',
        group,
        now,
      )
      .one().t;
  }

  /** When the next half message is due for a check (or its discard); null when none is pending. */
  nextDue(): number | null {
    return this.sql.exec<{ t: number | null }>('SELECT MIN(next_check_at) AS t FROM mqt_half').one().t;
  }

  /** Pending half messages. */
  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mqt_half').one().n;
  }

  /**
   * The check-back, run by the alarm. Each due half message past its last
   * check is discarded: recorded with its producer group, then deleted (if the
   * record fails, it is tried again an interval later). Each other due one is
   * counted as checked and its next check set an interval ahead, in one
   * transaction before anything is asked, so that a retried alarm does not
   * check twice; then its producer group's check URL, if any, is asked, and a
   * COMMIT or ROLLBACK answer acted on. Checked messages are also exposed to
   * the half-message pop.
   */
  async runChecks(run: CheckRun): Promise<CheckRunResult> {
    const due = this.sql
      .exec<HalfRow>(
        'SELECT * FROM mqt_half WHERE next_check_at <= ? ORDER BY next_check_at, half_id LIMIT ?',
        run.now,
        CHECKS_PER_RUN,
      )
      .toArray()
      .map(fromRow);
    const expired = due.filter((h) => h.checkTimes >= run.checkMax);
    const checked = due
      .filter((h) => h.checkTimes < run.checkMax)
      .map((h) => ({ ...h, checkTimes: h.checkTimes + 1, nextCheckAt: run.now + run.intervalMs }));
    run.transaction(() => {
      for (const h of checked) {
        this.sql.exec(
          'UPDATE mqt_half SET check_times = ?, next_check_at = ?, rev = ? WHERE half_id = ?',
          h.checkTimes,
          h.nextCheckAt,
          this.revisions.next(),
          h.halfId,
        );
      }
    });

    let discarded = 0;
    for (const [group, halves] of byGroup(expired)) {
      try {
        await run.recordDiscarded(
          group,
          halves.map((h) => toHalfMessageView(h, run.queue, 'base64')),
        );
        run.transaction(() => {
          const gone = halves.filter(
            (h) => this.sql.exec('DELETE FROM mqt_half WHERE half_id = ? RETURNING 1', h.halfId).toArray().length > 0,
          );
          this.revisions.deleted(
            'mqt_half',
            gone.map((h) => [h.halfId]),
          );
          discarded += gone.length;
        });
      } catch (err) {
        log.error('recording discarded transactions failed; trying again later', {
          producerGroup: group,
          ...run.queue,
          count: halves.length,
          error: err,
        });
        for (const h of halves)
          this.sql.exec(
            'UPDATE mqt_half SET next_check_at = ?, rev = ? WHERE half_id = ?',
            run.now + run.intervalMs,
            this.revisions.next(),
            h.halfId,
          );
      }
    }

    await Promise.all(
      [...byGroup(checked)].map(async ([group, halves]) => {
        let target: { url: string; secret: string } | null = null;
        try {
          target = await run.checkTargetOf(group);
        } catch (err) {
          log.error('reading the check URL of a producer group failed', {
            producerGroup: group,
            ...run.queue,
            error: err,
          });
        }
        if (!target) return;
        await Promise.all(
          halves.map(async (h) => {
            const answer = await askCheckUrl(target, toHalfMessageView(h, run.queue, 'utf8'));
            if (answer !== 'UNKNOWN') run.resolve(h.halfId, answer);
          }),
        );
      }),
    );
    return { checked: checked.length, discarded, more: due.length === CHECKS_PER_RUN };
  }

  /** Drops every half message (the topic was deleted). Ids stay unused. */
  clear(): void {
    this.sql.exec('DELETE FROM mqt_half');
  }
}

function byGroup<H extends HalfMessage>(halves: H[]): Map<string, H[]> {
  const out = new Map<string, H[]>();
  for (const h of halves) {
    if (!out.has(h.producerGroup)) out.set(h.producerGroup, []);
    out.get(h.producerGroup)!.push(h);
  }
  return out;
}
