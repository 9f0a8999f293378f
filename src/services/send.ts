import { FlareError } from '../core/errors';
import { errorOf, type Outcome } from '../core/outcome';
import type { SendRequest } from '../core/message';
import { messageIdsOf } from '../core/msg-id';
import { encodeTimerHandle } from '../core/timer-handle';
import { isWritable } from '../core/perm';
import { PROPERTY_SHARDING_KEY } from '../core/system-properties';
import { selectByShardingKey, selectRoundRobin, type QueueId } from '../core/queue-selector';
import { MASTER_ID, writableQueues, type TopicRoute } from '../core/route';
import { topicSpec } from '../core/topic-config';
import type { Env } from '../env';
import { config, createOrUpdateTopic, forgetRoute, getRoute, queueStub } from './cluster';
import { sendFaults } from './latency-faults';
import type { DelayedSendResult, SendResult } from '../core/send-result';
import { log } from '../log';

export type { DelayedSendResult, SendResult, SendStatus } from '../core/send-result';

/**
 * The request's messages, each with the sharding key in its `__SHARDINGKEY`
 * property when the send has one (RocketMQ keeps it there too), so that
 * ordered pop and the HTTP protocol can read a message's key.
 */
export function withShardingKey(req: SendRequest): SendRequest['messages'] {
  if (req.shardingKey === undefined) return req.messages;
  return req.messages.map((m) => ({
    ...m,
    properties: { ...m.properties, [PROPERTY_SHARDING_KEY]: req.shardingKey! },
  }));
}

/** Retries of a failed round-robin send on another broker group, as RocketMQ's retryTimesWhenSendFailed. */
export const SEND_RETRIES = 2;

const counters = new Map<string, number>();

function nextCounter(topic: string): number {
  const n = (counters.get(topic) ?? Math.floor(Math.random() * 1024)) + 1;
  counters.set(topic, n);
  return n;
}

export async function routeForSend(env: Env, topic: string): Promise<TopicRoute> {
  const route = await getRoute(env, topic);
  if (route) return route;
  if (!config(env).autoCreateTopicEnable) {
    throw new FlareError(
      'TOPIC_NOT_EXIST',
      `topic '${topic}' does not exist and autoCreateTopicEnable is off; create it with PUT /api/v1/topics/${topic}`,
    );
  }
  return createOrUpdateTopic(env, topic, topicSpec({}, config(env).defaultTopicQueueNums));
}

export function pickQueue(route: TopicRoute, req: SendRequest, avoid: Set<string>): QueueId {
  const writable = writableQueues(route);
  if (req.queue) {
    const { brokerName, queueId } = req.queue;
    if (writable.some((q) => q.brokerName === brokerName && q.queueId === queueId)) return req.queue;
    const data = route.queueDatas.find((q) => q.brokerName === brokerName);
    if (!data || queueId >= Math.max(data.readQueueNums, data.writeQueueNums)) {
      throw new FlareError('QUEUE_NOT_EXIST', `topic '${req.topic}' has no queue ${brokerName}/${queueId}`);
    }
    if (!isWritable(data.perm) || queueId >= data.writeQueueNums) {
      throw new FlareError('NO_PERMISSION', `queue ${brokerName}/${queueId} of '${req.topic}' is not writable`);
    }
    throw new FlareError('BROKER_UNAVAILABLE', `the master of broker group ${brokerName} is not alive`);
  }
  if (writable.length === 0) {
    if (!route.queueDatas.some((q) => isWritable(q.perm) && q.writeQueueNums > 0)) {
      throw new FlareError('NO_PERMISSION', `topic '${req.topic}' has no writable queue (perm)`);
    }
    throw new FlareError('BROKER_UNAVAILABLE', `no master of the broker groups hosting '${req.topic}' is alive`);
  }
  if (req.shardingKey !== undefined) return selectByShardingKey(writable, req.shardingKey);
  // Avoid the groups that failed this send and those the latency fault tolerance marks unavailable; if that leaves none, only the former.
  const avoidAlso = new Set([...avoid, ...sendFaults.unavailable(Date.now())]);
  return selectRoundRobin(
    writable,
    nextCounter(req.topic),
    writable.some((q) => !avoidAlso.has(q.brokerName)) ? avoidAlso : avoid,
  );
}

