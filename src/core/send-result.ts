/** What a send answers per message: shared by the Worker and the SDK. */

/**
 * SEND_OK, or — on a SYNC_MASTER whose slave could not store the message in
 * time — FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE: the message is stored on
 * the master either way (RocketMQ's SendStatus).
 */
export type SendStatus = 'SEND_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** Where a message was stored (RocketMQ's SendResult). */
export interface SendResult {
  status: SendStatus;
  delayed?: false;
  msgId: string;
  uniqueKey: string;
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
}

/**
 * A delayed message held by its queue until `deliverAt`: it gets its msgId
 * and queue offset only when it is due. `timerHandle` cancels it.
 */
export interface DelayedSendResult {
  status: 'SEND_OK';
  delayed: true;
  timerHandle: string;
  /** When the message becomes consumable, ms since the epoch. */
  deliverAt: number;
  uniqueKey: string;
  topic: string;
  brokerName: string;
  queueId: number;
}
