import type { AllocateStrategy } from './allocation';
import { FlareError } from './errors';

export const MESSAGE_MODELS = ['CLUSTERING', 'BROADCASTING'] as const;
export type MessageModel = (typeof MESSAGE_MODELS)[number];

export const CONSUME_FROM = [
  'CONSUME_FROM_LAST_OFFSET',
  'CONSUME_FROM_FIRST_OFFSET',
  'CONSUME_FROM_TIMESTAMP',
] as const;
export type ConsumeFromWhere = (typeof CONSUME_FROM)[number];

/** Most times a message is retried before it goes to the DLQ (RocketMQ's limit for maxReconsumeTimes). */
export const MAX_RECONSUME_TIMES_LIMIT = 100;
/** The retry limit a maxReconsumeTimes of -1 means for concurrent consumption and pop (RocketMQ: "in concurrently mode, -1 means 16"). */
export const DEFAULT_RECONSUME_LIMIT = 16;

/**
 * The retry limit in force. A set maxReconsumeTimes (0 … 100) holds in every
 * mode; -1, the default, means 16 for concurrent consumption and pop, and no
 * limit for orderly consumption, as RocketMQ's DefaultMQPushConsumer
 * ("in orderly mode, -1 means Integer.MAX_VALUE":
 * ConsumeMessageOrderlyService.getMaxReconsumeTimes), so that an orderly
 * queue's head is retried in place until it succeeds and never leaves a hole
 * in a sharding key's order.
 */
export function reconsumeLimit(maxReconsumeTimes: number, orderly: boolean): number {
  if (maxReconsumeTimes >= 0) return maxReconsumeTimes;
  return orderly ? Number.POSITIVE_INFINITY : DEFAULT_RECONSUME_LIMIT;
}

/** A consumer group's settings (RocketMQ's consumer options that must agree across a group). */
export interface GroupConfig {
  /** @defaultValue "CLUSTERING" */
  messageModel: MessageModel;
  /** @defaultValue "AVG" */
  allocateStrategy: AllocateStrategy;
  /** Where a queue with no committed offset starts. @defaultValue "CONSUME_FROM_LAST_OFFSET" */
  consumeFromWhere: ConsumeFromWhere;
  /** For CONSUME_FROM_TIMESTAMP, ms since the epoch. @defaultValue half an hour before the group was created */
  consumeTimestamp: number;
  /**
   * Failures before a message goes to %DLQ%{group}: 0 … 100, or -1 for
   * RocketMQ's default (16 for concurrent consumption and pop, no limit for
   * orderly consumption; see {@link reconsumeLimit}).
   * @defaultValue -1
   */
  maxReconsumeTimes: number;
  /** Orderly consumption: one batch at a time per queue, failures retried in place. @defaultValue false */
  consumeOrderly: boolean;
}

export function defaultGroupConfig(now = Date.now()): GroupConfig {
  return {
    messageModel: 'CLUSTERING',
    allocateStrategy: 'AVG',
    consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
    consumeTimestamp: now - 30 * 60 * 1000,
    maxReconsumeTimes: -1,
    consumeOrderly: false,
  };
}

/** The fields of `patch` whose values differ from `config`. */
export function conflictingFields(config: GroupConfig, patch: Partial<GroupConfig>): (keyof GroupConfig)[] {
  return (Object.keys(patch) as (keyof GroupConfig)[]).filter((k) => patch[k] !== config[k]);
}

/** The retry topic of a group. */
export const retryTopic = (group: string): string => `%RETRY%${group}`;
/** The dead-letter topic of a group. */
export const dlqTopic = (group: string): string => `%DLQ%${group}`;
export const isRetryTopic = (topic: string): boolean => topic.startsWith('%RETRY%');
/** A group's own retry or dead-letter topic. */
export const isGroupTopic = (topic: string): boolean => isRetryTopic(topic) || topic.startsWith('%DLQ%');

/** Where a group (a member, in broadcasting) starts on a queue it has never consumed (docs/consuming.md). */
export interface StartFrom {
  consumeFromWhere: ConsumeFromWhere;
  /** CONSUME_FROM_TIMESTAMP: the first message stored at or after this time (ms since the epoch). */
  consumeTimestamp: number;
  /**
   * CONSUME_FROM_LAST_OFFSET: when the group (the member, in broadcasting) subscribed to the
   * topic; the queue starts at the first message stored at or after it, so that neither a
   * queue added later nor a message sent before the first pull is skipped.
   */
  subscribedAt: number;
}

/** Where a never-consumed queue of `topic` starts for a group with `config`: a retry topic always from its first offset. */
export function startFromOf(
  topic: string,
  config: Pick<GroupConfig, 'consumeFromWhere' | 'consumeTimestamp'>,
  subscribedAt: number,
): StartFrom {
  return isRetryTopic(topic)
    ? { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', consumeTimestamp: 0, subscribedAt }
    : { consumeFromWhere: config.consumeFromWhere, consumeTimestamp: config.consumeTimestamp, subscribedAt };
}

/** A consumer instance id (a clientId or an instanceName). */
export const CLIENT_ID = /^[a-zA-Z0-9_.:@-]{1,128}$/;

/** Throws INVALID_REQUEST unless `clientId` is a valid consumer instance id. */
export function validateClientId(clientId: unknown, name = 'clientId'): string {
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
    throw new FlareError('INVALID_REQUEST', `${name} must be 1 to 128 letters, digits, or _ . : @ -`);
  }
  return clientId;
}

/**
 * Where a member's consumer offsets live. CLUSTERING: the group's, one per
 * queue. BROADCASTING: its instance's own, `group#instanceName`, where the
 * instance name is the stable identity a member declares in its heartbeat
 * (its clientId when it declares none), so that a restarted process finds
 * its place again; RocketMQ keeps a broadcasting consumer's offsets in
 * LocalFileOffsetStore under its clientId, `clientIP@instanceName`, which is
 * stable across restarts because broadcasting keeps the instance name
 * "DEFAULT" (only clustering changes it to the PID). Group names have no '#'.
 */
export function offsetKeyOf(group: string, messageModel: MessageModel, instanceName: string): string {
  return messageModel === 'BROADCASTING' ? `${group}#${instanceName}` : group;
}

/** The group and instance of a broadcasting offset key; null for a group's own key. */
export function parseBroadcastOffsetKey(key: string): { group: string; instanceName: string } | null {
  const at = key.indexOf('#');
  return at < 0 ? null : { group: key.slice(0, at), instanceName: key.slice(at + 1) };
}

/** A member's subscription to one topic. */
export interface Subscription {
  topic: string;
  /** Tag expression: "*" or "TagA || TagB". */
  expression: string;
}
