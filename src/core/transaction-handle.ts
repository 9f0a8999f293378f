import { FlareError } from './errors';
import { packLocation, unpackLocation } from './msg-id';

/** Where a half message waits: its queue, and its id in that queue. */
export interface TransactionLocation {
  topic: string;
  brokerName: string;
  brokerId: number;
  queueId: number;
  /** The half message's id in the queue object; never reused. */
  halfId: number;
}

/** Message ids are version 1, timer handles 2, receipt handles 3, transaction handles 4. */
const VERSION = 4;

/**
 * A transaction handle is self-locating like a message id: upper-case hex of
 * version 4, brokerId, queueId, half-message id, broker name and topic.
 * Committing, rolling back or reading a half message by its handle is one call
 * to one queue object. The half-message pop answers the same handles.
 */
export function encodeTransactionHandle(loc: TransactionLocation): string {
  const { halfId, ...rest } = loc;
  return packLocation(VERSION, { ...rest, position: halfId });
}

/** Decodes a transaction handle; throws INVALID_TRANSACTION_HANDLE for anything flaremq did not issue. */
export function decodeTransactionHandle(handle: string): TransactionLocation {
  const loc = typeof handle === 'string' ? unpackLocation(VERSION, handle) : null;
  if (!loc)
    throw new FlareError(
      'INVALID_TRANSACTION_HANDLE',
      `'${String(handle).slice(0, 80)}' is not a flaremq transaction handle`,
    );
  return {
    topic: loc.topic,
    brokerName: loc.brokerName,
    brokerId: loc.brokerId,
    queueId: loc.queueId,
    halfId: loc.position,
  };
}
