import { decodeBody, encodeBody, parseBodyEncoding, type BodyEncoding } from './body';
import type { ClusterConfig } from './config';
import { formatDuration } from './delay-levels';
import { FlareError } from './errors';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_COUNT,
  MAX_KEYS_LENGTH,
  MAX_SHARDING_KEY_LENGTH,
  MAX_UNIQUE_KEY_LENGTH,
  MAX_QUEUE_ID,
  MAX_PROPERTIES_BYTES,
  MAX_PROPERTIES_COUNT,
  MAX_TAG_LENGTH,
} from './limits';
import { messageIdsOf, newUniqueKey, type MessageLocation } from './msg-id';
import { validateBrokerName, validateTopic } from './names';

/** A message ready to append: validated, body decoded. */
export interface NewMessage {
  body: Uint8Array;
  /** One tag, or '' for none. */
  tags: string;
  keys: string[];
  properties: Record<string, string>;
  bornTimestamp: number;
  uniqueKey: string;
  reconsumeTimes: number;
}

/** A message as a queue object stores and returns it. */
export interface StoredMessage extends NewMessage {
  queueOffset: number;
  storeTimestamp: number;
}

/** A message as the API shows it. */
export interface MessageView {
  msgId: string;
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  tags: string;
  /** Space separated, as RocketMQ's Message.getKeys(). */
  keys: string;
  properties: Record<string, string>;
  body: string;
  bodyEncoding: BodyEncoding;
  bornTimestamp: number;
  storeTimestamp: number;
  uniqueKey: string;
  reconsumeTimes: number;
}

/** Where a send goes: round robin (neither), by sharding key, or to one queue. */
export interface SendTarget {
  shardingKey?: string;
  queue?: { brokerName: string; queueId: number };
}

/** A validated send request: one message or a batch, all for one topic. */
export interface SendRequest extends SendTarget {
  topic: string;
  batch: boolean;
  messages: NewMessage[];
  /**
   * Delayed delivery: when the messages become due (ms since the epoch). They
   * wait in their queue's timers and take their offsets then. Absent, or not
   * in the future, sends at once. The one input of the delayed path: a send
   * with delayLevel or delayMs arrives here as this absolute time.
   */
  deliverAt?: number;
}

/** What validating a send needs of the cluster config. */
export type SendLimits = Pick<ClusterConfig, 'maxMessageSize' | 'delayLevels' | 'timerMaxDelayMs'>;

/** The request fields that delay a send; a request takes at most one, at its top level. */
export const DELAY_FIELDS = ['delayLevel', 'delayMs', 'deliverAt'] as const;

function fail(detail: string): never {
  throw new FlareError('INVALID_MESSAGE', detail);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseTags(value: unknown, where: string): string {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value !== 'string') fail(`${where}tags must be a string (one tag)`);
  if (value.length > MAX_TAG_LENGTH) fail(`${where}tags is at most ${MAX_TAG_LENGTH} characters`);
  if (/[\s|*]/.test(value)) fail(`${where}tags '${value}' must not contain whitespace, '|' or '*'`);
  return value;
}

function parseKeys(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  let keys: unknown[];
  if (typeof value === 'string') keys = value.split(' ').filter((k) => k !== '');
  else if (Array.isArray(value)) keys = value;
  else fail(`${where}keys must be a space separated string or an array of strings`);
  for (const key of keys) {
    if (typeof key !== 'string' || key === '' || /\s/.test(key))
      fail(`${where}each key must be a non-empty string without whitespace`);
  }
  const out = [...new Set(keys as string[])];
  if (out.join(' ').length > MAX_KEYS_LENGTH) fail(`${where}keys are at most ${MAX_KEYS_LENGTH} characters together`);
  return out;
}

