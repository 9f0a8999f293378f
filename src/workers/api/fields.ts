/**
 * Schemas that many routes share: names, queue ids, integers in a query, body
 * encodings, tag expressions, and the error responses. A rule that src/core
 * holds (a name's pattern, a tag expression's grammar) runs as the schema's
 * transform, so each rule is written once and answers its own code.
 */
import { z } from '@hono/zod-openapi';
import { parseBodyEncoding } from '../../core/body';
import { ERROR_CODES, type ErrorCode } from '../../core/errors';
import {
  DEFAULT_PULL_MESSAGES,
  MAX_PULL_MESSAGES,
  MAX_PULL_WAIT_MS,
  MAX_QUEUE_ID,
  MAX_REQUEST_BYTES,
  STATS_KEEP_MINUTES,
} from '../../core/limits';
import {
  MAX_BROKER_NAME_LENGTH,
  MAX_GROUP_LENGTH,
  MAX_TOPIC_LENGTH,
  validateBrokerName,
  validateGroup,
  validateTopic,
} from '../../core/names';
import { parseTagExpression } from '../../core/tag-filter';

export { z };

const NAME_PATTERN = '^[%|a-zA-Z0-9_-]+$';

export const TopicName = z
  .string()
  .transform((s) => validateTopic(s))
  .openapi('TopicName', {
    type: 'string',
    pattern: NAME_PATTERN,
    minLength: 1,
    maxLength: MAX_TOPIC_LENGTH,
    description:
      'A topic: letters, digits, `%`, `|`, `_` and `-`. In a path, percent-encode `%` as `%25` (and preferably `|` as `%7C`), e.g. `%25RETRY%25group`.',
  });

export const GroupName = z
  .string()
  .transform((s) => validateGroup(s))
  .openapi('GroupName', {
    type: 'string',
    pattern: NAME_PATTERN,
    minLength: 1,
    maxLength: MAX_GROUP_LENGTH,
    description: 'A consumer or producer group: letters, digits, `%`, `|`, `_` and `-`.',
  });

export const BrokerName = z
  .string()
  .transform((s) => validateBrokerName(s))
  .openapi('BrokerName', {
    type: 'string',
    pattern: '^[a-zA-Z0-9_-]+$',
    minLength: 1,
    maxLength: MAX_BROKER_NAME_LENGTH,
    description: 'A broker group: letters, digits, `_` and `-`.',
  });

/** Integer text as a query or path parameter carries it: digits only (no `1e3`, no spaces). */
const INTEGER_TEXT = /^-?\d+$/;

interface IntOptions {
  min?: number;
  max?: number;
  /** Used when the parameter is absent or empty; without it the parameter is required. */
  default?: number;
  description?: string;
}

/** An integer in a query or a path: "12" → 12, bounds checked, the message says the range. */
export function intText({ min = 0, max = Number.MAX_SAFE_INTEGER, default: fallback, description }: IntOptions = {}) {
  const number = z.number().int().min(min).max(max);
  return z
    .preprocess(
      (v) => (v === '' || v === undefined ? fallback : typeof v === 'string' && INTEGER_TEXT.test(v) ? Number(v) : v),
      number,
    )
    .openapi({
      type: 'integer',
      minimum: min,
      maximum: max,
      ...(fallback !== undefined ? { default: fallback } : {}),
      ...(description ? { description } : {}),
    });
}

/** `true`/`false`/`1`/`0` in a query; absent or empty: `fallback`. */
export const boolText = (description: string, fallback = false) =>
  z
    .preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false', '1', '0']).optional())
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'))
    .openapi({ type: 'string', enum: ['true', 'false', '1', '0'], default: String(fallback), description });

export const QueueId = intText({ max: MAX_QUEUE_ID, description: 'Queue id within the broker group.' });

/** The path of one queue of a topic. */
export const QueuePath = z.object({ topic: TopicName, brokerName: BrokerName, queueId: QueueId });

const bodyEncodingText =
  'How `body` is written in JSON: `utf8` (the default; `text` is accepted as a synonym) or `base64` (standard alphabet, with padding).';

