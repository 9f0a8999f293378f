import { FlareError } from '../core/errors';
import { dlqTopic, isGroupTopic, retryTopic } from '../core/group-config';
import { parseSendRequest, type NewMessage, type StoredMessage } from '../core/message';
import { decodeMessageId, newUniqueKey, type MessageLocation } from '../core/msg-id';
import { PERM_READ_WRITE } from '../core/perm';
import { masters } from '../core/config';
import { MASTER_ID, allQueues } from '../core/route';
import type { Env } from '../env';
import { config, createOrUpdateTopic, getRoute, groupStub, queueStub, requireRoute } from './cluster';
import { PROPERTY_ORIGIN_MESSAGE_ID, PROPERTY_RECONSUME_TIME, PROPERTY_RETRY_TOPIC } from '../core/system-properties';
import { send, type DelayedSendResult, type SendResult } from './send';
import { log } from '../log';

/** The fields of a stored message that make a new one. */
export function copyOf(m: NewMessage): NewMessage {
  return {
    body: m.body,
    tags: m.tags,
    keys: m.keys,
    properties: m.properties,
    bornTimestamp: m.bornTimestamp,
    uniqueKey: m.uniqueKey,
    reconsumeTimes: m.reconsumeTimes,
  };
}

/** Reads a message by id, or MESSAGE_NOT_FOUND. */
export async function readMessage(env: Env, msgId: string): Promise<{ loc: MessageLocation; stored: StoredMessage }> {
  const loc = decodeMessageId(msgId);
  const route = await requireRoute(env, loc.topic);
  if (
    loc.brokerId !== MASTER_ID ||
    !allQueues(route).some((q) => q.brokerName === loc.brokerName && q.queueId === loc.queueId)
  ) {
    throw new FlareError('MESSAGE_NOT_FOUND', `message ${msgId} is not in a queue of topic '${loc.topic}'`);
  }
  const stored = await queueStub(env, loc.topic, loc.brokerName, loc.queueId).get(loc.queueOffset);
  if (!stored) throw new FlareError('MESSAGE_NOT_FOUND', `message ${msgId} not found`);
  return { loc, stored };
}

/**
 * The failed message to send back: the original, read from its queue; or,
 * when it cannot be read (retention deleted it, its master is down, its topic
 * is gone) and the consumer sent its own `copy`, that copy. RocketMQ's client
 * does the same: DefaultMQPushConsumerImpl.sendMessageBack, when the broker's
 * consumerSendMessageBack fails, sends a new message built from the
 * MessageExt it holds (sendMessageBackAsNormalMessage). Either way the message
 * goes to the group's own retry or dead-letter topic only.
 */
export async function failedMessage(env: Env, msgId: string, copy: unknown): Promise<NewMessage> {
  try {
    return (await readMessage(env, msgId)).stored;
  } catch (err) {
    if (copy === undefined || (err instanceof FlareError && err.code === 'INVALID_MESSAGE_ID')) throw err;
    return parseCopy(env, msgId, copy);
  }
}

/** A consumer's copy of a failed message: a message as a send takes it, plus its reconsumeTimes. */
function parseCopy(env: Env, msgId: string, copy: unknown): NewMessage {
  if (typeof copy !== 'object' || copy === null || Array.isArray(copy))
    throw new FlareError('INVALID_REQUEST', 'message (the copy) must be a JSON object');
  const { reconsumeTimes = 0, ...fields } = copy as Record<string, unknown>;
  if (!Number.isSafeInteger(reconsumeTimes) || (reconsumeTimes as number) < 0)
    throw new FlareError('INVALID_REQUEST', 'message.reconsumeTimes must be an integer >= 0');
  const [parsed] = parseSendRequest(decodeMessageId(msgId).topic, fields, config(env)).messages;
  return { ...parsed!, reconsumeTimes: reconsumeTimes as number };
}

/**
 * Creates a retry or dead-letter topic (one queue per broker group) unless it
 * exists; true when it was created. A broker group whose master is down is
 * left out rather than failing the creation (RocketMQ creates these topics on
 * the broker that takes the message, createTopicInSendMessageBackMethod).
 */
export async function ensureGroupTopic(env: Env, topic: string): Promise<boolean> {
  if (await getRoute(env, topic)) return false;
  const spec = { readQueueNums: 1, writeQueueNums: 1, perm: PERM_READ_WRITE };
  const created = await Promise.allSettled(
    masters(config(env)).map((b) => createOrUpdateTopic(env, topic, { ...spec, brokerNames: [b.brokerName] })),
  );
  const failed = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed && created.every((r) => r.status === 'rejected')) throw failed.reason;
  return true;
}

/** Creates the group's retry topic unless it exists (the group then rebalances, so that its members consume it); its name. */
async function ensureRetryTopic(env: Env, group: string): Promise<string> {
  const topic = retryTopic(group);
  if (await ensureGroupTopic(env, topic)) await groupStub(env, group).refresh();
  return topic;
}

/**
 * At a CLUSTERING member's heartbeat: creates the group's retry topic unless it exists (true when it was created).
 * RocketMQ's broker does the same at each heartbeat of a consumer group (ClientManageProcessor.heartBeat →
 * TopicConfigManager.createTopicInSendMessageBackMethod for %RETRY%{group}), and its CLUSTERING consumers subscribe
 * to that topic (DefaultMQPushConsumerImpl.copySubscription). A failure is logged, not raised: the heartbeat is
 * answered without the retry topic, and the next heartbeat or the first send-back creates it.
 */