function parseProperties(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) fail(`${where}properties must be an object of string values`);
  const entries = Object.entries(value);
  if (entries.length > MAX_PROPERTIES_COUNT) {
    throw new FlareError(
      'PROPERTIES_TOO_LARGE',
      `${where}properties has ${entries.length} entries; at most ${MAX_PROPERTIES_COUNT} are allowed`,
    );
  }
  for (const [name, v] of entries) {
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    if (name === '' || /[\u0000-\u001f]/.test(name))
      fail(`${where}property names must be non-empty without control characters`);
    if (typeof v !== 'string') fail(`${where}property '${name}' must be a string`);
  }
  const properties = value as Record<string, string>;
  // Measured exactly only when the bound could pass the limit: most properties are far below it.
  if (propertiesSizeBound(properties) > MAX_PROPERTIES_BYTES) {
    const size = encoder.encode(JSON.stringify(properties)).length;
    if (size > MAX_PROPERTIES_BYTES) {
      throw new FlareError(
        'PROPERTIES_TOO_LARGE',
        `${where}properties take ${size} bytes; at most ${MAX_PROPERTIES_BYTES} are allowed`,
      );
    }
  }
  return { ...properties };
}

const encoder = new TextEncoder();

/**
 * At least the length of `JSON.stringify(properties)`, in characters and in
 * UTF-8 bytes: a character takes at most 6 either way (`\u001f`; 3 bytes in
 * UTF-8), and each entry adds its quotes, colon and comma.
 */
function propertiesSizeBound(properties: Record<string, string>): number {
  let chars = 0;
  let entries = 0;
  for (const name in properties) {
    chars += name.length + properties[name].length;
    entries++;
  }
  return 2 + 6 * chars + 6 * entries;
}

function parseMessage(raw: unknown, where: string, maxMessageSize: number, now: number): NewMessage {
  if (!isObject(raw)) fail(`${where}a message must be a JSON object`);
  if (typeof raw.body !== 'string')
    fail(`${where}body is required and must be a string (text, or base64 with bodyEncoding "base64")`);
  const encoding = parseBodyEncoding(raw.bodyEncoding, `${where}bodyEncoding`);
  let body: Uint8Array;
  try {
    body = decodeBody(raw.body, encoding);
  } catch (err) {
    if (err instanceof FlareError) fail(`${where}${err.detail}`);
    throw err;
  }
  if (body.length === 0) fail(`${where}body must not be empty`);
  if (body.length > maxMessageSize) {
    throw new FlareError(
      'MESSAGE_TOO_LARGE',
      `${where}body is ${body.length} bytes; the maximum message size is ${maxMessageSize}`,
    );
  }
  let bornTimestamp = now;
  if (raw.bornTimestamp !== undefined) {
    if (!Number.isSafeInteger(raw.bornTimestamp) || (raw.bornTimestamp as number) < 0)
      fail(`${where}bornTimestamp must be milliseconds since the epoch`);
    bornTimestamp = raw.bornTimestamp as number;
  }
  let uniqueKey: string;
  if (raw.uniqueKey === undefined) uniqueKey = newUniqueKey(now);
  else if (
    typeof raw.uniqueKey === 'string' &&
    raw.uniqueKey.length <= MAX_UNIQUE_KEY_LENGTH &&
    /^[A-Za-z0-9_-]+$/.test(raw.uniqueKey)
  )
    uniqueKey = raw.uniqueKey;
  else fail(`${where}uniqueKey must be 1 to ${MAX_UNIQUE_KEY_LENGTH} letters, digits, _ or -`);
  return {
    body,
    tags: parseTags(raw.tags, where),
    keys: parseKeys(raw.keys, where),
    properties: parseProperties(raw.properties, where),
    bornTimestamp,
    uniqueKey,
    reconsumeTimes: 0,
  };
}

