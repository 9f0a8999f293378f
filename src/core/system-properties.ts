/**
 * Every system property name, declared once: the ones flaremq sets or reads
 * itself, under RocketMQ's names so that RocketMQ clients (the HTTP
 * protocol's SDKs) read them where they expect; and the names a sender may not
 * set (RESERVED_PROPERTIES, docs/security.md). The server, the RocketMQ HTTP
 * protocol and the SDK import them from here.
 *
 * The constants are named as in RocketMQ's
 * org.apache.rocketmq.common.message.MessageConst (DUP_INFO keeps its name
 * there, without the PROPERTY_ prefix); the two of the HTTP protocol alone
 * (`__STARTDELIVERTIME`, `__TransCheckT`) are named after the HTTP SDKs'
 * MessageProperties setters.
 */
import { FlareError } from './errors';

// RocketMQ's MessageConst: the names flaremq gives a meaning to.
/** The message's keys, space separated (the HTTP protocol's keys of a message). */
export const PROPERTY_KEYS = 'KEYS';
/** The message's tag. */
export const PROPERTY_TAGS = 'TAGS';
/** Set on a retried or dead-lettered copy: the topic the message was first sent to (consumers show it as the message's topic). */
export const PROPERTY_RETRY_TOPIC = 'RETRY_TOPIC';
/** Set on a retried or dead-lettered copy: the msgId of the first failed delivery. */
export const PROPERTY_ORIGIN_MESSAGE_ID = 'ORIGIN_MESSAGE_ID';
/** Set on a retried or dead-lettered copy: its failed deliveries so far. */
export const PROPERTY_RECONSUME_TIME = 'RECONSUME_TIME';
/** The client-side message id (flaremq's uniqueKey). */
export const PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX = 'UNIQ_KEY';
/**
 * The sharding key of an ordered send (the message group of FIFO messages).
 * A send with `shardingKey` stores it here; ordered pop keeps the messages of
 * one key in order.
 */
export const PROPERTY_SHARDING_KEY = '__SHARDINGKEY';

// RocketMQ's MessageConst: the rest of STRING_HASH_SET, reserved only.
export const PROPERTY_TRACE_SWITCH = 'TRACE_ON';
export const PROPERTY_MSG_REGION = 'MSG_REGION';
export const PROPERTY_WAIT_STORE_MSG_OK = 'WAIT';
export const PROPERTY_DELAY_TIME_LEVEL = 'DELAY';
export const PROPERTY_REAL_TOPIC = 'REAL_TOPIC';
export const PROPERTY_REAL_QUEUE_ID = 'REAL_QID';
export const PROPERTY_TRANSACTION_PREPARED = 'TRAN_MSG';
export const PROPERTY_PRODUCER_GROUP = 'PGROUP';
export const PROPERTY_MIN_OFFSET = 'MIN_OFFSET';
export const PROPERTY_MAX_OFFSET = 'MAX_OFFSET';
export const PROPERTY_BUYER_ID = 'BUYER_ID';
export const PROPERTY_TRANSFER_FLAG = 'TRANSFER_FLAG';
export const PROPERTY_CORRECTION_FLAG = 'CORRECTION_FLAG';
export const PROPERTY_MQ2_FLAG = 'MQ2_FLAG';
export const PROPERTY_MAX_RECONSUME_TIMES = 'MAX_RECONSUME_TIMES';
export const PROPERTY_CONSUME_START_TIMESTAMP = 'CONSUME_START_TIME';
export const PROPERTY_POP_CK = 'POP_CK';
export const PROPERTY_POP_CK_OFFSET = 'POP_CK_OFFSET';
export const PROPERTY_FIRST_POP_TIME = '1ST_POP_TIME';
export const PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET = 'TRAN_PREPARED_QUEUE_OFFSET';
export const DUP_INFO = 'DUP_INFO';
export const PROPERTY_EXTEND_UNIQ_INFO = 'EXTEND_UNIQ_INFO';
export const PROPERTY_INSTANCE_ID = 'INSTANCE_ID';
export const PROPERTY_CORRELATION_ID = 'CORRELATION_ID';
export const PROPERTY_MESSAGE_REPLY_TO_CLIENT = 'REPLY_TO_CLIENT';
export const PROPERTY_MESSAGE_TTL = 'TTL';
export const PROPERTY_REPLY_MESSAGE_ARRIVE_TIME = 'ARRIVE_TIME';
export const PROPERTY_PUSH_REPLY_TIME = 'PUSH_REPLY_TIME';
export const PROPERTY_CLUSTER = 'CLUSTER';
export const PROPERTY_MESSAGE_TYPE = 'MSG_TYPE';
export const PROPERTY_INNER_MULTI_QUEUE_OFFSET = 'INNER_MULTI_QUEUE_OFFSET';
export const PROPERTY_TIMER_DELAY_SEC = 'TIMER_DELAY_SEC';
export const PROPERTY_TIMER_DELIVER_MS = 'TIMER_DELIVER_MS';
export const PROPERTY_TIMER_ENQUEUE_MS = 'TIMER_ENQUEUE_MS';
export const PROPERTY_TIMER_DEQUEUE_MS = 'TIMER_DEQUEUE_MS';
export const PROPERTY_TIMER_ROLL_TIMES = 'TIMER_ROLL_TIMES';
export const PROPERTY_TIMER_OUT_MS = 'TIMER_OUT_MS';
export const PROPERTY_TIMER_DEL_UNIQKEY = 'TIMER_DEL_UNIQKEY';
export const PROPERTY_TIMER_DELAY_LEVEL = 'TIMER_DELAY_LEVEL';
export const PROPERTY_BORN_HOST = '__BORNHOST';
export const PROPERTY_BORN_TIMESTAMP = 'BORN_TIMESTAMP';

