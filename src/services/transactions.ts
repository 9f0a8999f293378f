/**
 * Transactional messages: half messages, commit and rollback by handle,
 * check-back (the half-message pop; the check URL is called by the queue
 * objects' alarms), producer groups and their discarded transactions. Plain
 * functions of (env, args) that validate their arguments and return data, for
 * the REST routes (routes/transactions.ts) and the RocketMQ HTTP protocol.
 */
import { decodeBody, encodeBody, type BodyEncoding } from '../core/body';
import { CHECK_SECRET_PATTERN } from '../core/check-signing';
import { FlareError } from '../core/errors';
import {
  DEFAULT_INVISIBLE_MS,
  DEFAULT_POP_MESSAGES,
  MAX_POP_MESSAGES,
  MAX_POP_WAIT_LIMIT_MS,
  MAX_PULL_MESSAGES,
} from '../core/limits';
import type { SendRequest } from '../core/message';
import { encodeMessageId } from '../core/msg-id';
import { validateGroup, validateTopic } from '../core/names';
import { MASTER_ID, allQueues, type TopicRoute } from '../core/route';
import {
  parseCheckUrl,
  parseTransactionOptions,
  toHalfMessageView,
  transactionNotFound,
  type HalfMessage,
  type HalfMessageView,
  type TransactionOptions,
} from '../core/transaction';
import { decodeTransactionHandle, encodeTransactionHandle, type TransactionLocation } from '../core/transaction-handle';
import type { DiscardedTransaction, ProducerGroupStatus } from '../durable-objects/producer-group';
import type { Env } from '../env';
import { producerGroupObject } from '../durable-objects/stubs';
import { config, queueStub, requireRoute } from './cluster';
import { pollQueues } from './long-poll';
import { onReadableCopy } from './replica-reads';
import { validateInvisibleMs } from './pop';
import { sendWithRetries, withShardingKey } from './send';

export { parseTransactionOptions, toHalfMessageView, type HalfMessage, type HalfMessageView, type TransactionOptions };

export interface HalfSendArgs {
  /** A validated send of one message (parseSendRequest), not delayed. */
  request: SendRequest;
  transaction: TransactionOptions;
}

/** The answer to a half-message send: the message waits, invisible, for commit or rollback. */
export interface HalfSendResult {
  status: 'SEND_OK';
  transactional: true;
  /** Commits, rolls back or reads the half message. */
  transactionHandle: string;
  uniqueKey: string;
  topic: string;
  brokerName: string;
  queueId: number;
  /** When it is first checked unless resolved before. */
  checkAt: number;
}

export interface EndTransactionArgs {
  transactionHandle: string;
  /** When given, a half message of another producer group is refused (INVALID_TRANSACTION_HANDLE). */
  producerGroup?: string;
}

export interface CommitResult {
  status: 'COMMITTED';
  transactionHandle: string;
  msgId: string;
  uniqueKey: string;
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
}

export interface RollbackResult {
  status: 'ROLLED_BACK';
  transactionHandle: string;
  uniqueKey: string;
  topic: string;
  brokerName: string;
  queueId: number;
}

/** A half message with where it waits. */
export interface PendingHalfMessage {
  transactionHandle: string;
  topic: string;
  brokerName: string;
  queueId: number;
  half: HalfMessage;
}

