import { encodeBody, type BodyEncoding } from './body';
import { FlareError } from './errors';
import type { NewMessage } from './message';
import { validateGroup } from './names';
import { encodeTransactionHandle } from './transaction-handle';

/** Longest check immunity a half message may ask for (ms): the longest invisible time. */
export const MAX_CHECK_IMMUNITY_MS = 12 * 3_600_000;
/** Longest check URL a producer group may register. */
export const MAX_CHECK_URL_LENGTH = 2048;
/** Discarded transactions a producer group keeps, newest first; older ones are dropped. */
export const MAX_DISCARDED_KEPT = 1000;
/** How long the queue object waits for a check URL to answer. */
export const CHECK_TIMEOUT_MS = 5_000;

/** The `transaction` field of a send: it makes the message a half message of this producer group. */
export interface TransactionOptions {
  producerGroup: string;
  /**
   * First check this long after the send, instead of the TRANSACTION_TIMEOUT_MS
   * var (RocketMQ's CHECK_IMMUNITY_TIME_IN_SECONDS, in ms).
   */
  checkImmunityMs?: number;
}

/** How a producer resolves a transaction (RocketMQ's LocalTransactionState). */
export type TransactionResolution = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN';

/** A half message waiting in its queue for commit, rollback or its next check. */
export interface HalfMessage {
  halfId: number;
  producerGroup: string;
  message: NewMessage;
  /** When it was sent. */
  preparedAt: number;
  /** When it is next checked (or, past the last check, discarded). */
  nextCheckAt: number;
  /** Checks so far. */
  checkTimes: number;
}

/** A half message as the API shows it: in the half-message pop, to a check URL, in the discarded list. */
export interface HalfMessageView {
  transactionHandle: string;
  producerGroup: string;
  topic: string;
  brokerName: string;
  queueId: number;
  tags: string;
  keys: string;
  properties: Record<string, string>;
  body: string;
  bodyEncoding: BodyEncoding;
  bornTimestamp: number;
  uniqueKey: string;
  preparedAt: number;
  checkTimes: number;
  nextCheckAt: number;
}

/** Where a half message waits. */
export interface HalfMessageQueue {
  topic: string;
  brokerName: string;
  brokerId: number;
  queueId: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a send's `transaction` field: `{"producerGroup": "PG", "checkImmunityMs"?: n}`. */
export function parseTransactionOptions(raw: unknown): TransactionOptions {
  if (!isObject(raw))
    throw new FlareError(
      'INVALID_REQUEST',
      'transaction must be {"producerGroup": string, "checkImmunityMs"?: integer}',
    );
  const producerGroup = validateGroup(raw.producerGroup);
  if (raw.checkImmunityMs === undefined || raw.checkImmunityMs === null) return { producerGroup };
  const ms = raw.checkImmunityMs;
  if (!Number.isSafeInteger(ms) || (ms as number) < 1 || (ms as number) > MAX_CHECK_IMMUNITY_MS) {
    throw new FlareError(
      'INVALID_REQUEST',
      `transaction.checkImmunityMs must be an integer from 1 to ${MAX_CHECK_IMMUNITY_MS} (12 h)`,
    );
  }
  return { producerGroup, checkImmunityMs: ms as number };
}

/** Checks a producer group's check URL: an absolute http(s) URL; null (or "") removes it. */
export function parseCheckUrl(raw: unknown): string | null {
  if (raw === null || raw === '') return null;
  if (typeof raw !== 'string' || raw.length > MAX_CHECK_URL_LENGTH) {
    throw new FlareError(
      'INVALID_REQUEST',
      `checkUrl must be an http or https URL of at most ${MAX_CHECK_URL_LENGTH} characters, or null`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FlareError('INVALID_REQUEST', `checkUrl '${raw.slice(0, 80)}' is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FlareError('INVALID_REQUEST', 'checkUrl must use http or https');
  return raw;
}

const ANSWERS: Record<string, TransactionResolution> = {
  COMMIT: 'COMMIT',
  COMMIT_MESSAGE: 'COMMIT',
  ROLLBACK: 'ROLLBACK',
  ROLLBACK_MESSAGE: 'ROLLBACK',
  UNKNOWN: 'UNKNOWN',
  UNKNOW: 'UNKNOWN',
};

/**
 * A check URL's answer: `{"status": "COMMIT" | "ROLLBACK" | "UNKNOWN"}` (any
 * case; RocketMQ's COMMIT_MESSAGE, ROLLBACK_MESSAGE and UNKNOW too). Anything
 * else counts as UNKNOWN: the message is checked again later.
 */
export function parseCheckAnswer(body: unknown): TransactionResolution {
  if (!isObject(body) || typeof body.status !== 'string') return 'UNKNOWN';
  return ANSWERS[body.status.toUpperCase()] ?? 'UNKNOWN';
}

/** The API view of a half message. */
export function toHalfMessageView(half: HalfMessage, queue: HalfMessageQueue, encoding: BodyEncoding): HalfMessageView {
  const m = half.message;
  return {
    transactionHandle: encodeTransactionHandle({ ...queue, halfId: half.halfId }),
    producerGroup: half.producerGroup,
    topic: queue.topic,
    brokerName: queue.brokerName,
    queueId: queue.queueId,
    tags: m.tags,
    keys: m.keys.join(' '),
    properties: m.properties,
    ...encodeBody(m.body, encoding),
    bornTimestamp: m.bornTimestamp,
    uniqueKey: m.uniqueKey,
    preparedAt: half.preparedAt,
    checkTimes: half.checkTimes,
    nextCheckAt: half.nextCheckAt,
  };
}

/** The error for a handle whose half message is no longer pending. */
export function transactionNotFound(handle: string): FlareError {
  return new FlareError(
    'TRANSACTION_NOT_FOUND',
    `transaction ${handle} is not pending: it was committed, rolled back, or discarded after its last check (or its topic was deleted)`,
  );
}