function parseTarget(raw: Record<string, unknown>): SendTarget {
  const target: SendTarget = {};
  if (raw.shardingKey !== undefined) {
    if (
      typeof raw.shardingKey !== 'string' ||
      raw.shardingKey === '' ||
      raw.shardingKey.length > MAX_SHARDING_KEY_LENGTH
    ) {
      throw new FlareError(
        'INVALID_REQUEST',
        `shardingKey must be a non-empty string of at most ${MAX_SHARDING_KEY_LENGTH} characters`,
      );
    }
    target.shardingKey = raw.shardingKey;
  }
  if (raw.queue !== undefined) {
    const q = raw.queue;
    if (
      !isObject(q) ||
      !Number.isInteger(q.queueId) ||
      (q.queueId as number) < 0 ||
      (q.queueId as number) > MAX_QUEUE_ID
    ) {
      throw new FlareError(
        'INVALID_REQUEST',
        `queue must be {"brokerName": string, "queueId": integer from 0 to ${MAX_QUEUE_ID}}`,
      );
    }
    target.queue = { brokerName: validateBrokerName(q.brokerName), queueId: q.queueId as number };
  }
  if (target.queue && target.shardingKey) {
    throw new FlareError('INVALID_REQUEST', 'give either shardingKey or queue, not both');
  }
  return target;
}

function invalidDelay(detail: string): FlareError {
  return new FlareError('INVALID_DELAY', detail);
}

const shown = (value: unknown): string => JSON.stringify(value)?.slice(0, 40) ?? String(value);

/**
 * The absolute due time of a delayed send, from at most one of `delayLevel`
 * (1 … number of levels), `delayMs` (> 0) and `deliverAt` (ms since the
 * epoch); undefined for an immediate send, which includes a deliverAt that is
 * not in the future. delayMs and deliverAt may be at most timerMaxDelayMs
 * away; the levels are the configured ones, whatever their length.
 */
export function parseDelay(
  raw: Record<string, unknown>,
  limits: Omit<SendLimits, 'maxMessageSize'>,
  now: number,
): number | undefined {
  const given = DELAY_FIELDS.filter((f) => raw[f] !== undefined && raw[f] !== null);
  if (given.length === 0) return undefined;
  if (given.length > 1)
    throw invalidDelay(
      `give at most one of delayLevel, delayMs and deliverAt; this request has ${given.join(' and ')}`,
    );
  const max = limits.timerMaxDelayMs;
  const maxText = `the maximum delay of ${max} ms (${formatDuration(max)}, TIMER_MAX_DELAY_MS)`;
  const field = given[0];
  const value = raw[field];
  if (field === 'delayLevel') {
    const levels = limits.delayLevels;
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > levels.length) {
      throw invalidDelay(
        `delayLevel must be an integer from 1 to ${levels.length} (levels: ${levels.map(formatDuration).join(' ')}); got ${shown(value)}`,
      );
    }
    return now + levels[(value as number) - 1];
  }
  if (field === 'delayMs') {
    if (!Number.isSafeInteger(value) || (value as number) < 1)
      throw invalidDelay(`delayMs must be a positive integer of milliseconds; got ${shown(value)}`);
    if ((value as number) > max) throw invalidDelay(`delayMs ${value as number} is past ${maxText}`);
    return now + (value as number);
  }
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw invalidDelay(`deliverAt must be an integer of milliseconds since the epoch; got ${shown(value)}`);
  const deliverAt = value as number;
  if (deliverAt - now > max) {
    throw invalidDelay(
      `deliverAt ${deliverAt} is ${deliverAt - now} ms away, past ${maxText}: at most ${now + max} now`,
    );
  }
  return deliverAt > now ? deliverAt : undefined;
}

/**
 * Validates a send: `{body, tags, keys, properties, ...}` for one message or
 * `{messages: [...]}` for a batch, with an optional `shardingKey` or `queue`
 * and an optional delay (`delayLevel`, `delayMs` or `deliverAt`, at the top
 * level). Every limit is checked here, before anything is stored. `limits` is
 * the cluster config (a bare number is the maximum message size, with
 * RocketMQ's delay levels and the default maximum delay).
 */
