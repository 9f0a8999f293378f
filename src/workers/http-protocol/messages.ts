/**
 * The protocol's message documents and flaremq's messages:
 * `<Message>` sent by a publish becomes a SendRequest; a consumed message
 * becomes a `<Message>` of a `<Messages>` answer.
 *
 * Properties travel as `key:value|key:value`. A few keys mean something:
 *
 * | key | on publish |
 * | --- | --- |
 * | `KEYS` | the message's keys (space separated), searchable by key |
 * | `__STARTDELIVERTIME` | deliver at this time (ms since the epoch): a timer message |
 * | `__TransCheckT` | a transactional (half) message, first checked after this many seconds |
 * | `__SHARDINGKEY` | an ordered message: the sharding key that picks its queue |
 *
 * KEYS is stored as the message's keys; the others stay in its properties, as
 * RocketMQ stores them, so that a consumer reads them back.
 */
import type { ClusterConfig } from '../../core/config';
import { FlareError } from '../../core/errors';
import { parseSendRequest, type SendRequest } from '../../core/message';
import {
  PROPERTY_KEYS,
  PROPERTY_SHARDING_KEY,
  PROPERTY_START_DELIVER_TIME,
  PROPERTY_TRANS_CHECK_IMMUNITY,
  refuseReservedProperties,
} from '../../core/system-properties';
import { MAX_CHECK_IMMUNITY_MS } from '../../core/transaction';
import { ProtocolError, toProtocolError } from './errors';
import { md5Hex } from './signature';
import { childText, el, localName, parseXml, XmlError, type XmlElement, type XmlNode } from './xml';

/**
 * The reserved properties a publish may set: the ones the official HTTP SDKs
 * set themselves (MessageProperties.messageKey, startDeliverTime,
 * transCheckImmunityTime, shardingKey). Every other reserved property
 * (src/core/system-properties.ts) is refused: InvalidArgument, flaremq's RESERVED_PROPERTY.
 */
export const SDK_PROPERTIES: ReadonlySet<string> = new Set([
  PROPERTY_KEYS,
  PROPERTY_START_DELIVER_TIME,
  PROPERTY_TRANS_CHECK_IMMUNITY,
  PROPERTY_SHARDING_KEY,
]);

/** What a publish asks for, before it is turned into a SendRequest. */
export interface Publish {
  body: string;
  tag: string;
  properties: Record<string, string>;
}

/** A publish as flaremq sends it. */
export interface PublishPlan {
  request: SendRequest;
  /** Set for a transactional message: seconds before its first check (`__TransCheckT`). */
  transCheckImmunitySeconds?: number;
}

function malformed(err: unknown): never {
  if (err instanceof XmlError)
    throw new ProtocolError('MalformedXML', `the request body is not well-formed XML: ${err.message}`);
  throw err;
}

/** Reads the request body as a document whose root element is `root`. */
export function readDocument(text: string, root: string, maxLength: number): XmlElement {
  let doc: XmlElement;
  try {
    doc = parseXml(text, { maxLength });
  } catch (err) {
    malformed(err);
  }
  if (localName(doc!.name) !== root)
    throw new ProtocolError('InvalidArgument', `the request body's root element is <${doc!.name}>; expected <${root}>`);
  return doc!;
}

/** Parses `k:v|k:v` (empty entries skipped; a value may contain ':', a key may not be empty). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split('|')) {
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    if (colon <= 0)
      throw new ProtocolError('InvalidArgument', `Properties entry '${entry.slice(0, 80)}' is not key:value`);
    const key = entry.slice(0, colon);
    if (key in out) throw new ProtocolError('InvalidArgument', `Properties names '${key.slice(0, 80)}' twice`);
    out[key] = entry.slice(colon + 1);
  }
  return out;
}

/**
 * Writes properties as `k:v|k:v`. A property whose key or value holds `|` or
 * `:` (possible for messages sent through the REST API), or is empty, cannot
 * be written in this format and is left out.
 */
export function formatProperties(props: Record<string, string>): string {
  return Object.entries(props)
    .filter(([k, v]) => k !== '' && v !== '' && !/[|:]/.test(k) && !/[|:]/.test(v))
    .map(([k, v]) => `${k}:${v}`)
    .join('|');
}

/** Reads a `<Message>` publish document. */
export function parsePublish(text: string, maxLength: number): Publish {
  const doc = readDocument(text, 'Message', maxLength);
  let body: string | undefined;
  let tag: string | undefined;
  let props: string | undefined;
  try {
    body = childText(doc, 'MessageBody');
    tag = childText(doc, 'MessageTag');
    props = childText(doc, 'Properties');
  } catch (err) {
    malformed(err);
  }
  if (body === undefined || body === '')
    throw new ProtocolError('InvalidArgument', 'MessageBody is required and must not be empty');
  return { body, tag: tag ?? '', properties: parseProperties(props ?? '') };
}

function integerProperty(props: Record<string, string>, key: string, min: number, max: number): number | undefined {
  const value = props[key];
  if (value === undefined) return undefined;
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ProtocolError(
      'InvalidArgument',
      `property ${key} must be an integer from ${min} to ${max}; got '${value.slice(0, 40)}'`,
    );
  }
  return n;
}

