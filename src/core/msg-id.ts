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

/** Upper-case hex of each byte value, so that hex is a table lookup per byte. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0').toUpperCase());

/** Upper-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX[bytes[i]];
  return hex;
}

/**
 * Packs locations of one queue that differ only in position: the hex of the
 * header before the position and of the names after it is made once, so that
 * the ids of a send's or a pull's messages cost a number's hex each.
 */
export function locationPacker(version: number, loc: Omit<PackedLocation, 'position'>): (position: number) => string {
  const broker = encoder.encode(loc.brokerName);
  const topic = encoder.encode(loc.topic);
  const head = new Uint8Array(4);
  const view = new DataView(head.buffer);
  view.setUint8(0, version);
  view.setUint8(1, loc.brokerId);
  view.setUint16(2, loc.queueId);
  const tail = new Uint8Array(1 + broker.length + topic.length);
  tail[0] = broker.length;
  tail.set(broker, 1);
  tail.set(topic, 1 + broker.length);
  const before = toHex(head);
  const after = toHex(tail);
  // The position as 8 bytes, big-endian: at most 2^53, so a number's own hex, padded, is the same.
  return (position) => before + position.toString(16).toUpperCase().padStart(16, '0') + after;
}

/** Upper-case hex of version, brokerId, queueId, position (8 bytes), broker name length, broker name and topic. */
export function packLocation(version: number, loc: PackedLocation): string {
  return locationPacker(version, loc)(loc.position);
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
  return messageIdsOf(loc)(loc.queueOffset);
}

/** The message ids of one queue's messages, by queue offset (encodeMessageId for many messages of one queue). */
export function messageIdsOf(queue: Omit<MessageLocation, 'queueOffset'>): (queueOffset: number) => string {
  return locationPacker(VERSION, queue);
}

/** Decodes a message id; throws INVALID_MESSAGE_ID for anything flaremq did not issue. */
export function decodeMessageId(id: string): MessageLocation {
  const loc = unpackLocation(VERSION, id);
  if (!loc) throw new FlareError('INVALID_MESSAGE_ID', `'${id.slice(0, 80)}' is not a flaremq message id`);
  return {
    topic: loc.topic,
    brokerName: loc.brokerName,
    brokerId: loc.brokerId,
    queueId: loc.queueId,
    queueOffset: loc.position,
  };
}

/** Random bytes drawn at once for unique keys (each key takes 10 of them, each byte used once). */
const RANDOM_POOL_BYTES = 4000;
let randomPool: Uint8Array | null = null;
let randomAt = RANDOM_POOL_BYTES;
/** The time part of the last unique key, for the next of the same millisecond (a batch's keys share it). */
let lastTime = -1;
let lastTimeHex = '';

/**
 * A unique key (RocketMQ's UNIQ_KEY, the client-side message id): 32 upper-case
 * hex digits, the first 12 the milliseconds since the epoch, the rest random
 * (80 bits from crypto.getRandomValues, drawn for 400 keys at a time: one call
 * per key cost more than the rest of a message's validation).
 */
export function newUniqueKey(now = Date.now()): string {
  if (now !== lastTime) {
    lastTime = now;
    lastTimeHex = now.toString(16).padStart(12, '0').slice(-12).toUpperCase();
  }
  if (randomAt + 10 > RANDOM_POOL_BYTES) {
    randomPool ??= new Uint8Array(RANDOM_POOL_BYTES);
    crypto.getRandomValues(randomPool); // drawn when a key is asked for: Workers refuse random values at module load
    randomAt = 0;
  }
  const random = randomPool!.subarray(randomAt, randomAt + 10);
  randomAt += 10;
  return lastTimeHex + toHex(random);
}
