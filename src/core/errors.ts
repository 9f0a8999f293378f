/**
 * The one table of flaremq error codes, shared by the Worker, the Durable
 * Objects and (later) the SDK. Each code has an HTTP status, whether a client
 * may retry the same request, and a short description used in the docs.
 */
export const ERROR_CODES = {
  // 400: the request itself is wrong; fix it before sending again.
  MALFORMED_JSON: { status: 400, retriable: false, description: 'The request body is not valid JSON.' },
  JSON_TOO_COMPLEX: {
    status: 400,
    retriable: false,
    description: 'The JSON body nests arrays and objects more than 32 deep, or holds more than 16384 of them.',
  },
  INVALID_REQUEST: {
    status: 400,
    retriable: false,
    description: 'A field of the request is missing or has the wrong type or value.',
  },
  INVALID_TOPIC_NAME: {
    status: 400,
    retriable: false,
    description: 'Topic names match ^[%|a-zA-Z0-9_-]+$ and are at most 127 characters.',
  },
  INVALID_GROUP_NAME: {
    status: 400,
    retriable: false,
    description: 'Group names match ^[%|a-zA-Z0-9_-]+$ and are at most 120 characters.',
  },
  INVALID_BROKER_NAME: {
    status: 400,
    retriable: false,
    description: 'Broker names match ^[a-zA-Z0-9_-]+$ and are at most 64 characters.',
  },
  INVALID_MESSAGE: {
    status: 400,
    retriable: false,
    description: 'A message field (body, tags, keys, properties) is malformed.',
  },
  INVALID_TAG_EXPRESSION: {
    status: 400,
    retriable: false,
    description: "A tag expression is '*' or tags separated by '||'.",
  },
  INVALID_OFFSET: { status: 400, retriable: false, description: 'An offset is not a non-negative integer.' },
  OFFSET_OUT_OF_RANGE: {
    status: 400,
    retriable: false,
    description: 'A committed offset lies outside [0, maxOffset] of the queue.',
  },
  INVALID_MESSAGE_ID: { status: 400, retriable: false, description: 'A message id is not one that flaremq issued.' },
  BATCH_MIXED_TOPICS: { status: 400, retriable: false, description: 'All messages of a batch go to one topic.' },
  INVALID_DELAY: {
    status: 400,
    retriable: false,
    description:
      'A delay (delayLevel, delayMs or deliverAt) is malformed, combined with another, or past the maximum delay.',
  },
  INVALID_TIMER_HANDLE: {
    status: 400,
    retriable: false,
    description: 'A timer handle is not one that flaremq issued.',
  },
  INVALID_RECEIPT_HANDLE: {
    status: 400,
    retriable: false,
    description: 'A receipt handle is not one that flaremq issued to this consumer group.',
  },
  RESERVED_PROPERTY: {
    status: 400,
    retriable: false,
    description:
      'A message sets a system property (RETRY_TOPIC, UNIQ_KEY, __SHARDINGKEY…) that flaremq sets itself; the message names it.',
  },
  INVALID_TRANSACTION_HANDLE: {
    status: 400,
    retriable: false,
    description: 'A transaction handle is not one that flaremq issued (to this producer group).',
  },
  // 401: who are you? The request is not signed by a known account (docs/security.md).
  UNAUTHENTICATED: {
    status: 401,
    retriable: false,
    description:
      'The request is not signed: accounts are configured, so every request carries Authorization and X-Flaremq-Timestamp.',
  },
  INVALID_SIGNATURE: {
    status: 401,
    retriable: false,
    description:
      'The Authorization header is malformed, names an unknown access key, or its signature does not match the request.',
  },
  REQUEST_EXPIRED: {
    status: 401,
    retriable: false,
    description: 'X-Flaremq-Timestamp is missing, malformed, or more than 15 minutes from the server’s clock.',
  },
  REQUEST_REPLAYED: {
    status: 401,
    retriable: false,
    description:
      'A signed write repeats a signature already used within its 15-minute window (a replay): sign every request anew.',
  },
  // 403: the account is known but may not do this (docs/security.md).
  ACCESS_DENIED: {
    status: 403,
    retriable: false,
    description: 'The account lacks the permission (PUB or SUB) on a topic or group this request needs.',
  },
  ADMIN_REQUIRED: {
    status: 403,
    retriable: false,
    description: 'Administration (topics, groups, offsets reset, DLQ resend, faults) needs an admin account.',
  },
  SOURCE_IP_DENIED: {
    status: 403,
    retriable: false,
    description: 'The account may not call from this address (allowedIps).',
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    retriable: false,
    description:
      'A browser request from a web page whose origin is neither this deployment nor listed in CORS_ALLOWED_ORIGINS may not write.',
  },
  ACCOUNTS_NOT_CONFIGURED: {
    status: 403,
    retriable: false,
    description:
      'No accounts are configured and FLAREMQ_MODE does not open the deployment: nothing is served but the OpenAPI document (set the FLAREMQ_ACCOUNTS secret, or FLAREMQ_MODE=development for local development).',
  },
  // 403, 404, 413: the request is well formed but cannot be served as asked.
  NO_PERMISSION: {
    status: 403,
    retriable: false,
    description: 'The topic (or its queue) does not allow this operation (perm).',
  },
  SLAVE_READ_ONLY: {
    status: 403,
    retriable: false,
    description:
      'A slave (brokerId ≥ 1) is read-only: messages are written to its group’s master, which replicates them.',
  },
  NOT_FOUND: { status: 404, retriable: false, description: 'No such route.' },
  TOPIC_NOT_EXIST: {
    status: 404,
    retriable: false,
    description: 'The topic does not exist (and auto-create is off, or this is not a send).',
  },
  QUEUE_NOT_EXIST: { status: 404, retriable: false, description: 'The topic has no such queue (brokerName, queueId).' },
  BROKER_NOT_EXIST: { status: 404, retriable: false, description: 'The cluster has no such broker group.' },
  MESSAGE_NOT_FOUND: {
    status: 404,
    retriable: false,
    description: 'No message with this id (deleted with its topic, or never stored).',
  },
  TIMER_NOT_FOUND: {
    status: 404,
    retriable: false,
    description: 'No pending timer with this handle: it was delivered or cancelled.',
  },
  GROUP_NOT_EXIST: {
    status: 404,
    retriable: false,
    description: 'No consumer group by this name (it has never had a member or a config).',
  },
  RECEIPT_HANDLE_EXPIRED: {
    status: 404,
    retriable: false,
    description:
      'The receipt handle no longer names an in-flight message: it was delivered again, replaced by a change of invisibility, or acked longer ago than a repeated ack is answered (5 minutes).',
  },
  TRANSACTION_NOT_FOUND: {
    status: 404,
    retriable: false,
    description: 'No half message with this handle: it was committed, rolled back or discarded.',
  },
  // 409: the request conflicts with the group's current state; the message says how to get in step.
  MEMBER_NOT_FOUND: {
    status: 409,
    retriable: false,
    description: 'The client is not a live member of the group: heartbeat first.',
  },
  QUEUE_NOT_ASSIGNED: {
    status: 409,
    retriable: false,
    description: 'The queue is not in the member’s current assignment: heartbeat to get the new one.',
  },
  QUEUE_LOCKED: {
    status: 409,
    retriable: true,
    description: 'Another member holds the queue’s lock (it releases it after a rebalance, or it expires in 60 s).',
  },
  GROUP_CONFIG_CONFLICT: {
    status: 409,
    retriable: false,
    description: 'A member’s config differs from the group’s while other members are alive.',
  },
  GENERATION_STALE: {
    status: 409,
    retriable: false,
    description:
      'The group’s offsets of this topic were reset after this generation: reload offsets instead of committing.',
  },
  GROUP_REBALANCING: {
    status: 409,
    retriable: true,
    description:
      'The group rebalanced during every attempt of an offset reset or skip: send it again (it is complete once it answers 200).',
  },
  MESSAGE_TOO_LARGE: {
    status: 413,
    retriable: false,
    description: 'A message body is larger than the maximum message size.',
  },
  PROPERTIES_TOO_LARGE: {
    status: 413,
    retriable: false,
    description: 'A message has more than 32 KiB of properties (or too many).',
  },
  BATCH_TOO_LARGE: {
    status: 413,
    retriable: false,
    description: 'A batch is over 4 MiB or over the maximum message count.',
  },
  REQUEST_TOO_LARGE: {
    status: 413,
    retriable: false,
    description: 'The request body is over the maximum request size.',
  },
  URL_TOO_LONG: {
    status: 414,
    retriable: false,
    description: 'The URL is over 8 KiB, or its query string over 4 KiB or 64 parameters.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retriable: false,
    description:
      'A JSON body is sent with Content-Type: application/json (other types are refused so that web pages cannot write without a CORS preflight).',
  },
  UPGRADE_REQUIRED: {
    status: 426,
    retriable: false,
    description: 'A stream route (docs/streaming.md) is opened with a WebSocket upgrade: GET with Upgrade: websocket.',
  },
  STREAM_WINDOW_FULL: {
    status: 429,
    retriable: true,
    description:
      'A producer stream got a batch while 64 of its batches were unanswered (its window): the stream is closed (1008); wait for answers before sending more.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    retriable: false,
    description: 'The request headers are over 16 KiB in total or 100 in number.',
  },
  // 5xx: the cluster could not serve the request; nothing was reported as done.
  INTERNAL_ERROR: { status: 500, retriable: false, description: 'An unexpected failure; it is logged with its cause.' },
  CONFIG_INVALID: {
    status: 500,
    retriable: false,
    description: 'The cluster configuration (wrangler vars) is invalid.',
  },
  SERVER_MISCONFIGURED: {
    status: 500,
    retriable: false,
    description:
      'The security configuration (the FLAREMQ_ACCOUNTS secret or FLAREMQ_MODE) is invalid: every request is refused; the cause is in the Worker log, not in the answer.',
  },
  BROKER_UNAVAILABLE: {
    status: 503,
    retriable: true,
    description: 'No broker group could take the request right now.',
  },
  NAMESERVER_UNAVAILABLE: { status: 503, retriable: true, description: 'No NameServer answered.' },
} as const satisfies Record<string, { status: number; retriable: boolean; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/**
 * An error with a stable code (`code`) and the text that says what to do
 * (`detail`). Its `message` reads `[CODE] detail` for logs only: nothing
 * parses it. Across Durable Object RPC, where an error keeps only its
 * message, a FlareError travels as a refusal (core/outcome.ts) instead.
 */
export class FlareError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;

  constructor(code: ErrorCode, detail: string) {
    super(`[${code}] ${detail}`);
    this.name = 'FlareError';
    this.code = code;
    this.detail = detail;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retriable(): boolean {
    return ERROR_CODES[this.code].retriable;
  }
}

/** `err` when it is a FlareError; otherwise undefined. */
export function toFlareError(err: unknown): FlareError | undefined {
  return err instanceof FlareError ? err : undefined;
}
