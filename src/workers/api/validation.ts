/**
 * Turns what a route declares (params, query, body schemas) into its parsed
 * input, and zod's issues into flaremq's error codes: the one place where a
 * validation failure gets its code and its message. Rules that live in
 * src/core (names, handles, tag expressions…) run inside the schemas as
 * transforms and throw their own FlareError, with their own code and message.
 */
import type { Context } from 'hono';
import type { z } from '@hono/zod-openapi';
import { FlareError, type ErrorCode } from '../../core/errors';
import { requestJson } from '../request';

/**
 * The code of an issue on a field, by the field's name (the last name in its
 * path): everything else is INVALID_REQUEST. A custom issue may name its own
 * code (`params: { code }`, see {@link issue}).
 */
const FIELD_CODES: Record<string, ErrorCode> = {
  offset: 'INVALID_OFFSET',
  commitOffset: 'INVALID_OFFSET',
  topic: 'INVALID_TOPIC_NAME',
  group: 'INVALID_GROUP_NAME',
  consumerGroup: 'INVALID_GROUP_NAME',
  producerGroup: 'INVALID_GROUP_NAME',
  brokerName: 'INVALID_BROKER_NAME',
  tags: 'INVALID_TAG_EXPRESSION',
  expression: 'INVALID_TAG_EXPRESSION',
  delayLevel: 'INVALID_DELAY',
  delayMs: 'INVALID_DELAY',
  deliverAt: 'INVALID_DELAY',
  msgId: 'INVALID_MESSAGE_ID',
};

/** `offsets[2].offset` from ['offsets', 2, 'offset']; `the body` for the root. */
function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || 'the body';
}

const shown = (input: unknown) => {
  const text = typeof input === 'string' ? input : (JSON.stringify(input) ?? String(input));
  return `'${text.slice(0, 40)}'`;
};

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/** The bounds a number schema declares (for "an integer from min to max"). */
function bounds(schema: unknown): { min: number; max: number } {
  const bag = (schema as { _zod?: { bag?: { minimum?: number; maximum?: number } } })?._zod?.bag ?? {};
  return { min: bag.minimum ?? Number.MIN_SAFE_INTEGER, max: bag.maximum ?? Number.MAX_SAFE_INTEGER };
}

/** The message of an issue, saying what to send instead (zod's own wording says what was wrong, not what to fix). */
function message(raw: RawIssue & { schema?: unknown; inst?: unknown }): string | undefined {
  const field = pathText(raw.path ?? []);
  const numeric = raw.code === 'invalid_type' && (raw.expected === 'number' || raw.expected === 'int');
  if (
    numeric ||
    ((raw.code === 'too_small' || raw.code === 'too_big') && raw.origin === 'number') ||
    raw.code === 'not_multiple_of'
  ) {
    // A bound check's issue carries its own bound (its inst is the check, not the schema with both).
    const known = bounds(raw.schema ?? raw.inst);
    const min = raw.code === 'too_small' ? Number(raw.minimum) : known.min;
    const max = raw.code === 'too_big' ? Number(raw.maximum) : known.max;
    const range =
      min === Number.MIN_SAFE_INTEGER
        ? `an integer <= ${max}`
        : max === Number.MAX_SAFE_INTEGER
          ? `an integer >= ${min}`
          : `an integer from ${min} to ${max}`;
    return raw.input === undefined
      ? `${field} is required: ${range}`
      : `${field} must be ${range}; got ${shown(raw.input)}`;
  }
  if (raw.code === 'invalid_type') {
    return raw.input === undefined
      ? `${field} is required (${raw.expected})`
      : `${field} must be ${raw.expected === 'object' ? 'a JSON object' : `a ${raw.expected}`}`;
  }
  if (raw.code === 'invalid_value')
    return `${field} must be one of ${raw.values.map((v) => JSON.stringify(v)).join(', ')}; got ${shown(raw.input)}`;
  if (raw.code === 'too_small' && raw.origin === 'array') return `${field} must hold at least ${raw.minimum} item(s)`;
  if (raw.code === 'too_big' && raw.origin === 'array') return `${field} may hold at most ${raw.maximum} items`;
  if (raw.code === 'too_small' && raw.origin === 'string')
    return `${field} must be at least ${raw.minimum} character(s)`;
  if (raw.code === 'too_big' && raw.origin === 'string') return `${field} may be at most ${raw.maximum} characters`;
  if (raw.code === 'unrecognized_keys') return `${field} has unknown field(s) ${raw.keys.join(', ')}`;
  if (raw.code === 'invalid_format' && raw.format === 'regex')
    return `${field} must match ${(raw as { pattern?: string }).pattern}; got ${shown(raw.input)}`;
  if (raw.code === 'invalid_union') return `${field} is none of its forms`;
  return undefined; // zod's own message, prefixed with the field below
}

