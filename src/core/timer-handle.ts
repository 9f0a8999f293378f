import { FlareError } from './errors';
import { packLocation, unpackLocation } from './msg-id';

/** Where a pending delayed message waits: its queue, and its timer in that queue. */
export interface TimerLocation {
  topic: string;
  brokerName: string;
  brokerId: number;
  queueId: number;
  /** The timer's id in the queue object; never reused. */
  timerId: number;
}

/** Message ids are version 1; timer handles version 2, so neither passes for the other. */
const VERSION = 2;

/**
 * A timer handle is self-locating like a message id: upper-case hex of
 * version 2, brokerId, queueId, timer id, broker name and topic. Cancelling or
 * reading a pending delayed message by its handle is one call to one queue object.
 */
export function encodeTimerHandle(loc: TimerLocation): string {
  const { timerId, ...rest } = loc;
  return packLocation(VERSION, { ...rest, position: timerId });
}

/** Decodes a timer handle; throws INVALID_TIMER_HANDLE for anything flaremq did not issue. */
export function decodeTimerHandle(handle: string): TimerLocation {
  const loc = unpackLocation(VERSION, handle);
  if (!loc) throw new FlareError('INVALID_TIMER_HANDLE', `'${handle.slice(0, 80)}' is not a flaremq timer handle`);
  return {
    topic: loc.topic,
    brokerName: loc.brokerName,
    brokerId: loc.brokerId,
    queueId: loc.queueId,
    timerId: loc.position,
  };
}