export interface HalfPopArgs {
  producerGroup: string;
  topic: string;
  /** 1 to 32. @defaultValue 16 */
  maxMessages?: number;
  /** How long popped half messages stay out of the next half pops: 10 s to 12 h. @defaultValue 30000 */
  invisibleMs?: number;
  /** Long polling, 0 to 30000 ms (the REST API allows 20000). @defaultValue 0 */
  waitMs?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Sends a half message: stored in the queue a normal send would pick (round
 * robin with up to 2 retries on another broker group, sharding key, or
 * explicit queue), invisible to consumers, until it is committed or rolled
 * back, or checked after the transaction timeout (TRANSACTION_TIMEOUT_MS, or
 * `checkImmunityMs`).
 */
export async function sendHalfMessage(env: Env, args: HalfSendArgs): Promise<HalfSendResult> {
  const req = args.request;
  const transaction = parseTransactionOptions(args.transaction);
  if (req.batch || req.messages.length !== 1) {
    throw new FlareError(
      'INVALID_REQUEST',
      'a transactional send carries one message: send each half message on its own, without "messages"',
    );
  }
  if (req.deliverAt !== undefined) throw new FlareError('INVALID_REQUEST', 'a transactional message cannot be delayed');
  const [message] = withShardingKey(req);
  const checkAt = Date.now() + (transaction.checkImmunityMs ?? config(env).transactionTimeoutMs);
  const { value: halfId, queue } = await sendWithRetries(env, req, (stub) =>
    stub.outcome.prepareHalf(transaction.producerGroup, message, checkAt),
  );
  return {
    status: 'SEND_OK',
    transactional: true,
    transactionHandle: encodeTransactionHandle({
      topic: req.topic,
      brokerName: queue.brokerName,
      brokerId: MASTER_ID,
      queueId: queue.queueId,
      halfId,
    }),
    uniqueKey: message.uniqueKey,
    topic: req.topic,
    brokerName: queue.brokerName,
    queueId: queue.queueId,
    checkAt,
  };
}

/** The handle's queue object: the handle names it, so each of these is one call to one object. */
async function halfQueue(
  env: Env,
  raw: string,
): Promise<{ loc: TransactionLocation; handle: string; route: TopicRoute; stub: ReturnType<typeof queueStub> }> {
  if (typeof raw !== 'string') throw new FlareError('INVALID_TRANSACTION_HANDLE', 'a transaction handle is required');
  const loc = decodeTransactionHandle(raw);
  const handle = encodeTransactionHandle(loc);
  if (loc.brokerId !== MASTER_ID) throw transactionNotFound(handle);
  const route = await requireRoute(env, loc.topic);
  if (!allQueues(route).some((q) => q.brokerName === loc.brokerName && q.queueId === loc.queueId))
    throw transactionNotFound(handle);
  return { loc, handle, route, stub: queueStub(env, loc.topic, loc.brokerName, loc.queueId) };
}

/** Commits a half message: it is appended to its queue, visible to consumers. TRANSACTION_NOT_FOUND when it is not pending. */
export async function commitTransaction(env: Env, args: EndTransactionArgs): Promise<CommitResult> {
  const producerGroup = args.producerGroup === undefined ? undefined : validateGroup(args.producerGroup);
  const { loc, handle, stub } = await halfQueue(env, args.transactionHandle);
  const ended = await stub.endTransaction(loc.halfId, 'COMMIT', producerGroup);
  if (!ended || !ended.stored) throw transactionNotFound(handle);
  const where = { topic: loc.topic, brokerName: loc.brokerName, brokerId: MASTER_ID, queueId: loc.queueId };
  return {
    status: 'COMMITTED',
    transactionHandle: handle,
    msgId: encodeMessageId({ ...where, queueOffset: ended.stored.queueOffset }),
    uniqueKey: ended.half.message.uniqueKey,
    topic: loc.topic,
    brokerName: loc.brokerName,
    queueId: loc.queueId,
    queueOffset: ended.stored.queueOffset,
  };
}

/** Rolls back a half message: it is discarded. TRANSACTION_NOT_FOUND when it is not pending. */
export async function rollbackTransaction(env: Env, args: EndTransactionArgs): Promise<RollbackResult> {
  const producerGroup = args.producerGroup === undefined ? undefined : validateGroup(args.producerGroup);
  const { loc, handle, stub } = await halfQueue(env, args.transactionHandle);
  const ended = await stub.endTransaction(loc.halfId, 'ROLLBACK', producerGroup);
  if (!ended) throw transactionNotFound(handle);
  return {
    status: 'ROLLED_BACK',
    transactionHandle: handle,
    uniqueKey: ended.half.message.uniqueKey,
    topic: loc.topic,
    brokerName: loc.brokerName,
    queueId: loc.queueId,
  };
}

/**
 * A pending half message by its handle, from the master's copy or, while the master does not answer, a slave's
 * (which holds the half messages too: queue/state-replication.ts). TRANSACTION_NOT_FOUND when it is not pending.
 */
export async function getHalfMessage(env: Env, args: { transactionHandle: string }): Promise<PendingHalfMessage> {
  const { loc, handle, route } = await halfQueue(env, args.transactionHandle);
  const half = await onReadableCopy(env, route, loc.topic, loc.brokerName, loc.queueId, (stub) =>
    stub.getHalf(loc.halfId),
  );
  if (!half) throw transactionNotFound(handle);
  return { transactionHandle: handle, topic: loc.topic, brokerName: loc.brokerName, queueId: loc.queueId, half };
}

function intArg(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new FlareError('INVALID_REQUEST', `${name} must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

const halfRotation = new Map<string, number>();

/**
 * The producer side of check-back (what the RocketMQ HTTP protocol's
 * consumeHalfMessage sits on): half messages of the producer group on the
 * topic that have been checked at least once and are still unresolved,
 * oldest first per queue, with long polling. Each is left out of the next half
 * pops for `invisibleMs`; its transaction handle commits or rolls it back.
 */
export async function popHalfMessages(env: Env, args: HalfPopArgs): Promise<{ messages: PendingHalfMessage[] }> {
  const producerGroup = validateGroup(args.producerGroup);
  const topic = validateTopic(args.topic);
  const maxMessages = intArg(args.maxMessages, 'maxMessages', 1, MAX_POP_MESSAGES, DEFAULT_POP_MESSAGES);
  const invisibleMs = args.invisibleMs === undefined ? DEFAULT_INVISIBLE_MS : validateInvisibleMs(args.invisibleMs);
  const waitMs = intArg(args.waitMs, 'waitMs', 0, MAX_POP_WAIT_LIMIT_MS, 0);
  const route = await requireRoute(env, topic);
  const k = `${producerGroup}|${topic}`;
  const start = (halfRotation.get(k) ?? 0) + 1;
  halfRotation.set(k, start);
  const messages = await pollQueues<PendingHalfMessage>({
    queues: allQueues(route),
    start,
    max: maxMessages,
    waitMs,
    take: async (q, max) => {
      const halves = await queueStub(env, topic, q.brokerName, q.queueId).popHalf(producerGroup, max, invisibleMs);
      return halves.map((half) => ({
        transactionHandle: encodeTransactionHandle({
          topic,
          brokerName: q.brokerName,
          brokerId: MASTER_ID,
          queueId: q.queueId,
          halfId: half.halfId,
        }),
        topic,
        brokerName: q.brokerName,
        queueId: q.queueId,
        half,
      }));
    },
    wait: (q, ms) => queueStub(env, topic, q.brokerName, q.queueId).waitHalfPoppable(producerGroup, ms),
  });
  return { messages };
}

/** The API view of a pending half message. */
export function toPendingHalfView(p: PendingHalfMessage, encoding: BodyEncoding): HalfMessageView {
  return toHalfMessageView(
    p.half,
    { topic: p.topic, brokerName: p.brokerName, brokerId: MASTER_ID, queueId: p.queueId },
    encoding,
  );
}

/**
 * Sets a producer group's check URL (`null` removes it) and, when given, its
 * check secret (16 to 256 printable ASCII characters; else the group keeps its
 * own, drawn by flaremq). The answer carries the secret (GET never shows it).
 */
export async function configureProducerGroup(
  env: Env,
  args: { group: string; checkUrl: unknown; checkSecret?: unknown },
): Promise<ProducerGroupStatus & { checkSecret: string }> {
  const group = validateGroup(args.group);
  const checkUrl = parseCheckUrl(args.checkUrl);
  const secret = args.checkSecret;
  if (secret !== undefined && (typeof secret !== 'string' || !CHECK_SECRET_PATTERN.test(secret))) {
    throw new FlareError(
      'INVALID_REQUEST',
      "checkSecret must be 16 to 256 printable ASCII characters (no spaces); leave it out to keep the group's, or have one drawn",
    );
  }
  return producerGroupObject(env, group).configure(group, checkUrl, secret);
}

/** A producer group's settings; a group never configured has no check URL. */
export async function getProducerGroup(env: Env, args: { group: string }): Promise<ProducerGroupStatus> {
  const group = validateGroup(args.group);
  return producerGroupObject(env, group).status(group);
}

/**
 * Transactions of the producer group discarded after their last check, newest
 * first (the newest 1000 are kept); with `topic`, only those of that topic
 * (what an account with PUB on the topic may read, docs/security.md).
 */
export async function listDiscardedTransactions(
  env: Env,
  args: { group: string; topic?: string; maxMessages?: number; bodyEncoding?: BodyEncoding },
): Promise<{ group: string; total: number; kept: number; transactions: DiscardedTransaction[] }> {
  const group = validateGroup(args.group);
  const topic = args.topic === undefined ? undefined : validateTopic(args.topic);
  const max = intArg(args.maxMessages, 'maxMessages', 1, MAX_PULL_MESSAGES, 32);
  const stub = producerGroupObject(env, group);
  const [status, list] = await Promise.all([stub.status(group), stub.listDiscarded(max, topic)]);
  const encoding = args.bodyEncoding ?? 'utf8';
  const transactions = list.transactions.map((t) => ({
    ...t,
    ...encodeBody(decodeBody(t.body, t.bodyEncoding), encoding),
  }));
  return { group, total: status.discardedTotal, kept: list.kept, transactions };
}

/** Reads a send body's `transaction` field; undefined when the send is not transactional. */
export function transactionOf(body: unknown): TransactionOptions | undefined {
  if (!isObject(body) || body.transaction === undefined) return undefined;
  return parseTransactionOptions(body.transaction);
}
