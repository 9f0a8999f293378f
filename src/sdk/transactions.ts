/**
 * Transactional messages (docs/transactions.md), RocketMQ's two-phase send:
 * a half message, invisible to consumers, then commit or rollback by what
 * the local transaction decided; what stays undecided is checked back later
 * (a {@link TransactionChecker}, or the producer group's check URL).
 * Producer.sendTransactional and the checker build on the calls here.
 */
import { decodeBody } from '../core/body';
import { newUniqueKey } from '../core/msg-id';
import { FlaremqError, hasCode } from './errors';
import { path, type Http } from './http';
import { toMessageInput, toWire, type Body, type MessageInput } from './message';
import { withRetry, type RetryOptions } from './retry';
import type { QueueId } from './types';
import type { components } from './wire';

type Schemas = components['schemas'];

/**
 * How a local transaction (or a check) ended, as RocketMQ's LocalTransactionState:
 * COMMIT delivers the message, ROLLBACK discards it, UNKNOWN leaves it to the
 * check-back. Return the strings, or `TransactionState.COMMIT` and so on.
 */
export const TransactionState = { COMMIT: 'COMMIT', ROLLBACK: 'ROLLBACK', UNKNOWN: 'UNKNOWN' } as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

/**
 * Decides a transaction: returns a {@link TransactionState} or a promise of
 * one; throwing counts as UNKNOWN. (TypeScript widens a literal returned by an
 * async function to string, so a promise of any string type-checks; anything
 * but the three states counts as UNKNOWN, with an INVALID_REQUEST error.)
 */
export type LocalTransaction<A> = (arg: A) => TransactionState | Promise<TransactionState | (string & {})>;

export interface TransactionalSendOptions {
  /** The producer group whose checker (or check URL) is asked about the transaction if it stays UNKNOWN. */
  producerGroup: string;
  /**
   * First check this long after the send, 1 ms to 12 h (RocketMQ's
   * CHECK_IMMUNITY_TIME_IN_SECONDS, in ms).
   * @defaultValue the cluster's TRANSACTION_TIMEOUT_MS (6000)
   */
  checkImmunityMs?: number;
  /** Ordered messages: the queue of this key. Not with `queue`. @defaultValue round robin */
  shardingKey?: string;
  /** This exact queue. @defaultValue round robin */
  queue?: QueueId;
  /** Cuts the half send (and its retries) short. */
  signal?: AbortSignal;
}

/** A half message as stored: it waits, invisible, for commit or rollback (by its `transactionHandle`). */
export type HalfSendResult = Schemas['HalfSendResult'];

/** A committed transaction: where its message was appended. */
export type CommitResult = Schemas['CommitResult'];

/** A rolled back transaction. */
export type RollbackResult = Schemas['RollbackResult'];

/** What the local transaction is given: the half message as stored, and the message sent. */
export type LocalTransactionContext = HalfSendResult & {
  message: MessageInput;
};

/** What {@link Producer.sendTransactional} resolves with (RocketMQ's TransactionSendResult). */
export interface TransactionalSendResult {
  /** The half message. */
  half: HalfSendResult;
  /** What the local transaction decided (UNKNOWN when it threw). */
  localTransactionState: TransactionState;
  /** COMMIT: where the message was appended (unless ending failed). */
  committed?: CommitResult;
  /** ROLLBACK: the rollback (unless ending failed). */
  rolledBack?: RollbackResult;
  /** The error the local transaction threw. */
  localTransactionError?: unknown;
  /**
   * Why the commit or rollback failed after its retries, e.g.
   * TRANSACTION_NOT_FOUND when a check resolved the transaction first. The
   * check-back resolves a half message that is still pending.
   */
  endTransactionError?: FlaremqError;
}

/** A pending half message as the API answers it (and POSTs it to a check URL). */
export type HalfMessageView = Schemas['HalfMessageView'];

const decoder = new TextDecoder();

/** A pending half message, as a check (or `admin.transactions.get`) sees it. */
export class HalfMessage {
  /** Commits, rolls back or reads it. */
  readonly transactionHandle: string;
  readonly producerGroup: string;
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
  /** The tag, or '' for none. */
  readonly tags: string;
  readonly keys: string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly bornTimestamp: number;
  /** The client-side id of the send: the committed message keeps it. */
  readonly uniqueKey: string;
  /** When the half message was stored, ms. */
  readonly preparedAt: number;
  /** Checks so far. */
  readonly checkTimes: number;
  /** When the next check is due, ms. */
  readonly nextCheckAt: number;

  constructor(view: HalfMessageView) {
    this.transactionHandle = view.transactionHandle;
    this.producerGroup = view.producerGroup;
    this.topic = view.topic;
    this.brokerName = view.brokerName;
    this.queueId = view.queueId;
    this.tags = view.tags ?? '';
    this.keys = view.keys ? view.keys.split(' ').filter((k) => k !== '') : [];
    this.properties = view.properties ?? {};
    this.body = decodeBody(view.body, view.bodyEncoding ?? 'utf8');
    this.bornTimestamp = view.bornTimestamp;
    this.uniqueKey = view.uniqueKey;
    this.preparedAt = view.preparedAt;
    this.checkTimes = view.checkTimes;
    this.nextCheckAt = view.nextCheckAt;
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return decoder.decode(this.body);
  }

