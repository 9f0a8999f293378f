/**
 * Typed errors of the SDK. Every failure the SDK reports is a
 * {@link FlaremqError} carrying the server's stable `code`, its HTTP `status`
 * and whether the same request may be sent again (`retriable`). The server's
 * codes come from the one table in src/core/errors.ts; the few conditions only
 * a client can meet (no answer at all) have their own codes below.
 */
import { ERROR_CODES, type ErrorCode } from '../core/errors';

/** Conditions only the client sees: the request got no flaremq answer. */
export const CLIENT_ERROR_CODES = {
  NETWORK_ERROR: {
    retriable: true,
    description:
      'fetch failed (connection refused or reset, DNS); the server may or may not have acted on the request.',
  },
  REQUEST_TIMEOUT: {
    retriable: true,
    description: 'No answer within the request timeout; the server may or may not have acted on the request.',
  },
  BAD_RESPONSE: {
    retriable: false,
    description:
      'The answer was not flaremq JSON (a proxy error page, a truncated body). Retriable when its HTTP status is 5xx or 429.',
  },
  STREAM_UNAVAILABLE: {
    retriable: true,
    description:
      'A WebSocket stream could not be opened, or broke: no WebSocket in this runtime, a proxy that does not pass upgrades, or a refused upgrade whose answer the runtime does not show. Consumers and producers then use HTTP (docs/streaming.md).',
  },
  ABORTED: {
    retriable: false,
    description: "The caller aborted the request (an AbortSignal, or a consumer's stop()).",
  },
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/**
 * A server code from src/core/errors.ts, a client code, or a code this SDK
 * does not know yet (a newer server): branch on the ones you handle.
 */
export type FlaremqErrorCode = ErrorCode | ClientErrorCode | (string & {});

export interface FlaremqErrorInit {
  /** HTTP status of the answer; 0 when there was no answer. Defaults to the table's status for the code. */
  status?: number;
  /** Whether the same request may be sent again. Defaults to the table's flag for the code. */
  retriable?: boolean;
  cause?: unknown;
}

/** Status and retriable flag of a known code, or undefined. */
function tableEntry(code: string): { status: number; retriable: boolean } | undefined {
  if (Object.prototype.hasOwnProperty.call(ERROR_CODES, code)) return ERROR_CODES[code as ErrorCode];
  if (Object.prototype.hasOwnProperty.call(CLIENT_ERROR_CODES, code))
    return { status: 0, ...CLIENT_ERROR_CODES[code as ClientErrorCode] };
  return undefined;
}

/**
 * An error from flaremq or from the way to it. `message` is `[CODE] detail`;
 * `detail` is the server's message, for humans (it may change); branch on `code`.
 */
export class FlaremqError extends Error {
  readonly code: FlaremqErrorCode;
  readonly detail: string;
  /** HTTP status of the answer, 0 when there was none (client codes). */
  readonly status: number;
  /** Whether the same request may be sent again unchanged (the server's flag). */
  readonly retriable: boolean;

  constructor(code: FlaremqErrorCode, detail: string, init: FlaremqErrorInit = {}) {
    super(`[${code}] ${detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'FlaremqError';
    const known = tableEntry(code);
    this.code = code;
    this.detail = detail;
    this.status = init.status ?? known?.status ?? 0;
    this.retriable = init.retriable ?? known?.retriable ?? false;
  }
}

export function isFlaremqError(err: unknown): err is FlaremqError {
  return err instanceof FlaremqError;
}

/** Whether `err` is a FlaremqError with this code. */
export function hasCode(err: unknown, code: FlaremqErrorCode): err is FlaremqError {
  return err instanceof FlaremqError && err.code === code;
}

/** Whether the request that failed with `err` may be sent again unchanged. */
export function isRetriable(err: unknown): boolean {
  return err instanceof FlaremqError && err.retriable;
}

/** The topic does not exist (and auto-create is off, or the call was not a send). */
export const isTopicNotExist = (err: unknown): err is FlaremqError => hasCode(err, 'TOPIC_NOT_EXIST');
/** The topic has no such queue. */
export const isQueueNotExist = (err: unknown): err is FlaremqError => hasCode(err, 'QUEUE_NOT_EXIST');
/** No message with this id. */
export const isMessageNotFound = (err: unknown): err is FlaremqError => hasCode(err, 'MESSAGE_NOT_FOUND');
/** The topic or queue's perm does not allow the operation. */
export const isNoPermission = (err: unknown): err is FlaremqError => hasCode(err, 'NO_PERMISSION');
/** A member pulled a queue that is not in its assignment: heartbeat again. */
export const isQueueNotAssigned = (err: unknown): err is FlaremqError => hasCode(err, 'QUEUE_NOT_ASSIGNED');
/** Another member holds the queue's lock (during a rebalance): try again shortly. */
export const isQueueLocked = (err: unknown): err is FlaremqError => hasCode(err, 'QUEUE_LOCKED');
/** A member's group config differs from the group's while other members are alive. */
export const isGroupConfigConflict = (err: unknown): err is FlaremqError => hasCode(err, 'GROUP_CONFIG_CONFLICT');
/** The request was malformed or refused as invalid (any 400). */
export const isInvalidRequest = (err: unknown): err is FlaremqError =>
  err instanceof FlaremqError && err.status === 400;
/** Something was over a size limit (any 413). */
export const isTooLarge = (err: unknown): err is FlaremqError => err instanceof FlaremqError && err.status === 413;
/** No broker or NameServer could take the request right now (retriable 503s). */
export const isUnavailable = (err: unknown): err is FlaremqError =>
  hasCode(err, 'BROKER_UNAVAILABLE') || hasCode(err, 'NAMESERVER_UNAVAILABLE');
/** No answer: the connection failed or timed out. */
export const isNetworkError = (err: unknown): err is FlaremqError =>
  hasCode(err, 'NETWORK_ERROR') || hasCode(err, 'REQUEST_TIMEOUT');
/** The caller aborted the request. */
export const isAborted = (err: unknown): err is FlaremqError => hasCode(err, 'ABORTED');
