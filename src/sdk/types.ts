/** Shapes of flaremq's answers and of the options shared by several parts of the SDK. */
import type { AllocateStrategy } from '../core/allocation';
import type { ConsumeFromWhere, MessageModel } from '../core/group-config';
import type { BrokerData, QueueData, TopicRoute } from '../core/route';

export type { BrokerData, QueueData, TopicRoute };

/** A queue of a topic, without the topic. */
export interface QueueId {
  brokerName: string;
  queueId: number;
}

export type { DelayedSendResult, SendResult, SendStatus } from '../core/send-result';

/** When a message becomes consumable: give one of the three. */
export type DelayOptions =
  | { /** One of the 18 delay levels: 1 = 1 s, 2 = 5 s, ... 18 = 2 h. */ delayLevel: number; delayMs?: undefined; deliverAt?: undefined }
  | { /** Delay in ms from when the server stores it. */ delayMs: number; delayLevel?: undefined; deliverAt?: undefined }
  | { /** Delivery time, ms since the epoch or a Date. */ deliverAt: number | Date; delayLevel?: undefined; delayMs?: undefined };

/** RocketMQ's message models, allocation strategies and start positions (src/core is their home). */
export type { AllocateStrategy } from '../core/allocation';
export type { ConsumeFromWhere, MessageModel } from '../core/group-config';

/** A consumer group's config; any field left out keeps the group's (or the default). */
export interface GroupConfig {
  /** @defaultValue 'CLUSTERING' */
  messageModel?: MessageModel;
  /** @defaultValue 'AVG' */
  allocateStrategy?: AllocateStrategy;
  /** @defaultValue 'CONSUME_FROM_LAST_OFFSET' */
  consumeFromWhere?: ConsumeFromWhere;
  /** For CONSUME_FROM_TIMESTAMP, ms since the epoch. @defaultValue half an hour before the group was created */
  consumeTimestamp?: number;
  /** Failures after which a message goes to the DLQ (0 to 100); -1: 16, and no limit in orderly mode (RocketMQ's default). @defaultValue -1 */
  maxReconsumeTimes?: number;
  /** Orderly consumption. @defaultValue false */
  consumeOrderly?: boolean;
}

/** A topic and tag expression a consumer subscribes to. */
export interface Subscription {
  topic: string;
  /** `*`, or tags separated by `||`. */
  expression: string;
}

/** A queue assigned to a member, with the member's tag expression for its topic. */
export interface AssignedQueue extends QueueId {
  topic: string;
  expression: string;
}

/** A member's assignment, as a heartbeat answers it. */
export interface Assignment {
  group: string;
  clientId: string;
  /** The member's stable identity, whose offsets it uses in BROADCASTING. */
  instanceName?: string;
  generation: number;
  messageModel: MessageModel;
  consumeOrderly: boolean;
  heartbeatIntervalMs: number;
  maxReconsumeTimes?: number;
  queues: AssignedQueue[];
}

/** Pull statuses, as RocketMQ's. */
export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';
