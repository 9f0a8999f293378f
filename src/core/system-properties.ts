/**
 * Properties flaremq sets on messages itself, under RocketMQ's names, so that
 * RocketMQ clients (the HTTP protocol's SDKs) read them where they expect;
 * and the names a sender may not set (RESERVED_PROPERTIES, docs/security.md).
 */
import { FlareError } from './errors';

/**
 * The sharding key of an ordered send (RocketMQ's `__SHARDINGKEY`, the message
 * group of FIFO messages). A send with `shardingKey` stores it here; ordered
 * pop keeps the messages of one key in order.
 */
export const PROPERTY_SHARDING_KEY = '__SHARDINGKEY';

/** Set on a retried or dead-lettered copy: the msgId of the first failed delivery. */
export const PROPERTY_ORIGIN_MESSAGE_ID = 'ORIGIN_MESSAGE_ID';
/** Set on a retried or dead-lettered copy: the topic the message was first sent to (consumers show it as the message's topic). */
export const PROPERTY_RETRY_TOPIC = 'RETRY_TOPIC';
/** Set on a retried or dead-lettered copy: its failed deliveries so far. */
export const PROPERTY_RECONSUME_TIME = 'RECONSUME_TIME';
/** The RocketMQ HTTP protocol's timer message: deliver at this time (ms since the epoch). */
export const PROPERTY_START_DELIVER_TIME = '__STARTDELIVERTIME';
/** The RocketMQ HTTP protocol's transactional message: first checked after this many seconds. */
export const PROPERTY_TRANS_CHECK_IMMUNITY = '__TransCheckT';
/** The RocketMQ HTTP protocol's keys of a message (space separated). */
export const PROPERTY_KEYS = 'KEYS';

/** The sharding key a message was sent with, or '' for none. */
export function shardingKeyOf(properties: Record<string, string>): string {
  return properties[PROPERTY_SHARDING_KEY] ?? '';
}

/**
 * Property names a sender may not set: RocketMQ's system properties
 * (MessageConst.STRING_HASH_SET, which RocketMQ's own client refuses in
 * Message.putUserProperty), and the ones flaremq gives a meaning to:
 * `__SHARDINGKEY` (ordered pop), `__STARTDELIVERTIME` and `__TransCheckT`
 * (the HTTP protocol's timer and transactional messages). The retry
 * properties (RETRY_TOPIC, ORIGIN_MESSAGE_ID, RECONSUME_TIME) are set by
 * flaremq alone, so that a consumer (and an operator resending a dead letter)
 * can trust them. docs/security.md lists them with the reason for each.
 */
export const RESERVED_PROPERTIES: ReadonlySet<string> = new Set([
  // RocketMQ's MessageConst.STRING_HASH_SET
  'TRACE_ON', 'MSG_REGION', 'KEYS', 'TAGS', 'WAIT', 'DELAY', 'RETRY_TOPIC', 'REAL_TOPIC', 'REAL_QID', 'TRAN_MSG', 'PGROUP',
  'MIN_OFFSET', 'MAX_OFFSET', 'BUYER_ID', 'ORIGIN_MESSAGE_ID', 'TRANSFER_FLAG', 'CORRECTION_FLAG', 'MQ2_FLAG', 'RECONSUME_TIME',
  'UNIQ_KEY', 'MAX_RECONSUME_TIMES', 'CONSUME_START_TIME', 'POP_CK', 'POP_CK_OFFSET', '1ST_POP_TIME', 'TRAN_PREPARED_QUEUE_OFFSET',
  'DUP_INFO', 'EXTEND_UNIQ_INFO', 'INSTANCE_ID', 'CORRELATION_ID', 'REPLY_TO_CLIENT', 'TTL', 'ARRIVE_TIME', 'PUSH_REPLY_TIME',
  'CLUSTER', 'MSG_TYPE', 'INNER_MULTI_QUEUE_OFFSET', 'TIMER_DELAY_SEC', 'TIMER_DELIVER_MS', 'TIMER_ENQUEUE_MS', 'TIMER_DEQUEUE_MS',
  'TIMER_ROLL_TIMES', 'TIMER_OUT_MS', 'TIMER_DEL_UNIQKEY', 'TIMER_DELAY_LEVEL', '__BORNHOST', 'BORN_TIMESTAMP',
  // flaremq's
  PROPERTY_SHARDING_KEY, PROPERTY_START_DELIVER_TIME, PROPERTY_TRANS_CHECK_IMMUNITY,
]);

/**
 * Throws RESERVED_PROPERTY (400) naming the first reserved property of
 * `properties` that `allowed` does not admit (the HTTP protocol admits those
 * its SDKs set themselves). `where` prefixes the message, e.g. "messages[2].".
 */
export function refuseReservedProperties(properties: Record<string, string>, where = '', allowed: ReadonlySet<string> = new Set()): void {
  for (const name of Object.keys(properties)) {
    if (RESERVED_PROPERTIES.has(name) && !allowed.has(name)) {
      throw new FlareError('RESERVED_PROPERTY', `${where}property '${name}' is reserved: flaremq sets it itself (docs/security.md#reserved-properties)`);
    }
  }
}