/** Codes of issues by the name of a field they lie in (innermost first), before FIELD_CODES: a body's own table. */
export type FieldCodes = Partial<Record<string, ErrorCode>>;

/**
 * The issue a failed union stands for: that of the form the input came
 * closest to (its first issue lies deepest; the first form on a tie).
 */
function unionIssue(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const best = issue.errors.reduce((a, b) => ((b[0]?.path.length ?? 0) > (a[0]?.path.length ?? 0) ? b : a));
  return best[0] ? unionIssue({ ...best[0], path: [...issue.path, ...best[0].path] } as Issue) : issue;
}

/** The FlareError of the first issue. */
export function issueError(issues: readonly Issue[], codes: FieldCodes = {}): FlareError {
  const first = unionIssue(issues[0]);
  const own = first.code === 'custom' ? (first.params?.code as ErrorCode | undefined) : undefined;
  const names = [...first.path].reverse().filter((p): p is string => typeof p === 'string');
  const declared = names.map((n) => codes[n]).find((c) => c !== undefined);
  const code = own ?? declared ?? (names[0] ? FIELD_CODES[names[0]] : undefined) ?? 'INVALID_REQUEST';
  return new FlareError(code, first.message);
}

/** Parses `value` with `schema`: the output, or the FlareError of the first issue (`codes` before FIELD_CODES). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, codes?: FieldCodes): z.output<S> {
  const result = schema.safeParse(value, {
    error: (raw) => {
      const text = message(raw as RawIssue);
      return text ?? `${pathText(raw.path ?? [])}: ${raw.message ?? 'is not valid'}`;
    },
  });
  if (!result.success) throw issueError(result.error.issues, codes);
  return result.data;
}

/**
 * A custom issue with its own code, for refinements
 * (`ctx.addIssue(issue('INVALID_DELAY', 'give at most one of …'))`).
 */
export const issue = (code: ErrorCode, message: string, path?: PropertyKey[]) => ({
  code: 'custom' as const,
  message,
  params: { code },
  ...(path ? { path } : {}),
});

/** What a route declares of its request. */
export interface RequestSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: BodyDeclaration;
}

/** A JSON body: its schema, and what an empty body reads as (absent: an empty body is refused). */
export interface BodyDeclaration {
  schema: z.ZodType;
  description?: string;
  /** What an empty body reads as (e.g. `{}`); without it, an empty body is MALFORMED_JSON. */
  emptyAs?: unknown;
  /** Codes of issues in these fields, before FIELD_CODES (a message's `tags` is INVALID_MESSAGE, not a tag expression). */
  codes?: FieldCodes;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** The parsed input of a route with these request schemas. */
export interface Input<R extends RequestSchemas> {
  params: Out<R['params']>;
  query: Out<R['query']>;
  body: R['body'] extends BodyDeclaration ? z.output<R['body']['schema']> : undefined;
}

/**
 * Reads and checks a request as its route declares it: path parameters, then
 * the query, then the JSON body (read once, shared with the signature check:
 * ../request.ts, with its type, size and shape rules).
 */
export async function parseInput<R extends RequestSchemas>(c: Context, request: R): Promise<Input<R>> {
  const params = request.params ? parseWith(request.params, c.req.param()) : undefined;
  const query = request.query ? parseWith(request.query, c.req.query()) : undefined;
  let body: unknown;
  if (request.body) {
    const read = await requestJson(c.req.raw);
    if (!read.ok) throw read.error;
    let value = read.value;
    if (value === undefined) {
      if (request.body.emptyAs === undefined)
        throw new FlareError('MALFORMED_JSON', 'the request has no body; send a JSON object');
      value = request.body.emptyAs;
    }
    body = parseWith(request.body.schema, value, request.body.codes);
  }
  return { params, query, body } as Input<R>;
}
