import { FlareError } from '../core/errors';
import { dlqTopic, retryTopic } from '../core/group-config';
import type { NewMessage, StoredMessage } from '../core/message';
import { decodeMessageId, newUniqueKey, type MessageLocation } from '../core/msg-id';
import { PERM_READ_WRITE } from '../core/perm';
import { MASTER_ID, allQueues } from '../core/route';
import type { Env } from '../env';
import { brokerCall, config, createOrUpdateTopic, getRoute, groupStub, queueStub, requireRoute } from './cluster';
import { send, type DelayedSendResult, type SendResult } from './producer';

/** Properties a retried message carries (RocketMQ's names). */
export const PROPERTY_ORIGIN_MESSAGE_ID = 'ORIGIN_MESSAGE_ID';
export const PROPERTY_RETRY_TOPIC = 'RETRY_TOPIC';
export const PROPERTY_RECONSUME_TIME = 'RECONSUME_TIME';

/** The fields of a stored message that make a new one. */
export function copyOf(m: StoredMessage): NewMessage {
  return { body: m.body, tags: m.tags, keys: m.keys, properties: m.properties, bornTimestamp: m.bornTimestamp, uniqueKey: m.uniqueKey, reconsumeTimes: m.reconsumeTimes };
}

/** Reads a message by id, or MESSAGE_NOT_FOUND. */
export async function readMessage(env: Env, msgId: string): Promise<{ loc: MessageLocation; stored: StoredMessage }> {
  const loc = decodeMessageId(msgId);
  const route = await requireRoute(env, loc.topic);
  if (loc.brokerId !== MASTER_ID || !allQueues(route).some((q) => q.brokerName === loc.brokerName && q.queueId === loc.queueId)) {
    throw new FlareError('MESSAGE_NOT_FOUND', `message ${msgId} is not in a queue of topic '${loc.topic}'`);
  }
  const stored = await brokerCall(() => queueStub(env, loc.topic, loc.brokerName, loc.queueId).get(loc.queueOffset));
  if (!stored) throw new FlareError('MESSAGE_NOT_FOUND', `message ${msgId} not found`);
  return { loc, stored };
}

/** Creates a retry or dead-letter topic (one queue per broker group) unless it exists; true when it was created. */
export async function ensureGroupTopic(env: Env, topic: string): Promise<boolean> {
  if (await getRoute(env, topic)) return false;
  await createOrUpdateTopic(env, topic, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_READ_WRITE });
  return true;
}

/** Creates the group's retry topic unless it exists (the group then rebalances, so that its members consume it); its name. */
async function ensureRetryTopic(env: Env, group: string): Promise<string> {
  const topic = retryTopic(group);
  if (await ensureGroupTopic(env, topic)) await brokerCall(() => groupStub(env, group).refresh());
  return topic;
}

export interface SendBackArgs {
  group: string;
  /** The failed message's id and what its queue stores. */
  msgId: string;
  message: StoredMessage;
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
  const originTopic = stored.properties[PROPERTY_RETRY_TOPIC] ?? decodeMessageId(msgId).topic;
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
  return { status: toDlq ? 'DLQ' : 'RETRY', topic, reconsumeTimes, delayLevel: toDlq ? undefined : level, deliverAt, result };
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
  const message: NewMessage = { ...copyOf(stored), properties, reconsumeTimes: 0, bornTimestamp: Date.now(), uniqueKey: newUniqueKey() };
  const topic = await ensureRetryTopic(env, group);
  const [result] = (await send(env, { topic, batch: false, messages: [message] })) as SendResult[];
  return { group, resentFrom: msgId, ...result! };
}