/** `?bodyEncoding=` of reads: how to return bodies. */
export const BodyEncodingQuery = z
  .string()
  .optional()
  .transform((v) => parseBodyEncoding(v))
  .openapi({
    type: 'string',
    enum: ['utf8', 'base64', 'text'],
    default: 'utf8',
    description: `How to return message bodies. With \`utf8\` (the default) a body that is not valid UTF-8 is returned in base64 all the same; each message's \`bodyEncoding\` says which was used. ${bodyEncodingText}`,
  });
export { bodyEncodingText };

/** `?tags=` of reads: a tag expression (`*`, `a||b`). */
export const TagsQuery = z
  .string()
  .optional()
  .transform((v) => parseTagExpression(v))
  .openapi({
    type: 'string',
    default: '*',
    description: 'A tag expression: `*` (every message) or tags separated by `||`.',
  });

/** Said of every operation that reads a JSON body. */
export const requestBodyNote = `The body is JSON, at most ${MAX_REQUEST_BYTES} bytes (REQUEST_TOO_LARGE beyond).`;

/** Codes any /api/v1 operation may answer, whatever it does. */
const ALWAYS: readonly ErrorCode[] = ['CONFIG_INVALID', 'SERVER_MISCONFIGURED', 'INTERNAL_ERROR'];

/** The error code table as Markdown, generated from ERROR_CODES. */
export const errorCodeTable = [
  '| code | status | retriable | meaning |',
  '| --- | --- | --- | --- |',
  ...Object.entries(ERROR_CODES).map(
    ([code, e]) =>
      `| \`${code}\` | ${e.status} | ${e.retriable ? 'yes' : 'no'} | ${e.description.replace(/\|/g, '\\|')} |`,
  ),
].join('\n');

/** An error: its code, a message for humans and whether to retry (also inside answers that list failures one by one). */
export const ErrorBody = z.object({
  code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]).openapi({
    description: 'A stable error code; see the table in info.description (src/core/errors.ts is the source of truth).',
  }),
  message: z.string().openapi({ description: 'What went wrong, for humans; not stable.' }),
  retriable: z.boolean().openapi({ description: 'Whether the same request may be sent again as it is.' }),
});

export const ErrorResponse = z
  .object({ error: ErrorBody })
  .openapi('ErrorResponse', { description: `Every error has this shape.\n\n${errorCodeTable}` });

/**
 * The error responses of an operation, one per HTTP status, each listing the
 * codes it may carry (CONFIG_INVALID, SERVER_MISCONFIGURED and INTERNAL_ERROR are added to all).
 */
export function errorResponses(codes: readonly ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...codes, ...ALWAYS])) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus]
      .sort((a, b) => a[0] - b[0])
      .map(([status, list]) => [
        String(status),
        {
          description: list
            .map((c) => `\`${c}\`${ERROR_CODES[c].retriable ? ' (retriable)' : ''}: ${ERROR_CODES[c].description}`)
            .join('\n\n'),
          content: {
            'application/json': {
              schema: {
                allOf: [
                  { $ref: '#/components/schemas/ErrorResponse' },
                  { properties: { error: { properties: { code: { enum: list } } } } },
                ],
              },
            },
          },
        },
      ]),
  );
}

/** A JSON answer with this schema. */
export const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** How much a pull returns and how long it waits (a queue's pull and a member's). */
/** `?minutes=` of the per-minute statistics routes (topic, group, cluster): how many, ending with the current one. */
export const MinutesQuery = z.object({
  minutes: intText({
    min: 1,
    max: STATS_KEEP_MINUTES,
    default: 60,
    description: 'How many minutes, ending with the current one.',
  }),
});

export const pullWindow = {
  maxMessages: intText({
    min: 1,
    max: MAX_PULL_MESSAGES,
    default: DEFAULT_PULL_MESSAGES,
    description: 'Most messages to return.',
  }),
  waitMs: intText({
    max: MAX_PULL_WAIT_MS,
    default: 0,
    description: 'Long polling: how long to wait when there is no message.',
  }),
};

/** What any route on one queue of a topic may answer (a pull, a member's lock). */
export const QUEUE_ERRORS = [
  'INVALID_REQUEST',
  'INVALID_TOPIC_NAME',
  'INVALID_BROKER_NAME',
  'NO_PERMISSION',
  'TOPIC_NOT_EXIST',
  'QUEUE_NOT_EXIST',
  'BROKER_UNAVAILABLE',
  'NAMESERVER_UNAVAILABLE',
] as const satisfies readonly ErrorCode[];
