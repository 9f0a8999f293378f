import { FlareError } from './errors';

/** What a receipt handle names: one delivery of one message to one consumer group. */
export interface ReceiptHandle {
  topic: string;
  brokerName: string;
  brokerId: number;
  queueId: number;
  /** The consumer group the message was popped for. */
  group: string;
  /**
   * Set when the message was popped from the group's retry topic %RETRY%{group}
   * (`topic`) by a pop of this topic: the pop state it belongs to (see {@link popStateKey}).
   */
  retryOf?: string;
  queueOffset: number;
  /**
   * The delivery: a number the queue object draws for each pop and each
   * change of invisibility. Only the latest one acks (RocketMQ's semantics).
   */
  handleSeq: number;
}

/**
 * RocketMQ 5's separator between group and topic in a pop retry topic's name
 * (KeyBuilder.buildPopRetryTopicV2, `%RETRY%{group}+{topic}`); neither names
 * hold it.
 */
const POP_RETRY_SEPARATOR = '+';

/**
 * The key a queue object keeps a group's pop state under: the group; in the
 * group's retry topic, when a pop of `retryOf` reads it, `{group}+{retryOf}`,
 * so that every topic the group pops keeps its own cursor and in-flight
 * messages there, and skipping another topic's retry messages moves no other
 * topic's cursor.
 */
export function popStateKey(group: string, retryOf?: string): string {
  return retryOf === undefined ? group : `${group}${POP_RETRY_SEPARATOR}${retryOf}`;
}

/** Message ids are version 1, timer handles 2, receipt handles 3, transaction handles 4. */
const VERSION = 3;
// version, brokerId, queueId, offset, handle sequence, brokerName length, topic length
const HEADER = 1 + 1 + 2 + 8 + 8 + 1 + 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * A receipt handle is self-locating like a message id: upper-case hex of
 * version 3, brokerId, queueId, queue offset, handle sequence, the lengths of
 * broker name and topic, then broker name, topic and the pop state's key
 * (the group, or `{group}+{retryOf}`: {@link popStateKey}). Acking or changing
 * the invisibility of a message by its handle is one call to one queue object.
 */
export function encodeReceiptHandle(h: ReceiptHandle): string {
  const broker = encoder.encode(h.brokerName);
  const topic = encoder.encode(h.topic);
  const group = encoder.encode(popStateKey(h.group, h.retryOf));
  const bytes = new Uint8Array(HEADER + broker.length + topic.length + group.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, VERSION);
  view.setUint8(1, h.brokerId);
  view.setUint16(2, h.queueId);
  view.setBigUint64(4, BigInt(h.queueOffset));
  view.setBigUint64(12, BigInt(h.handleSeq));
  view.setUint8(20, broker.length);
  view.setUint8(21, topic.length);
  bytes.set(broker, HEADER);
  bytes.set(topic, HEADER + broker.length);
  bytes.set(group, HEADER + broker.length + topic.length);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex.toUpperCase();
}

/** The handle, or null for anything flaremq did not issue (wrong version, bad hex, bad names). */
export function parseReceiptHandle(handle: string): ReceiptHandle | null {
  if (
    typeof handle !== 'string' ||
    handle.length > 1024 ||
    handle.length < (HEADER + 3) * 2 ||
    !/^(?:[0-9A-Fa-f]{2})+$/.test(handle)
  )
    return null;
  const bytes = new Uint8Array(handle.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(handle.slice(i * 2, i * 2 + 2), 16);
  const view = new DataView(bytes.buffer);
  if (view.getUint8(0) !== VERSION) return null;
  const brokerLength = view.getUint8(20);
  const topicLength = view.getUint8(21);
  if (brokerLength === 0 || topicLength === 0 || HEADER + brokerLength + topicLength >= bytes.length) return null;
  const offset = view.getBigUint64(4);
  const seq = view.getBigUint64(12);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER) || seq > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  try {
    const brokerName = decoder.decode(bytes.subarray(HEADER, HEADER + brokerLength));
    const topic = decoder.decode(bytes.subarray(HEADER + brokerLength, HEADER + brokerLength + topicLength));
    const [group, retryOf, ...rest] = decoder
      .decode(bytes.subarray(HEADER + brokerLength + topicLength))
      .split(POP_RETRY_SEPARATOR);
    if (
      !/^[a-zA-Z0-9_-]{1,64}$/.test(brokerName) ||
      !/^[%|a-zA-Z0-9_-]{1,127}$/.test(topic) ||
      !/^[%|a-zA-Z0-9_-]{1,120}$/.test(group)
    )
      return null;
    if (rest.length > 0 || (retryOf !== undefined && !/^[%|a-zA-Z0-9_-]{1,127}$/.test(retryOf))) return null;
    const h: ReceiptHandle = {
      topic,
      brokerName,
      brokerId: view.getUint8(1),
      queueId: view.getUint16(2),
      group,
      queueOffset: Number(offset),
      handleSeq: Number(seq),
    };
    return retryOf === undefined ? h : { ...h, retryOf };
  } catch {
    return null;
  }
}

/** Decodes a receipt handle; throws INVALID_RECEIPT_HANDLE for anything flaremq did not issue. */
export function decodeReceiptHandle(handle: string): ReceiptHandle {
  const h = parseReceiptHandle(handle);
  if (!h)
    throw new FlareError('INVALID_RECEIPT_HANDLE', `'${String(handle).slice(0, 80)}' is not a flaremq receipt handle`);
  return h;
}
