import type { NewMessage } from '../../core/message';

/**
 * A message as the columns of a row of its own: the tables that hold one message per row (delayed messages in
 * `mq_timer`, half messages in `mqt_half`, and the first log's `mq_message`, read while it moves: legacy-log.ts).
 * The log itself stores messages in batches (log-row.ts, core/batch-codec.ts).
 */
export type MessageColumns = {
  body: ArrayBuffer;
  tags: string;
  keys: string;
  properties: string;
  born_ts: number;
  unique_key: string;
  reconsume_times: number;
};

/** The column list, in the order of messageToColumns. */
export const MESSAGE_COLUMNS = 'body, tags, keys, properties, born_ts, unique_key, reconsume_times';

export function messageFromColumns(r: MessageColumns): NewMessage {
  return {
    body: new Uint8Array(r.body),
    tags: r.tags,
    keys: r.keys === '' ? [] : r.keys.split(' '),
    properties: JSON.parse(r.properties) as Record<string, string>,
    bornTimestamp: r.born_ts,
    uniqueKey: r.unique_key,
    reconsumeTimes: r.reconsume_times,
  };
}

/** The values of MESSAGE_COLUMNS for a message, to bind in that order. */
export function messageToColumns(m: NewMessage): [ArrayBuffer, string, string, string, number, string, number] {
  return [
    ownBuffer(m.body),
    m.tags,
    m.keys.join(' '),
    JSON.stringify(m.properties),
    m.bornTimestamp,
    m.uniqueKey,
    m.reconsumeTimes,
  ];
}

/** The bytes as an ArrayBuffer of their own, as SQL bindings take them (a view into a larger buffer is copied). */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}
