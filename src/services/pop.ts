/**
 * Pop consumption (RocketMQ 5's SimpleConsumer) across a topic's queues:
 * receive, ack, change invisibility. Plain functions of (env, args) that
 * validate their arguments and return data, for the REST routes
 * (routes/pop.ts) and the RocketMQ HTTP protocol alike.
 */
import type { BodyEncoding } from '../core/body';
import { FlareError, type ErrorCode } from '../core/errors';
import { isRetryTopic, reconsumeLimit, retryTopic, startFromOf } from '../core/group-config';
import {
  DEFAULT_INVISIBLE_MS,
  DEFAULT_POP_MESSAGES,
  MAX_ACK_HANDLES,
  MAX_INVISIBLE_MS,
  MAX_POP_MESSAGES,
  MAX_POP_WAIT_LIMIT_MS,
  MIN_INVISIBLE_MS,
} from '../core/limits';
import { toMessageView, type MessageView, type StoredMessage } from '../core/message';
import { encodeMessageId } from '../core/msg-id';
import { validateGroup, validateTopic } from '../core/names';
import type { QueueId } from '../core/queue-selector';
import {
  decodeReceiptHandle,
  encodeReceiptHandle,
  parseReceiptHandle,
  popStateKey,
  type ReceiptHandle,
} from '../core/receipt-handle';
import { MASTER_ID, allQueues, readableQueues } from '../core/route';
import { ROUTE_CACHE_TTL_MS } from '../core/timing';
import { parseTagExpression } from '../core/tag-filter';
import type { PoppedEntry } from '../durable-objects/queue/pop';
import type { Env } from '../env';
import { cachedRoute, getRoute, groupStub, queueStub, requireRoute } from './cluster';
import { sendMessageBack } from './dead-letters';
import { pollQueues } from './long-poll';
import { log } from '../log';

export interface PopArgs {
  /** The consumer group. It is created (with the default config) on its first pop. */
  group: string;
  topic: string;
  /** Tag expression: `*` (default) or `TagA || TagB`. */
  expression?: string;
  /** 1 to 32. @defaultValue 16 */
  maxMessages?: number;
  /** How long popped messages stay invisible to the group unless acked: 10 s to 12 h. @defaultValue 30000 */
  invisibleMs?: number;
  /**
   * Long polling: how long to wait when no queue has a message, 0 to 30000
   * (the REST API allows 20000, the RocketMQ HTTP protocol 30000). @defaultValue 0
   */
  waitMs?: number;
  /** Ordered pop: a message waits until the one before it with the same sharding key is acked. @defaultValue false */
  orderly?: boolean;
}

/** One popped message: where it is, what it is, and its delivery. */
export interface PoppedMessage {
  msgId: string;
  topic: string;
  brokerName: string;
  brokerId: number;
  queueId: number;
  queueOffset: number;
  /** The stored message (body as bytes). Its reconsumeTimes is the stored one; see `reconsumeTimes` below. */
  message: StoredMessage;
  /** Acks this delivery, or changes its invisibility. */
  receiptHandle: string;
  /** When this delivery was made. */
  popTimestamp: number;
  /** When the message was first delivered to the group. */
  firstPopTimestamp: number;
  /** When it becomes visible to the group again unless acked (RocketMQ's nextVisibleTime). */
  invisibleUntil: number;
  /** Deliveries to the group so far, this one included (RocketMQ's consumed times). */
  deliveries: number;
  /** Deliveries before this one (deliveries − 1). */
  reconsumeTimes: number;
}

export interface PopResult {
  messages: PoppedMessage[];
}

/** A popped message as the REST API shows it: a message view plus its delivery. */
export interface PoppedMessageView extends MessageView {
  receiptHandle: string;
  popTimestamp: number;
  firstPopTimestamp: number;
  invisibleUntil: number;
}

export interface AckArgs {
  group: string;
  /** 1 to 1024 receipt handles, each acked on its own. */
  receiptHandles: string[];
}

