/**
 * The frames of flaremq's WebSocket streams (docs/streaming.md): what a client
 * may send on a consumer push stream or a producer stream, parsed and checked
 * here with the REST API's error codes, and the limits that bound a stream's
 * memory. Pure: the queue object (src/durable-objects/queue/streams.ts) and
 * the Worker (src/workers/routes/producer-stream.ts) use it, and the fuzz tests too.
 */
import { FlareError } from './errors';
import { MAX_PULL_MESSAGES } from './limits';

/** Largest frame a client may send on a consumer stream (control frames only: a few hundred bytes). */
export const MAX_CONSUMER_FRAME_BYTES = 4 * 1024;
/**
 * Largest frame a client may send on a producer stream: the runtime's own cap on a received WebSocket
 * message (1 MiB, Cloudflare's Workers limits), which closes the socket with 1009 before flaremq sees it.
 */
export const MAX_PRODUCER_FRAME_BYTES = 1024 * 1024;
/** Most unanswered batches a producer stream holds (its window): one more closes it with 1008. */
export const PRODUCER_STREAM_WINDOW = 64;
/** Most messages a consumer stream may be granted and not yet sent (credits beyond are capped). */
export const MAX_STREAM_CREDITS = 10 * MAX_PULL_MESSAGES;
/** Most body bytes a consumer stream may be granted and not yet sent. */
export const MAX_STREAM_CREDIT_BYTES = 16 * 1024 * 1024;
/**
 * Bodies per pushed frame: a push stops adding messages past this (at least one), so that a frame of
 * base64 bodies stays under the 1 MiB a Worker (the SDK in a Worker) accepts in one WebSocket message.
 */
export const MAX_PUSH_FRAME_BODY_BYTES = 512 * 1024;
/** A clean close of a stream (the client's or the server's). */
export const CLOSE_NORMAL = 1000;
/** A frame that is not one of the protocol's, or a window exceeded (WebSocket's policy violation). */
export const CLOSE_POLICY = 1008;
/** A frame over its size cap (WebSocket's "message too big"). */
export const CLOSE_TOO_BIG = 1009;
/** A stream ended by an error: 4000 + the error code's HTTP status (4409 QUEUE_LOCKED, 4404 TOPIC_NOT_EXIST, 4503 …). */
export const closeCodeOf = (status: number): number => 4000 + status;

/** How a consumer stream writes pushed messages: JSON frames (as pulls answer), or binary frames ({@link encodeMessagesFrame}). */
export type FrameFormat = 'json' | 'binary';

export function parseFrameFormat(value: unknown): FrameFormat {
  if (value === undefined || value === 'json') return 'json';
  if (value === 'binary') return 'binary';
  throw new FlareError('INVALID_REQUEST', 'frames is "json" (the default) or "binary"');
}

const HEADER_LENGTH_BYTES = 4;

/**
 * A binary frame of pushed messages: a u32 (little-endian) byte length, a JSON header of that many bytes (the
 * JSON frame without `messages`: type, status, nextBeginOffset, minOffset, maxOffset, bytes), then the messages,
 * at consecutive offsets, as one batch of core/batch-codec.ts (bodies as stored, no base64, no JSON escaping).
 */
export function encodeMessagesFrame(header: Record<string, unknown>, batch: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(HEADER_LENGTH_BYTES + head.length + batch.length);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, HEADER_LENGTH_BYTES);
  out.set(batch, HEADER_LENGTH_BYTES + head.length);
  return out;
}

/** The header and the batch of a binary frame; RangeError when it is not one. */
export function decodeMessagesFrame(bytes: Uint8Array): { header: Record<string, unknown>; batch: Uint8Array } {
  if (bytes.length < HEADER_LENGTH_BYTES) throw new RangeError('a binary frame starts with its header length');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (HEADER_LENGTH_BYTES + length > bytes.length) throw new RangeError('a binary frame is shorter than its header');
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + length)),
  ) as Record<string, unknown>;
  return { header, batch: bytes.subarray(HEADER_LENGTH_BYTES + length) };
}

/** Text sent to keep a stream alive; the server answers `pong` without waking a hibernating object. */
export const PING = 'ping';
export const PONG = 'pong';