/**
 * Runs one send (`put`, answering the queue's Outcome) on the queue pickQueue
 * chooses, as RocketMQ's sendDefaultImpl: a round-robin send that its broker
 * group refuses BROKER_UNAVAILABLE (or does not answer) is retried up to
 * SEND_RETRIES times on another group, with a fresh route; an ordered or
 * explicit send is not moved, to keep its order. TOPIC_NOT_EXIST on the
 * first attempt means the cached route was stale: tried again, once. The
 * stub's watch (latency-faults.ts) times each send and reports a failed group.
 * Sends, delayed sends and half messages all go through here.
 */
export async function sendWithRetries<T>(
  env: Env,
  req: SendRequest,
  put: (stub: ReturnType<typeof queueStub>) => Promise<Outcome<T>>,
): Promise<{ value: T; queue: QueueId }> {
  const avoid = new Set<string>();
  const movable = !req.queue && req.shardingKey === undefined;
  for (let attempt = 0; ; attempt++) {
    const route = await routeForSend(env, req.topic);
    const queue = pickQueue(route, req, avoid);
    const outcome = await put(queueStub(env, req.topic, queue.brokerName, queue.queueId));
    if (outcome.ok) return { value: outcome.value, queue };
    forgetRoute(req.topic);
    if (outcome.code === 'TOPIC_NOT_EXIST' && attempt === 0) continue;
    if (outcome.code !== 'BROKER_UNAVAILABLE') throw errorOf(outcome);
    log.warn('a send failed; it is tried again unless it was the last attempt', {
      topic: req.topic,
      brokerName: queue.brokerName,
      queueId: queue.queueId,
      attempt: attempt + 1,
      code: outcome.code,
      reason: outcome.message,
    });
    if (!movable || attempt >= SEND_RETRIES) {
      throw new FlareError(
        'BROKER_UNAVAILABLE',
        `the send to broker group ${queue.brokerName} failed; nothing was reported as stored: ${outcome.message}`,
      );
    }
    avoid.add(queue.brokerName);
  }
}

/**
 * Sends a validated request: picks the queue (explicit, sharding key, or
 * round robin) and appends the whole request there atomically, retried as
 * sendWithRetries says. With a `deliverAt` in the future the queue holds the
 * messages in its timers instead, and they take their offsets when due
 * (DelayedSendResult).
 */
export async function send(env: Env, req: SendRequest): Promise<SendResult[] | DelayedSendResult[]> {
  const messages = withShardingKey(req);
  const deliverAt = req.deliverAt !== undefined && req.deliverAt > Date.now() ? req.deliverAt : undefined;
  if (deliverAt !== undefined) {
    const { value: timers, queue } = await sendWithRetries(env, req, (stub) =>
      stub.outcome.schedule(messages, deliverAt),
    );
    return timers.map(
      (t, i): DelayedSendResult => ({
        status: 'SEND_OK',
        delayed: true,
        timerHandle: encodeTimerHandle({
          topic: req.topic,
          brokerName: queue.brokerName,
          brokerId: MASTER_ID,
          queueId: queue.queueId,
          timerId: t.timerId,
        }),
        deliverAt: t.deliverAt,
        uniqueKey: req.messages[i].uniqueKey,
        topic: req.topic,
        brokerName: queue.brokerName,
        queueId: queue.queueId,
      }),
    );
  }
  const { value: put, queue } = await sendWithRetries(env, req, (stub) => stub.outcome.putMessages(messages));
  const idOf = messageIdsOf({
    topic: req.topic,
    brokerName: queue.brokerName,
    brokerId: MASTER_ID,
    queueId: queue.queueId,
  });
  return put.results.map((s, i) => ({
    status: put.status,
    msgId: idOf(s.queueOffset),
    uniqueKey: req.messages[i].uniqueKey,
    topic: req.topic,
    brokerName: queue.brokerName,
    queueId: queue.queueId,
    queueOffset: s.queueOffset,
  }));
}
