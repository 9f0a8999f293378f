/**
 * Errors of the RocketMQ HTTP protocol: an XML document
 *
 *   <Error xmlns="http://mq.aliyuncs.com/doc/v1/">
 *     <Code>TopicNotExist</Code><Message>…</Message><RequestId>…</RequestId><HostId>…</HostId>
 *   </Error>
 *
 * with the status that belongs to the code. flaremq's own errors (FlareError,
 * src/core/errors.ts) are mapped onto the protocol's codes here.
 */
import { ERROR_CODES, toFlareError, type ErrorCode } from '../../core/errors';
import { el, renderXml } from './xml';

/** The protocol's error codes that flaremq answers, with their HTTP status. */
export const PROTOCOL_ERROR_CODES = {
  // The request.
  InvalidArgument: 400,
  MalformedXML: 400,
  InvalidDigest: 400,
  InvalidRequestURL: 400,
  ReceiptHandleError: 400,
  MissingReceiptHandle: 400,
  // Authentication.
  MissingAuthorizationHeader: 400,
  InvalidAuthorizationHeader: 400,
  MissingDateHeader: 400,
  InvalidDateHeader: 400,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  AccessDenied: 403,
  TimeExpired: 408,
  // What the request names.
  TopicNotExist: 404,
  GroupNotExist: 404,
  MessageNotExist: 404,
  // Method not allowed on the resource.
  MethodNotAllowed: 405,
  // flaremq's state.
  Conflict: 409,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const satisfies Record<string, number>;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

/** An error answered in the protocol's format. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly status: number;

  constructor(code: ProtocolErrorCode, message: string, status: number = PROTOCOL_ERROR_CODES[code]) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.status = status;
  }
}

/**
 * flaremq codes with a protocol code of their own. Codes not listed map by
 * their HTTP status (see {@link toProtocolError}), so that codes added later
 * still get a sensible answer.
 */
const FROM_FLARE: Partial<Record<ErrorCode, ProtocolErrorCode>> = {
  MALFORMED_JSON: 'MalformedXML',
  NO_PERMISSION: 'AccessDenied',
  NOT_FOUND: 'InvalidRequestURL',
  TOPIC_NOT_EXIST: 'TopicNotExist',
  QUEUE_NOT_EXIST: 'TopicNotExist',
  MESSAGE_NOT_FOUND: 'MessageNotExist',
  TIMER_NOT_FOUND: 'MessageNotExist',
  GROUP_NOT_EXIST: 'GroupNotExist',
  INVALID_RECEIPT_HANDLE: 'ReceiptHandleError',
  INVALID_TRANSACTION_HANDLE: 'ReceiptHandleError',
  // The protocol's answer to a handle past its time ("the ack came after NextConsumeTime").
  RECEIPT_HANDLE_EXPIRED: 'MessageNotExist',
  TRANSACTION_NOT_FOUND: 'MessageNotExist',
  INTERNAL_ERROR: 'InternalError',
  CONFIG_INVALID: 'InternalError',
  SERVER_MISCONFIGURED: 'InternalError',
  BROKER_UNAVAILABLE: 'ServiceUnavailable',
  NAMESERVER_UNAVAILABLE: 'ServiceUnavailable',
};

/** The protocol code of a flaremq code. */
export function protocolCodeOf(code: ErrorCode | string): { code: ProtocolErrorCode; status: number } {
  const mapped = FROM_FLARE[code as ErrorCode];
  if (mapped) return { code: mapped, status: PROTOCOL_ERROR_CODES[mapped] };
  const status = (ERROR_CODES as Record<string, { status: number }>)[code]?.status ?? 500;
  if (status === 403) return { code: 'AccessDenied', status };
  if (status === 404) return { code: 'MessageNotExist', status };
  if (status === 409) return { code: 'Conflict', status };
  if (status >= 400 && status < 500) return { code: 'InvalidArgument', status: 400 };
  if (status === 503) return { code: 'ServiceUnavailable', status };
  return { code: 'InternalError', status: 500 };
}

/** A ProtocolError for anything thrown: ProtocolErrors as they are, FlareErrors mapped; undefined for anything else. */
export function toProtocolError(err: unknown): ProtocolError | undefined {
  if (err instanceof ProtocolError) return err;
  const flare = toFlareError(err);
  if (!flare) return undefined;
  const { code, status } = protocolCodeOf(flare.code);
  return new ProtocolError(code, `${flare.detail} (flaremq ${flare.code})`, status);
}

/** The XML error document. */
export function errorXml(err: ProtocolError, requestId: string, hostId: string): string {
  return renderXml(
    el('Error', [el('Code', err.code), el('Message', err.message), el('RequestId', requestId), el('HostId', hostId)]),
  );
}
