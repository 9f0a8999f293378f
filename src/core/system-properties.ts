/**
 * Properties flaremq sets on messages itself, under RocketMQ's names, so that
 * RocketMQ clients (the HTTP protocol's SDKs) read them where they expect.
 */

/**
 * The sharding key of an ordered send (RocketMQ's `__SHARDINGKEY`, the message
 * group of FIFO messages). A send with `shardingKey` stores it here; ordered
 * pop keeps the messages of one key in order.
 */
export const PROPERTY_SHARDING_KEY = '__SHARDINGKEY';

/** The sharding key a message was sent with, or '' for none. */
export function shardingKeyOf(properties: Record<string, string>): string {
  return properties[PROPERTY_SHARDING_KEY] ?? '';
}

/**
 * The topic a retried or dead-lettered message was first sent to (RocketMQ's
 * `RETRY_TOPIC`, MessageConst.PROPERTY_RETRY_TOPIC), set on the copy that goes
 * to a group's retry or dead-letter topic.
 */
export const PROPERTY_RETRY_TOPIC = 'RETRY_TOPIC';