  /** The body parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}

/** Reads a state returned by a local transaction or a check: anything else is refused as UNKNOWN by the caller. */
export function toTransactionState(value: unknown): TransactionState | undefined {
  return value === 'COMMIT' || value === 'ROLLBACK' || value === 'UNKNOWN' ? value : undefined;
}

/** Sends one half message (retried like a send: a retry keeps its uniqueKey). */
export function sendHalf(
  http: Http,
  retry: RetryOptions,
  topic: string,
  message: MessageInput,
  options: TransactionalSendOptions,
  timeoutMs?: number,
): Promise<HalfSendResult> {
  if (!options || typeof options.producerGroup !== 'string')
    throw new FlaremqError('INVALID_GROUP_NAME', 'a transactional send needs { producerGroup }');
  const body: Schemas['SendMessageRequest'] = {
    ...toWire(message),
    transaction:
      options.checkImmunityMs === undefined
        ? { producerGroup: options.producerGroup }
        : { producerGroup: options.producerGroup, checkImmunityMs: options.checkImmunityMs },
  };
  if (options.shardingKey !== undefined) body.shardingKey = options.shardingKey;
  if (options.queue !== undefined)
    body.queue = { brokerName: options.queue.brokerName, queueId: options.queue.queueId };
  return withRetry(
    () =>
      http.request<HalfSendResult>('POST', path`/topics/${topic}/messages`, {
        body,
        signal: options.signal,
        timeoutMs,
      }),
    retry,
    options.signal,
  );
}

/**
 * Commits or rolls back a half message. Retried on retriable failures; a
 * retry that finds the transaction gone (TRANSACTION_NOT_FOUND) after an
 * attempt whose answer was lost cannot tell whether that attempt ended it.
 */
export function endTransaction(
  http: Http,
  retry: RetryOptions,
  transactionHandle: string,
  how: 'commit',
): Promise<CommitResult>;
export function endTransaction(
  http: Http,
  retry: RetryOptions,
  transactionHandle: string,
  how: 'rollback',
): Promise<RollbackResult>;
export function endTransaction(
  http: Http,
  retry: RetryOptions,
  transactionHandle: string,
  how: 'commit' | 'rollback',
): Promise<CommitResult | RollbackResult>;
export function endTransaction(
  http: Http,
  retry: RetryOptions,
  transactionHandle: string,
  how: 'commit' | 'rollback',
): Promise<CommitResult | RollbackResult> {
  return withRetry(
    () => http.request<CommitResult | RollbackResult>('POST', `${path`/transactions/${transactionHandle}`}/${how}`),
    retry,
  );
}

/**
 * The whole transactional send: half message, local transaction, then commit
 * or rollback by its answer (nothing for UNKNOWN: the check-back decides).
 */
export async function sendTransactional(
  http: Http,
  retry: RetryOptions,
  topic: string,
  message: MessageInput | Body,
  executeLocalTransaction: LocalTransaction<LocalTransactionContext>,
  options: TransactionalSendOptions,
  timeoutMs?: number,
): Promise<TransactionalSendResult> {
  if (typeof executeLocalTransaction !== 'function')
    throw new FlaremqError('INVALID_REQUEST', 'sendTransactional needs an executeLocalTransaction function');
  let input = toMessageInput(message);
  if (input.uniqueKey === undefined) input = { ...input, uniqueKey: newUniqueKey() };
  const half = await sendHalf(http, retry, topic, input, options, timeoutMs);
  const result: TransactionalSendResult = { half, localTransactionState: 'UNKNOWN' };
  try {
    const state = await executeLocalTransaction({ ...half, message: input });
    const known = toTransactionState(state);
    if (!known)
      throw new FlaremqError(
        'INVALID_REQUEST',
        `executeLocalTransaction returned ${JSON.stringify(state)}, not 'COMMIT', 'ROLLBACK' or 'UNKNOWN'`,
      );
    result.localTransactionState = known;
  } catch (err) {
    result.localTransactionError = err;
    return result;
  }
  try {
    if (result.localTransactionState === 'COMMIT')
      result.committed = await endTransaction(http, retry, half.transactionHandle, 'commit');
    else if (result.localTransactionState === 'ROLLBACK')
      result.rolledBack = await endTransaction(http, retry, half.transactionHandle, 'rollback');
  } catch (err) {
    result.endTransactionError =
      err instanceof FlaremqError ? err : new FlaremqError('NETWORK_ERROR', String(err), { cause: err });
  }
  return result;
}

/** The transaction is no longer pending: committed, rolled back or discarded already. */
export const isTransactionNotFound = (err: unknown): err is FlaremqError => hasCode(err, 'TRANSACTION_NOT_FOUND');
