/**
 * flaremq's client: one entry point, `createClient({ endpoint })`, for
 * producers (transactional sends included), push, pull and simple consumers,
 * transaction checkers and the admin. Fetch only: it runs in
 * Workers, Node ≥ 20 and browsers. The reference is docs/sdk.md.
 */
export { createClient, Client, CLIENT_DEFAULTS, type ClientOptions } from './client';
export { Producer, type ProducerOptions, type SendOptions, type AnySendOptions, type OnewayResult } from './producer';
export { PushConsumer, PUSH_CONSUMER_DEFAULTS, type PushConsumerOptions, type RunOptions } from './push-consumer';
export { PullConsumer, type PullConsumerOptions, type PollOptions } from './pull-consumer';
export { CONSUMER_DEFAULTS, type ConsumerOptions } from './consumer-options';
export {
  SimpleConsumer,
  ReceivedMessage,
  SIMPLE_CONSUMER_DEFAULTS,
  type SimpleConsumerOptions,
  type ReceiveOptions,
  type PoppedMessageView,
  type AckResult,
  type InvisibleChanged,
} from './simple-consumer';
export {
  HalfMessage,
  isTransactionNotFound,
  TransactionState,
  type LocalTransaction,
  type LocalTransactionContext,
  type TransactionalSendOptions,
  type TransactionalSendResult,
  type HalfSendResult,
  type HalfMessageView,
  type CommitResult,
  type RollbackResult,
} from './transactions';
export {
  TransactionChecker,
  TRANSACTION_CHECKER_DEFAULTS,
  transactionCheckHandler,
  verifyTransactionCheck,
  type TransactionCheckerOptions,
  type CheckRound,
  type VerifyCheckOptions,
} from './transaction-checker';
export {
  ProducerGroupsAdmin,
  TransactionsAdmin,
  DiscardedTransaction,
  type ProducerGroupInfo,
  type DiscardedList,
  type DiscardedListOptions,
} from './producer-groups-admin';
export type { ConsumerStats, ErrorInfo, QueueStats } from './queue-state';
export {
  Admin,
  TopicsAdmin,
  GroupsAdmin,
  MessagesAdmin,
  DlqAdmin,
  TimersAdmin,
  ClusterAdmin,
  type TopicSpec,
  type TopicRouteView,
  type TopicStatus,
  type QueueStatus,
  type GroupOffsets,
  type QueueOffset,
  type GroupLag,
  type QueueLag,
  type GroupInfo,
  type GroupMemberInfo,
  type PullOptions,
  type PullResult,
  type QueryByKeyOptions,
  type DlqListOptions,
  type DlqList,
  type ResendResult,
  type PendingTimer,
  type CancelledTimer,
  type OffsetsMoved,
  type ClusterInfo,
} from './admin';
export {
  Message,
  type MessageInput,
  type Body,
  type QueueRef,
  type MessageView,
  PROPERTY_ORIGIN_MESSAGE_ID,
  PROPERTY_RETRY_TOPIC,
  PROPERTY_RECONSUME_TIME,
} from './message';
export { ConsumedMessage, ReconsumeLater } from './consumed-message';
export {
  FlaremqError,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  type FlaremqErrorCode,
  isFlaremqError,
  hasCode,
  isRetriable,
  isTopicNotExist,
  isQueueNotExist,
  isMessageNotFound,
  isNoPermission,
  isQueueNotAssigned,
  isQueueLocked,
  isGroupConfigConflict,
  isInvalidRequest,
  isTooLarge,
  isUnavailable,
  isNetworkError,
  isAborted,
} from './errors';
export { ERROR_CODES, type ErrorCode } from '../core/errors';
export { RETRY_DEFAULTS, withRetry, retryDelay, type RetryOptions } from './retry';
export type { FetchLike } from './http';
export type { Transport } from './stream-socket';
export type {
  SendResult,
  DelayedSendResult,
  DelayOptions,
  MessageModel,
  AllocateStrategy,
  ConsumeFromWhere,
  GroupConfig,
  Subscription,
  AssignedQueue,
  Assignment,
  PullStatus,
  QueueId,
  TopicRoute,
  QueueData,
  BrokerData,
} from './types';
export { signingFetch, type Credentials } from './signing';