/** A consumer stream's frames from the client. */
export type ConsumerFrame =
  /** More credit: messages (and body bytes) the object may push beyond what it already sent. */
  | { type: 'credit'; messages: number; bytes: number }
  /** Commits the member's offset of this queue (as a member's commit, with its generation). */
  | { type: 'commit'; id?: number; offset: number; generation?: number }
  /** Takes or renews the queue lock (clustering), as a pull does. */
  | { type: 'lock'; id?: number };

/** A producer stream's frame: one send to the stream's topic, answered by a frame with the same id. */
export interface ProducerFrame {
  id: number;
  /** The REST send body (one message or `{messages: [...]}`, with shardingKey, queue, delay). */
  send: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function intField(
  raw: Record<string, unknown>,
  name: string,
  max = Number.MAX_SAFE_INTEGER,
  code: 'INVALID_REQUEST' | 'INVALID_OFFSET' = 'INVALID_REQUEST',
): number | undefined {
  const v = raw[name];
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > max)
    throw new FlareError(code, `${name} must be an integer from 0 to ${max}`);
  return v as number;
}

/** Parses JSON text of at most `maxBytes` (UTF-8) into an object; REQUEST_TOO_LARGE, MALFORMED_JSON or INVALID_REQUEST. */
export function parseFrameJson(data: string | ArrayBuffer, maxBytes: number): Record<string, unknown> {
  if (typeof data !== 'string')
    throw new FlareError('INVALID_REQUEST', 'frames are JSON text; binary frames are not accepted here');
  // A UTF-16 length over the cap is at least that many UTF-8 bytes; under a third of it cannot pass it.
  if (data.length > maxBytes || (data.length * 3 > maxBytes && new TextEncoder().encode(data).length > maxBytes)) {
    throw new FlareError('REQUEST_TOO_LARGE', `a frame is at most ${maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new FlareError('MALFORMED_JSON', 'the frame is not valid JSON');
  }
  if (!isObject(value)) throw new FlareError('INVALID_REQUEST', 'a frame is a JSON object');
  return value;
}

/** The id a frame carries, when it is a valid one (so that an error about the rest of the frame can name it). */
export function frameId(raw: Record<string, unknown>): number | undefined {
  return Number.isSafeInteger(raw.id) && (raw.id as number) >= 0 ? (raw.id as number) : undefined;
}

/** Checks a consumer stream frame. */
export function parseConsumerFrame(raw: Record<string, unknown>): ConsumerFrame {
  const id = intField(raw, 'id');
  const ids = id === undefined ? {} : { id };
  switch (raw.type) {
    case 'credit': {
      const messages = intField(raw, 'messages', MAX_STREAM_CREDITS) ?? 0;
      const bytes = intField(raw, 'bytes', MAX_STREAM_CREDIT_BYTES) ?? 0;
      return { type: 'credit', messages, bytes };
    }
    case 'commit': {
      const offset = intField(raw, 'offset', Number.MAX_SAFE_INTEGER, 'INVALID_OFFSET');
      if (offset === undefined) throw new FlareError('INVALID_OFFSET', 'a commit frame needs offset (an integer >= 0)');
      const generation = intField(raw, 'generation');
      return generation === undefined
        ? { type: 'commit', ...ids, offset }
        : { type: 'commit', ...ids, offset, generation };
    }
    case 'lock':
      return { type: 'lock', ...ids };
    default:
      throw new FlareError('INVALID_REQUEST', 'type must be "credit", "commit" or "lock"');
  }
}

/** Checks a producer stream frame's envelope; its `send` is checked as a REST send body is (parseSendRequest). */
export function parseProducerFrame(raw: Record<string, unknown>): ProducerFrame {
  const id = intField(raw, 'id');
  if (id === undefined)
    throw new FlareError('INVALID_REQUEST', 'a send frame needs id (an integer >= 0), which its answer repeats');
  if (!isObject(raw.send))
    throw new FlareError(
      'INVALID_REQUEST',
      'send must be a JSON object: the body of a REST send (one message, or {messages: [...]})',
    );
  return { id, send: raw.send };
}

/** The header in which the Worker hands a queue object a checked member stream request (StreamOpen of durable-objects/queue/streams.ts, JSON). */
export const STREAM_OPEN_HEADER = 'x-flaremq-stream-open';
