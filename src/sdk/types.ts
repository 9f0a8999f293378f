/**
 * Shapes of flaremq's answers and of the options shared by several parts of
 * the SDK. The answers and request bodies are the generated types of wire.ts
 * (from the server's route declarations), under the SDK's names.
 */
import type { components } from './wire';

type Schemas = components['schemas'];

export type QueueData = Schemas['QueueData'];
export type BrokerData = Schemas['BrokerData'];
/** A topic's route: which broker groups host it with how many queues (RocketMQ's TopicRouteData). */
export type TopicRoute = Omit<Schemas['TopicRouteView'], 'queueDatas'> & { queueDatas: QueueData[] };

/** A queue of a topic, without the topic. */
export type QueueId = Pick<Schemas['OffsetCommit'], 'brokerName' | 'queueId'>;

/** Where a message was stored (RocketMQ's SendResult). `delayed` is never sent: it tells a SendResult from a {@link DelayedSendResult}. */
export type SendResult = Schemas['SendResult'] & { delayed?: false };
/** A delayed message held by its queue until `deliverAt`: it gets its msgId and queue offset only when it is due. `timerHandle` cancels it. */
export type DelayedSendResult = Schemas['DelayedSendResult'];
/** SEND_OK, or on a SYNC_MASTER whose slaves could not store the message in time FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE (stored on the master either way). */
export type SendStatus = SendResult['status'];

/** When a message becomes consumable: give one of the three. */
export type DelayOptions =
  | {
      /** One of the 18 delay levels: 1 = 1 s, 2 = 5 s, ... 18 = 2 h. */ delayLevel: number;
      delayMs?: undefined;
      deliverAt?: undefined;
    }
  | {
      /** Delay in ms from when the server stores it. */ delayMs: number;
      delayLevel?: undefined;
      deliverAt?: undefined;
    }
  | {
      /** Delivery time, ms since the epoch or a Date. */ deliverAt: number | Date;
      delayLevel?: undefined;
      delayMs?: undefined;
    };

/** RocketMQ's message models, allocation strategies and start positions. */
export type MessageModel = Schemas['MessageModel'];
export type AllocateStrategy = Schemas['AllocateStrategy'];
export type ConsumeFromWhere = Schemas['ConsumeFromWhere'];

/** A consumer group's config; any field left out keeps the group's (or the default). */
export type GroupConfig = Schemas['GroupConfigPatch'];

/** A topic and tag expression a consumer subscribes to. */
export type Subscription = Schemas['Subscription'];

/** A queue assigned to a member, with the member's tag expression for its topic. */
export type AssignedQueue = Schemas['AssignedQueue'];

/** A member's assignment, as a heartbeat answers it. */
export type Assignment = Schemas['Assignment'];

/** Pull statuses, as RocketMQ's. */
export type PullStatus = Schemas['PullResult']['status'];