/** The outcome for one receipt handle of an ack. */
export interface AckResult {
  receiptHandle: string;
  acked: boolean;
  /** Why it was not acked. */
  error?: { code: ErrorCode; message: string; retriable: boolean };
}

export interface ChangeInvisibleArgs {
  group: string;
  receiptHandle: string;
  /** Visible again this long from now: 10 s to 12 h. */
  invisibleMs: number;
}

export interface ChangeInvisibleResult {
  /** The new handle; the old one no longer acks. */
  receiptHandle: string;
  invisibleUntil: number;
  msgId: string;
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  popTimestamp: number;
  firstPopTimestamp: number;
  reconsumeTimes: number;
}

function intArg(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new FlareError('INVALID_REQUEST', `${name} must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

/** Checks an invisible time: an integer from 10 s to 12 h, in ms. */
export function validateInvisibleMs(value: unknown, name = 'invisibleMs'): number {
  if (value === undefined || value === null)
    throw new FlareError(
      'INVALID_REQUEST',
      `${name} is required: an integer from ${MIN_INVISIBLE_MS} to ${MAX_INVISIBLE_MS} (10 s to 12 h)`,
    );
  return intArg(value, name, MIN_INVISIBLE_MS, MAX_INVISIBLE_MS, 0);
}

const rotation = new Map<string, number>();

/** Where this isolate's next walk over the topic's queues starts for the group. */
function nextStart(group: string, topic: string): number {
  const k = `${group}|${topic}`;
  const n = (rotation.get(k) ?? Math.floor(Math.random() * 1024)) + 1;
  rotation.set(k, n);
  return n;
}

/**
 * One pop in this many (per isolate, group and topic) walks the group's retry
 * topic before the topic's own queues; the others walk it after them, when
 * room is left. RocketMQ's broker pops the retry topic first with
 * popFromRetryProbability (20 %) and otherwise after the topic when the
 * answer is not full (PopMessageProcessor.processRequest, `needRetry`), so
 * that a topic that always fills the answer does not starve its retry messages.
 */
const RETRY_FIRST_EVERY = 5;

/**
 * Retry topics this isolate found missing, and when: looked up again only
 * after ROUTE_CACHE_TTL_MS (or once this isolate caches their route), as
 * routes are cached, so that a pop of a group without a retry topic (most pop
 * groups) does not ask a NameServer every time. A group's first resend is
 * seen by other isolates' pops within that time.
 */
const absentRetryTopics = new Map<string, number>();

/** A queue a pop walks: one of the topic's, or one of the group's retry topic, whose retry messages of `retryOf` it takes. */
interface PopSource extends QueueId {
  topic: string;
  retryOf?: string;
}

/**
 * The queues of the group's retry topic %RETRY%{group} that a pop of `topic`
 * also reads (its resent dead letters are there), none when the topic is a
 * retry or dead-letter topic itself or the group has no retry topic (or it
 * cannot be looked up now: the pop then reads the topic alone).
 */
async function retrySources(env: Env, group: string, topic: string): Promise<PopSource[]> {
  if (isRetryTopic(topic) || topic.startsWith('%DLQ%')) return [];
  const retry = retryTopic(group);
  const absentAt = absentRetryTopics.get(retry);
  if (absentAt !== undefined && Date.now() - absentAt < ROUTE_CACHE_TTL_MS && !cachedRoute(retry)) return [];
  let route;
  try {
    route = await getRoute(env, retry);
  } catch (err) {
    log.error('looking up the retry topic failed; this pop reads its topic only', {
      topic,
      retryTopic: retry,
      group,
      error: err,
    });
    return [];
  }
  if (route) absentRetryTopics.delete(retry);
  else absentRetryTopics.set(retry, Date.now());
  return route ? readableQueues(route).map((q) => ({ ...q, topic: retry, retryOf: topic })) : [];
}

function popped(group: string, src: PopSource, e: PoppedEntry): PoppedMessage {
  const loc = { topic: src.topic, brokerName: src.brokerName, brokerId: MASTER_ID, queueId: src.queueId };
  const queueOffset = e.message.queueOffset;
  return {
    msgId: encodeMessageId({ ...loc, queueOffset }),
    ...loc,
    queueOffset,
    message: e.message,
    receiptHandle: encodeReceiptHandle({ ...loc, group, retryOf: src.retryOf, queueOffset, handleSeq: e.handleSeq }),
    popTimestamp: e.popTimestamp,
    firstPopTimestamp: e.firstPopTimestamp,
    invisibleUntil: e.invisibleUntil,
    deliveries: e.deliveries,
    reconsumeTimes: e.deliveries - 1,
  };
}

/**
 * Receives up to maxMessages for the group from the topic's readable queues,
 * starting at a rotating queue, and from the group's retry topic (its retry
 * messages of this topic: resent dead letters), with long polling. Each message is invisible
 * to the group until `invisibleUntil` unless acked; then it is delivered
 * again with reconsumeTimes + 1. A message that would pass the group's
 * maxReconsumeTimes goes to %DLQ%{group} instead. An empty list means
 * nothing came within the wait.
 */
export async function popMessages(env: Env, args: PopArgs): Promise<PopResult> {
  const group = validateGroup(args.group);
  const topic = validateTopic(args.topic);
  if (args.expression !== undefined && typeof args.expression !== 'string')
    throw new FlareError('INVALID_TAG_EXPRESSION', 'expression must be a string');
  const tags = parseTagExpression(args.expression);
  const maxMessages = intArg(args.maxMessages, 'maxMessages', 1, MAX_POP_MESSAGES, DEFAULT_POP_MESSAGES);
  const invisibleMs = args.invisibleMs === undefined ? DEFAULT_INVISIBLE_MS : validateInvisibleMs(args.invisibleMs);
  const waitMs = intArg(args.waitMs, 'waitMs', 0, MAX_POP_WAIT_LIMIT_MS, 0);
  if (args.orderly !== undefined && typeof args.orderly !== 'boolean')
    throw new FlareError('INVALID_REQUEST', 'orderly must be true or false');
  const orderly = args.orderly ?? false;

  // Creates the group (defaults) on its first pop, so that it shows in GET /groups/{group}; its first pop of the topic is its subscription.
  const view = await groupStub(env, group).popView(group, topic);
  const route = await requireRoute(env, topic);
  const queues = readableQueues(route);
  if (queues.length === 0) throw new FlareError('NO_PERMISSION', `topic '${topic}' has no readable queue (perm)`);
  const startFrom = startFromOf(topic, view.config, view.subscribedAt);
  const maxReconsumeTimes = reconsumeLimit(view.config.maxReconsumeTimes, false);

  const retryStartFrom = startFromOf(retryTopic(group), view.config, view.subscribedAt);
  const start = nextStart(group, topic);
  const own: PopSource[] = queues.map((_, i) => ({ ...queues[(start + i) % queues.length], topic }));
  const retry = await retrySources(env, group, topic);
  const sources =
    nextStart(group, retryTopic(group)) % RETRY_FIRST_EVERY === 0 ? [...retry, ...own] : [...own, ...retry];
  // In the retry topic: the pop state of (group, topic), unordered (the message left its key's order when it was dead-lettered).
  const requestOf = (src: PopSource) =>
    src.retryOf === undefined
      ? { group, tags, orderly, startFrom }
      : {
          group: popStateKey(group, src.retryOf),
          tags,
          retryOf: src.retryOf,
          orderly: false,
          startFrom: retryStartFrom,
        };

  const messages = await pollQueues<PoppedMessage, PopSource>({
    queues: sources,
    start: 0,
    max: maxMessages,
    waitMs,
    take: async (src, max) => {
      const answer = await queueStub(env, src.topic, src.brokerName, src.queueId).pop({
        ...requestOf(src),
        maxMessages: max,
        invisibleMs,
        maxReconsumeTimes,
      });
      for (const dead of answer.deadLetters) await toDeadLetterQueue(env, group, popped(group, src, dead));
      return answer.messages.map((e) => popped(group, src, e));
    },
    wait: (src, ms) => queueStub(env, src.topic, src.brokerName, src.queueId).waitPoppable(requestOf(src), ms),
  });
  return { messages };
}

/**
 * A message past maxReconsumeTimes: sent to %DLQ%{group} with reconsumeTimes
 * = its deliveries, then acked. If this fails, the message stays in flight and
 * the next pop after its hold (30 s) tries again.
 */
async function toDeadLetterQueue(env: Env, group: string, p: PoppedMessage): Promise<void> {
  try {
    await sendMessageBack(env, {
      group,
      msgId: p.msgId,
      message: p.message,
      reconsumeTimes: p.deliveries,
      toDlq: true,
    });
    const h = parseReceiptHandle(p.receiptHandle)!;
    await queueStub(env, p.topic, p.brokerName, p.queueId).ackPopped(popStateKey(group, h.retryOf), [
      { queueOffset: p.queueOffset, handleSeq: h.handleSeq },
    ]);
  } catch (err) {
    log.error('moving a message to the DLQ failed; the next pop tries again', {
      group,
      topic: p.topic,
      brokerName: p.brokerName,
      queueId: p.queueId,
      offset: p.queueOffset,
      msgId: p.msgId,
      error: err,
    });
  }
}

/** The REST view of a popped message: reconsumeTimes counts the group's earlier deliveries. */
export function toPoppedMessageView(p: PoppedMessage, encoding: BodyEncoding): PoppedMessageView {
  return {
    ...toMessageView(p.message, p, encoding),
    reconsumeTimes: p.reconsumeTimes,
    receiptHandle: p.receiptHandle,
    popTimestamp: p.popTimestamp,
    firstPopTimestamp: p.firstPopTimestamp,
    invisibleUntil: p.invisibleUntil,
  };
}

function failure(code: ErrorCode, message: string): AckResult['error'] {
  return { code, message, retriable: new FlareError(code, message).retriable };
}

/** Whether the handle's queue is (still) a queue of its topic; null when it is, else why not. */
async function queueProblem(env: Env, h: ReceiptHandle): Promise<FlareError | null> {
  if (h.brokerId !== MASTER_ID)
    return new FlareError(
      'INVALID_RECEIPT_HANDLE',
      `the handle names brokerId ${h.brokerId}; pops are served by masters`,
    );
  const route = await getRoute(env, h.topic);
  if (!route) return new FlareError('TOPIC_NOT_EXIST', `topic '${h.topic}' does not exist (any more)`);
  if (!allQueues(route).some((q) => q.brokerName === h.brokerName && q.queueId === h.queueId)) {
    return new FlareError('RECEIPT_HANDLE_EXPIRED', `topic '${h.topic}' has no queue ${h.brokerName}/${h.queueId} now`);
  }
  return null;
}

/**
 * Acks receipt handles, each on its own: one result per handle, in order.
 * A handle fails (and the others still count) when it is not a flaremq
 * receipt handle of this group (INVALID_RECEIPT_HANDLE), when it no longer
 * names an in-flight delivery (RECEIPT_HANDLE_EXPIRED: delivered again, its
 * invisibility changed, or acked longer ago than ACK_REPEAT_WINDOW_MS: a
 * repeated ack within it is acked again), or when its queue is gone.
 */
export async function ackMessages(env: Env, args: AckArgs): Promise<AckResult[]> {
  const group = validateGroup(args.group);
  const handles = args.receiptHandles;
  if (
    !Array.isArray(handles) ||
    handles.length === 0 ||
    handles.length > MAX_ACK_HANDLES ||
    handles.some((h) => typeof h !== 'string')
  ) {
    throw new FlareError('INVALID_REQUEST', `receiptHandles must be an array of 1 to ${MAX_ACK_HANDLES} strings`);
  }
  const results: AckResult[] = handles.map((receiptHandle) => ({ receiptHandle, acked: false }));
  const byQueue = new Map<string, { h: ReceiptHandle; index: number }[]>();
  handles.forEach((raw, index) => {
    const h = parseReceiptHandle(raw);
    if (!h) results[index].error = failure('INVALID_RECEIPT_HANDLE', 'not a flaremq receipt handle');
    else if (h.group !== group)
      results[index].error = failure(
        'INVALID_RECEIPT_HANDLE',
        `the handle was issued to group ${h.group}, not ${group}`,
      );
    else {
      const k = `${h.topic}/${h.brokerName}/${h.queueId}/${h.brokerId}/${h.retryOf ?? ''}`;
      if (!byQueue.has(k)) byQueue.set(k, []);
      byQueue.get(k)!.push({ h, index });
    }
  });
  await Promise.all(
    [...byQueue.values()].map(async (items) => {
      const { h } = items[0];
      try {
        const problem = await queueProblem(env, h);
        if (problem) throw problem;
        const outcomes = await queueStub(env, h.topic, h.brokerName, h.queueId).ackPopped(
          popStateKey(group, h.retryOf),
          items.map(({ h }) => ({ queueOffset: h.queueOffset, handleSeq: h.handleSeq })),
        );
        outcomes.forEach((o, i) => {
          const r = results[items[i].index];
          if (o.acked) r.acked = true;
          else
            r.error = failure(
              'RECEIPT_HANDLE_EXPIRED',
              o.problem === 'SUPERSEDED'
                ? 'the message was delivered again, or its invisibility changed, under a newer receipt handle'
                : 'the message is not in flight for this group: it was acked already, longer ago than a repeated ack is answered',
            );
        });
      } catch (err) {
        const flare = err instanceof FlareError ? err : new FlareError('BROKER_UNAVAILABLE', String(err));
        for (const { index } of items) results[index].error = failure(flare.code, flare.detail);
      }
    }),
  );
  return results.map((r) => (r.error ? r : { receiptHandle: r.receiptHandle, acked: true }));
}

/**
 * RocketMQ's changeInvisibleDuration: the message becomes visible to the
 * group again `invisibleMs` from now (not counting as a new delivery), under
 * a new receipt handle; the old handle no longer acks. The same call
 * repeated (its answer was lost) gets the same answer.
 */
export async function changeInvisibleDuration(env: Env, args: ChangeInvisibleArgs): Promise<ChangeInvisibleResult> {
  const group = validateGroup(args.group);
  if (typeof args.receiptHandle !== 'string') throw new FlareError('INVALID_REQUEST', 'receiptHandle is required');
  const h = decodeReceiptHandle(args.receiptHandle);
  if (h.group !== group)
    throw new FlareError('INVALID_RECEIPT_HANDLE', `the handle was issued to group ${h.group}, not ${group}`);
  const invisibleMs = validateInvisibleMs(args.invisibleMs);
  const problem = await queueProblem(env, h);
  if (problem) throw problem;
  const e = await queueStub(env, h.topic, h.brokerName, h.queueId).changeInvisible(
    popStateKey(group, h.retryOf),
    h.queueOffset,
    h.handleSeq,
    invisibleMs,
  );
  const p = popped(group, { topic: h.topic, brokerName: h.brokerName, queueId: h.queueId, retryOf: h.retryOf }, e);
  return {
    receiptHandle: p.receiptHandle,
    invisibleUntil: p.invisibleUntil,
    msgId: p.msgId,
    topic: p.topic,
    brokerName: p.brokerName,
    queueId: p.queueId,
    queueOffset: p.queueOffset,
    popTimestamp: p.popTimestamp,
    firstPopTimestamp: p.firstPopTimestamp,
    reconsumeTimes: p.reconsumeTimes,
  };
}