export function parseSendRequest(topic: string, raw: unknown, limits: SendLimits, now = Date.now()): SendRequest {
  validateTopic(topic);
  if (!isObject(raw)) throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object');
  const { maxMessageSize, ...delayLimits } = limits;
  const target = parseTarget(raw);
  const deliverAt = parseDelay(raw, delayLimits, now);
  const delay = deliverAt === undefined ? {} : { deliverAt };
  if (raw.messages === undefined) {
    if (raw.topic !== undefined && raw.topic !== topic) {
      throw new FlareError(
        'INVALID_REQUEST',
        `the message names topic '${String(raw.topic)}' but is sent to '${topic}'; drop the field or send to its topic`,
      );
    }
    return { topic, batch: false, messages: [parseMessage(raw, '', maxMessageSize, now)], ...target, ...delay };
  }
  if (!Array.isArray(raw.messages) || raw.messages.length === 0) {
    throw new FlareError('INVALID_REQUEST', 'messages must be a non-empty array');
  }
  if (raw.messages.length > MAX_BATCH_COUNT) {
    throw new FlareError(
      'BATCH_TOO_LARGE',
      `a batch holds at most ${MAX_BATCH_COUNT} messages; this one has ${raw.messages.length}`,
    );
  }
  // A bound of the batch's size while it stays under the limit; its exact size from the message where the bound passes it.
  let total = 0;
  let exact = false;
  const messages: NewMessage[] = [];
  for (const [i, m] of raw.messages.entries()) {
    if (isObject(m) && m.topic !== undefined && m.topic !== topic) {
      throw new FlareError(
        'BATCH_MIXED_TOPICS',
        `messages[${i}] is for topic '${String(m.topic)}'; a batch goes to one topic ('${topic}')`,
      );
    }
    const inner = isObject(m) ? DELAY_FIELDS.find((f) => m[f] !== undefined && m[f] !== null) : undefined;
    if (inner)
      throw invalidDelay(
        `messages[${i}].${inner}: a batch is delayed as a whole, by ${inner} at the top level of the request`,
      );
    const message = parseMessage(m, `messages[${i}].`, maxMessageSize, now);
    messages.push(message);
    total += exact ? messageSize(message) : messageSize(message, true);
    if (total > MAX_BATCH_BYTES && !exact) {
      exact = true;
      total = messages.reduce((n, counted) => n + messageSize(counted), 0);
    }
    if (total > MAX_BATCH_BYTES) {
      throw new FlareError('BATCH_TOO_LARGE', `the batch passes ${MAX_BATCH_BYTES} bytes at messages[${i}]; split it`);
    }
  }
  return { topic, batch: true, messages, ...target, ...delay };
}

/**
 * Bytes a message counts for against the batch limit: bodies, tags, keys and
 * properties as JSON; with `bound`, at least that, without serializing the properties.
 */
export function messageSize(m: NewMessage, bound = false): number {
  let keys = m.keys.length > 0 ? m.keys.length - 1 : 0;
  for (const key of m.keys) keys += key.length;
  return (
    m.body.length +
    m.tags.length +
    keys +
    (bound ? propertiesSizeBound(m.properties) : JSON.stringify(m.properties).length)
  );
}

/** The API view of a stored message. */
export function toMessageView(
  m: StoredMessage,
  loc: Omit<MessageLocation, 'queueOffset'>,
  encoding: BodyEncoding,
): MessageView {
  return messageViews(loc, encoding)(m);
}

/** The API views of one queue's messages (toMessageView for many: the queue's part of their ids is encoded once). */
export function messageViews(
  loc: Omit<MessageLocation, 'queueOffset'>,
  encoding: BodyEncoding,
): (m: StoredMessage) => MessageView {
  const idOf = messageIdsOf(loc);
  return (m) => ({
    msgId: idOf(m.queueOffset),
    topic: loc.topic,
    brokerName: loc.brokerName,
    queueId: loc.queueId,
    queueOffset: m.queueOffset,
    tags: m.tags,
    keys: m.keys.join(' '),
    properties: m.properties,
    ...encodeBody(m.body, encoding),
    bornTimestamp: m.bornTimestamp,
    storeTimestamp: m.storeTimestamp,
    uniqueKey: m.uniqueKey,
    reconsumeTimes: m.reconsumeTimes,
  });
}