/** Longest check immunity a transactional message may ask for, in seconds (flaremq's 12 h, MAX_CHECK_IMMUNITY_MS). */
export const MAX_TRANS_CHECK_IMMUNITY_SECONDS = MAX_CHECK_IMMUNITY_MS / 1000;

/**
 * Turns a publish into a flaremq send, validated with the REST API's rules
 * (src/core/message.ts) and the cluster's message size and delays.
 */
export function planPublish(
  topic: string,
  publish: Publish,
  limits: Pick<ClusterConfig, 'maxMessageSize' | 'delayLevels' | 'timerMaxDelayMs'>,
  now = Date.now(),
): PublishPlan {
  try {
    refuseReservedProperties(publish.properties, '', SDK_PROPERTIES);
  } catch (err) {
    throw toProtocolError(err) ?? err;
  }
  const { [PROPERTY_KEYS]: keys, ...properties } = publish.properties;
  const deliverAt = integerProperty(properties, PROPERTY_START_DELIVER_TIME, 0, Number.MAX_SAFE_INTEGER);
  const trans = integerProperty(properties, PROPERTY_TRANS_CHECK_IMMUNITY, 0, MAX_TRANS_CHECK_IMMUNITY_SECONDS);
  if (deliverAt !== undefined && trans !== undefined) {
    throw new ProtocolError(
      'InvalidArgument',
      `a message is either timed (${PROPERTY_START_DELIVER_TIME}) or transactional (${PROPERTY_TRANS_CHECK_IMMUNITY}), not both`,
    );
  }
  const shardingKey = properties[PROPERTY_SHARDING_KEY];
  const raw: Record<string, unknown> = { body: publish.body, tags: publish.tag, properties };
  if (keys !== undefined) raw.keys = keys;
  if (shardingKey !== undefined) raw.shardingKey = shardingKey;
  if (deliverAt !== undefined) raw.deliverAt = deliverAt;
  let request: SendRequest;
  try {
    request = parseSendRequest(topic, raw, limits, now);
  } catch (err) {
    if (err instanceof FlareError) throw toProtocolError(err);
    throw err;
  }
  return trans === undefined ? { request } : { request, transCheckImmunitySeconds: trans };
}

/** The publish answer: `<Message>` with MessageId, MessageBodyMD5 and, for a transactional message, its ReceiptHandle. */
export function publishAnswer(messageId: string, bodyMd5: string, receiptHandle?: string): XmlNode {
  const fields = [el('MessageId', messageId), el('MessageBodyMD5', bodyMd5)];
  if (receiptHandle !== undefined) fields.push(el('ReceiptHandle', receiptHandle));
  return el('Message', fields);
}

/** A consumed message as the protocol shows it. */
export interface ProtocolMessage {
  /** RocketMQ's client-side message id: flaremq's uniqueKey. */
  messageId: string;
  receiptHandle: string;
  body: Uint8Array;
  /** When the producer sent it (its born timestamp), ms. */
  publishTime: number;
  /** When it becomes visible again unless acked, ms. */
  nextConsumeTime: number;
  /** When it was first delivered, ms. */
  firstConsumeTime: number;
  /** Deliveries so far, this one included. */
  consumedTimes: number;
  tag: string;
  keys: string;
  properties: Record<string, string>;
}

const lenientUtf8 = new TextDecoder('utf-8');

/**
 * The `<Message>` element of a consume answer. A body that is not UTF-8 (only
 * possible when sent through the REST API in base64) is shown with U+FFFD in
 * place of bad bytes, and its MD5 is of the text as sent.
 */
export async function messageElement(m: ProtocolMessage): Promise<XmlNode> {
  const body = lenientUtf8.decode(m.body);
  const md5 = await md5Hex(new TextEncoder().encode(body));
  const props: Record<string, string> = { ...m.properties };
  if (m.keys !== '') props[PROPERTY_KEYS] = m.keys;
  return el('Message', [
    el('MessageId', m.messageId),
    el('ReceiptHandle', m.receiptHandle),
    el('MessageBodyMD5', md5),
    el('MessageBody', body),
    el('PublishTime', m.publishTime),
    el('NextConsumeTime', m.nextConsumeTime),
    el('FirstConsumeTime', m.firstConsumeTime),
    el('ConsumedTimes', m.consumedTimes),
    el('MessageTag', m.tag),
    el('Properties', formatProperties(props)),
  ]);
}

/** Reads a `<ReceiptHandles>` document: 1 to `max` non-empty handles. */
export function parseReceiptHandles(text: string, maxLength: number, max: number): string[] {
  const doc = readDocument(text, 'ReceiptHandles', maxLength);
  const handles = doc.children.filter((c) => localName(c.name) === 'ReceiptHandle').map((c) => c.text.trim());
  if (handles.length === 0) throw new ProtocolError('MissingReceiptHandle', 'ReceiptHandles holds no <ReceiptHandle>');
  if (handles.length > max)
    throw new ProtocolError(
      'InvalidArgument',
      `ReceiptHandles holds ${handles.length} handles; at most ${max} per request`,
    );
  if (handles.some((h) => h === '')) throw new ProtocolError('MissingReceiptHandle', 'a <ReceiptHandle> is empty');
  return handles;
}