export async function createRetryTopicQuietly(env: Env, group: string): Promise<boolean> {
  try {
    return await ensureGroupTopic(env, retryTopic(group));
  } catch (err) {
    log.warn('creating the retry topic at a heartbeat failed; the next heartbeat tries again', {
      group,
      topic: retryTopic(group),
      error: err,
    });
    return false;
  }
}

export interface SendBackArgs {
  group: string;
  /** The failed message's id and what its queue stores (or the consumer's copy of it). */
  msgId: string;
  message: NewMessage;
  /** The reconsume count the copy carries (failed deliveries so far). */
  reconsumeTimes: number;
  /** To %DLQ%{group}; otherwise to %RETRY%{group}, delayed by `delayLevel`. */
  toDlq: boolean;
  /** For a retry: the delay level, 1 … number of levels. */
  delayLevel?: number;
}

export interface SendBackResult {
  status: 'RETRY' | 'DLQ';
  topic: string;
  reconsumeTimes: number;
  delayLevel?: number;
  deliverAt?: number;
  result: SendResult | DelayedSendResult;
}

/**
 * RocketMQ's sendMessageBack: a copy of a failed message goes to the group's
 * retry topic, delayed, or to its dead-letter topic (each created on demand),
 * with ORIGIN_MESSAGE_ID, RETRY_TOPIC (the original topic) and RECONSUME_TIME.
 * Used by the retry route and by pop for messages past maxReconsumeTimes.
 */
export async function sendMessageBack(env: Env, args: SendBackArgs): Promise<SendBackResult> {
  const { group, msgId, message: stored, reconsumeTimes, toDlq } = args;
  const levels = config(env).delayLevels;
  const level = Math.min(Math.max(args.delayLevel ?? 1, 1), levels.length);
  // RETRY_TOPIC is flaremq's own (senders may not set it): carried over only from a message of a retry or dead-letter topic.
  const idTopic = decodeMessageId(msgId).topic;
  const originTopic = isGroupTopic(idTopic) ? (stored.properties[PROPERTY_RETRY_TOPIC] ?? idTopic) : idTopic;
  const message: NewMessage = {
    ...copyOf(stored),
    reconsumeTimes,
    bornTimestamp: Date.now(),
    properties: {
      ...stored.properties,
      [PROPERTY_ORIGIN_MESSAGE_ID]: stored.properties[PROPERTY_ORIGIN_MESSAGE_ID] ?? msgId,
      [PROPERTY_RETRY_TOPIC]: originTopic,
      [PROPERTY_RECONSUME_TIME]: String(reconsumeTimes),
    },
  };
  const topic = toDlq ? dlqTopic(group) : await ensureRetryTopic(env, group);
  if (toDlq) await ensureGroupTopic(env, topic);
  const deliverAt = toDlq ? undefined : Date.now() + levels[level - 1];
  const [result] = await send(env, { topic, batch: false, messages: [message], deliverAt });
  if (toDlq) {
    const stored = result as SendResult;
    log.info('a message went to the dead-letter queue', {
      group,
      topic: originTopic,
      msgId,
      reconsumeTimes,
      dlqTopic: topic,
      dlqMsgId: stored.msgId,
      brokerName: stored.brokerName,
      queueId: stored.queueId,
      offset: stored.queueOffset,
    });
  }
  return {
    status: toDlq ? 'DLQ' : 'RETRY',
    topic,
    reconsumeTimes,
    delayLevel: toDlq ? undefined : level,
    deliverAt,
    result,
  };
}

export interface ResendResult extends SendResult {
  group: string;
  /** The dead letter's msgId. */
  resentFrom: string;
}

/**
 * Sends a dead letter back to the group that dead-lettered it, and to no other
 * group of its topic: a copy goes to the group's retry topic %RETRY%{group}
 * (created on demand), consumable at once, with reconsumeTimes 0 and a new
 * uniqueKey; RECONSUME_TIME is dropped, ORIGIN_MESSAGE_ID and RETRY_TOPIC (the
 * original topic, which consumers show as the message's topic) are kept. The
 * target is the group whose %DLQ% topic holds the message (its msgId says
 * where it is stored), never a property of the message. RocketMQ's dashboard
 * does the same through the group's client (DlqMessageServiceImpl
 * .batchResendDlqMessage → consumeMessageDirectly to a client of the group).
 */
export async function resendDeadLetter(env: Env, group: string, msgId: string): Promise<ResendResult> {
  if (decodeMessageId(msgId).topic !== dlqTopic(group)) {
    throw new FlareError('INVALID_REQUEST', `message ${msgId} is not in ${dlqTopic(group)}`);
  }
  const { stored } = await readMessage(env, msgId);
  const { [PROPERTY_RECONSUME_TIME]: _dropped, ...properties } = stored.properties;
  const message: NewMessage = {
    ...copyOf(stored),
    properties,
    reconsumeTimes: 0,
    bornTimestamp: Date.now(),
    uniqueKey: newUniqueKey(),
  };
  const topic = await ensureRetryTopic(env, group);
  const [result] = (await send(env, { topic, batch: false, messages: [message] })) as SendResult[];
  log.info('a dead letter was sent back to its group', { group, msgId, topic, resentMsgId: result!.msgId });
  return { group, resentFrom: msgId, ...result! };
}
