import { FlareError } from './errors';

/** Where a stored message lives: enough to find it without a scan. */
export interface MessageLocation {
  topic: string;
  brokerName: string;
  brokerId: number;
  queueId: number;
  queueOffset: number;
}

const VERSION = 1;
const HEADER = 1 + 1 + 2 + 8 + 1; // version, brokerId, queueId, offset (or timer id), brokerName length
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** A queue and a number in it: the layout message ids and timer handles share, told apart by their version byte. */
export interface PackedLocation {
  topic: string;
  brokerName: string;
  brokerId: number;
  queueId: number;
  /** The queue offset of a message id, the timer id of a timer handle. */
  position: number;
}

/** Upper-case hex of version, brokerId, queueId, position, broker name and topic. */
export function packLocation(version: number, loc: PackedLocation): string {
  const broker = encoder.encode(loc.brokerName);
  const topic = encoder.encode(loc.topic);
  const bytes = new Uint8Array(HEADER + broker.length + topic.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, version);
  view.setUint8(1, loc.brokerId);
  view.setUint16(2, loc.queueId);
  view.setBigUint64(4, BigInt(loc.position));
  view.setUint8(12, broker.length);
  bytes.set(broker, HEADER);
  bytes.set(topic, HEADER + broker.length);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex.toUpperCase();
}

/** The inverse of packLocation for one version; null for anything else (wrong version, bad hex, bad names). */
export function unpackLocation(version: number, id: string): PackedLocation | null {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(id) || id.length < (HEADER + 2) * 2 || id.length > 1024) return null;
  const bytes = new Uint8Array(id.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(id.slice(i * 2, i * 2 + 2), 16);
  const view = new DataView(bytes.buffer);
  if (view.getUint8(0) !== version) return null;
  const brokerLength = view.getUint8(12);
  if (brokerLength === 0 || HEADER + brokerLength >= bytes.length) return null;
  const position = view.getBigUint64(4);
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  try {
    const brokerName = decoder.decode(bytes.subarray(HEADER, HEADER + brokerLength));
    const topic = decoder.decode(bytes.subarray(HEADER + brokerLength));
    if (!/^[a-zA-Z0-9_-]+$/.test(brokerName) || !/^[%|a-zA-Z0-9_-]{1,127}$/.test(topic)) return null;
    return { topic, brokerName, brokerId: view.getUint8(1), queueId: view.getUint16(2), position: Number(position) };
  } catch {
    return null;
  }
}

/**
 * A message id is self-locating, as RocketMQ's offsetMsgId is: upper-case hex
 * of version, brokerId, queueId, queue offset, broker name and topic. Reading a
 * message by id is one lookup in one queue object.
 */
export function encodeMessageId(loc: MessageLocation): string {
  const { queueOffset, ...rest } = loc;
  return packLocation(VERSION, { ...rest, position: queueOffset });
}

/** Decodes a message id; throws INVALID_MESSAGE_ID for anything flaremq did not issue. */
export function decodeMessageId(id: string): MessageLocation {
  const loc = unpackLocation(VERSION, id);
  if (!loc) throw new FlareError('INVALID_MESSAGE_ID', `'${id.slice(0, 80)}' is not a flaremq message id`);
  return { topic: loc.topic, brokerName: loc.brokerName, brokerId: loc.brokerId, queueId: loc.queueId, queueOffset: loc.position };
}

/**
 * A unique key (RocketMQ's UNIQ_KEY, the client-side message id): 32 upper-case
 * hex digits, the first 12 the milliseconds since the epoch, the rest random.
 */
export function newUniqueKey(now = Date.now()): string {
  const random = new Uint8Array(10);
  crypto.getRandomValues(random);
  let hex = now.toString(16).padStart(12, '0').slice(-12);
  for (const b of random) hex += b.toString(16).padStart(2, '0');
  return hex.toUpperCase();
}