// The RocketMQ HTTP protocol's (its SDKs' MessageProperties.startDeliverTime and transCheckImmunityTime).
/** The RocketMQ HTTP protocol's timer message: deliver at this time (ms since the epoch). */
export const PROPERTY_START_DELIVER_TIME = '__STARTDELIVERTIME';
/** The RocketMQ HTTP protocol's transactional message: first checked after this many seconds. */
export const PROPERTY_TRANS_CHECK_IMMUNITY = '__TransCheckT';

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
  // RocketMQ's MessageConst.STRING_HASH_SET, in its order
  PROPERTY_TRACE_SWITCH,
  PROPERTY_MSG_REGION,
  PROPERTY_KEYS,
  PROPERTY_TAGS,
  PROPERTY_WAIT_STORE_MSG_OK,
  PROPERTY_DELAY_TIME_LEVEL,
  PROPERTY_RETRY_TOPIC,
  PROPERTY_REAL_TOPIC,
  PROPERTY_REAL_QUEUE_ID,
  PROPERTY_TRANSACTION_PREPARED,
  PROPERTY_PRODUCER_GROUP,
  PROPERTY_MIN_OFFSET,
  PROPERTY_MAX_OFFSET,
  PROPERTY_BUYER_ID,
  PROPERTY_ORIGIN_MESSAGE_ID,
  PROPERTY_TRANSFER_FLAG,
  PROPERTY_CORRECTION_FLAG,
  PROPERTY_MQ2_FLAG,
  PROPERTY_RECONSUME_TIME,
  PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
  PROPERTY_MAX_RECONSUME_TIMES,
  PROPERTY_CONSUME_START_TIMESTAMP,
  PROPERTY_POP_CK,
  PROPERTY_POP_CK_OFFSET,
  PROPERTY_FIRST_POP_TIME,
  PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET,
  DUP_INFO,
  PROPERTY_EXTEND_UNIQ_INFO,
  PROPERTY_INSTANCE_ID,
  PROPERTY_CORRELATION_ID,
  PROPERTY_MESSAGE_REPLY_TO_CLIENT,
  PROPERTY_MESSAGE_TTL,
  PROPERTY_REPLY_MESSAGE_ARRIVE_TIME,
  PROPERTY_PUSH_REPLY_TIME,
  PROPERTY_CLUSTER,
  PROPERTY_MESSAGE_TYPE,
  PROPERTY_INNER_MULTI_QUEUE_OFFSET,
  PROPERTY_TIMER_DELAY_SEC,
  PROPERTY_TIMER_DELIVER_MS,
  PROPERTY_TIMER_ENQUEUE_MS,
  PROPERTY_TIMER_DEQUEUE_MS,
  PROPERTY_TIMER_ROLL_TIMES,
  PROPERTY_TIMER_OUT_MS,
  PROPERTY_TIMER_DEL_UNIQKEY,
  PROPERTY_TIMER_DELAY_LEVEL,
  PROPERTY_BORN_HOST,
  PROPERTY_BORN_TIMESTAMP,
  // flaremq's
  PROPERTY_SHARDING_KEY,
  PROPERTY_START_DELIVER_TIME,
  PROPERTY_TRANS_CHECK_IMMUNITY,
]);

/**
 * Throws RESERVED_PROPERTY (400) naming the first reserved property of
 * `properties` that `allowed` does not admit (the HTTP protocol admits those
 * its SDKs set themselves). `where` prefixes the message, e.g. "messages[2].".
 */
export function refuseReservedProperties(
  properties: Record<string, string>,
  where = '',
  allowed: ReadonlySet<string> = new Set(),
): void {
  for (const name of Object.keys(properties)) {
    if (RESERVED_PROPERTIES.has(name) && !allowed.has(name)) {
      throw new FlareError(
        'RESERVED_PROPERTY',
        `${where}property '${name}' is reserved: flaremq sets it itself (docs/security.md#reserved-properties)`,
      );
    }
  }
}
