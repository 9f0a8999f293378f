import { encodeBody } from '../../core/body';
import { FlareError } from '../../core/errors';
import { MASTER_ID, allQueues } from '../../core/route';
import { decodeTimerHandle, encodeTimerHandle, type TimerLocation } from '../../core/timer-handle';
import type { Env } from '../../env';
import { declareRoute, router } from '../api/declare';
import { BodyEncodingQuery, BrokerName, TopicName, json, z } from '../api/fields';
import { MessageContent, TimerHandle, millis } from '../api/models';
import { queueStub, requireRoute } from '../../services/cluster';
import { onReadableCopy } from '../../services/replica-reads';
import { byHandle } from '../security/requirements';

/** Pending delayed messages, by the timer handle a delayed send returned: read one, cancel one. */
export const timers = router();

const notPending = (handle: string, why = 'it was delivered or cancelled') =>
  new FlareError('TIMER_NOT_FOUND', `timer ${handle} is not pending: ${why}`);

/** The handle's queue object: the handle names it, so this is one call to one object. */
async function timerQueue(env: Env, loc: TimerLocation) {
  const handle = encodeTimerHandle(loc);
  if (loc.brokerId !== MASTER_ID)
    throw notPending(handle, `it names brokerId ${loc.brokerId}; timers are held by masters (brokerId 0)`);
  const route = await requireRoute(env, loc.topic);
  if (!allQueues(route).some((q) => q.brokerName === loc.brokerName && q.queueId === loc.queueId)) {
    throw notPending(handle, `topic '${loc.topic}' has no queue ${loc.brokerName}/${loc.queueId} now`);
  }
  return { loc, handle, route, stub: queueStub(env, loc.topic, loc.brokerName, loc.queueId) };
}

const tags = ['messages'];
const TimerPath = z.object({
  timerHandle: TimerHandle.transform((h) => decodeTimerHandle(h)).openapi({
    description: 'A timerHandle from a delayed send (any case).',
  }),
});
const where = { topic: TopicName, brokerName: BrokerName, queueId: z.number().int().min(0) };
const found = [
  'INVALID_TIMER_HANDLE',
  'TOPIC_NOT_EXIST',
  'TIMER_NOT_FOUND',
  'BROKER_UNAVAILABLE',
  'NAMESERVER_UNAVAILABLE',
] as const;

declareRoute(
  timers,
  {
    method: 'get',
    path: '/timers/{timerHandle}',
    operationId: 'getTimer',
    tags,
    summary: 'Read a pending delayed message',
    description:
      "The handle names its queue, so this is one lookup. TIMER_NOT_FOUND once the message was delivered (find it by uniqueKey then) or cancelled. While the queue's master does not answer, a slave answers from its copy of the timers.",
    need: byHandle(decodeTimerHandle, 'timerHandle', 'reading a timer'),
    request: { params: TimerPath, query: z.object({ bodyEncoding: BodyEncodingQuery }) },
    responses: {
      200: json(
        MessageContent.extend({
          timerHandle: TimerHandle,
          ...where,
          deliverAt: millis('When the message becomes due'),
          scheduledAt: millis('When it was sent'),
        }).openapi('TimerView'),
        'The pending message and when it is due.',
      ),
    },
    errors: [...found, 'INVALID_REQUEST'],
  },
  async (c, { params, query: { bodyEncoding } }) => {
    const { loc, handle, route } = await timerQueue(c.env, params.timerHandle);
    // The master's copy, or a slave's while the master does not answer (it holds the timers too: queue/state-replication.ts).
    const timer = await onReadableCopy(c.env, route, loc.topic, loc.brokerName, loc.queueId, (stub) =>
      stub.getTimer(loc.timerId),
    );
    if (!timer) throw notPending(handle);
    const m = timer.message;
    return c.json({
      timerHandle: handle,
      topic: loc.topic,
      brokerName: loc.brokerName,
      queueId: loc.queueId,
      deliverAt: timer.deliverAt,
      scheduledAt: timer.scheduledAt,
      tags: m.tags,
      keys: m.keys.join(' '),
      properties: m.properties,
      ...encodeBody(m.body, bodyEncoding),
      bornTimestamp: m.bornTimestamp,
      uniqueKey: m.uniqueKey,
      reconsumeTimes: m.reconsumeTimes,
    });
  },
);

declareRoute(
  timers,
  {
    method: 'delete',
    path: '/timers/{timerHandle}',
    operationId: 'cancelTimer',
    tags,
    summary: 'Cancel a pending delayed message',
    description: 'The message is never delivered. TIMER_NOT_FOUND when it was already delivered or cancelled.',
    need: byHandle(decodeTimerHandle, 'timerHandle', 'cancelling a timer'),
    request: { params: TimerPath },
    responses: {
      200: json(
        z
          .object({
            cancelled: z.literal(true),
            timerHandle: TimerHandle,
            deliverAt: millis('When the message would have been due'),
            uniqueKey: z.string(),
            ...where,
          })
          .openapi('TimerCancelled'),
        'Cancelled.',
      ),
    },
    errors: found,
  },
  async (c, { params }) => {
    const { loc, handle, stub } = await timerQueue(c.env, params.timerHandle);
    const timer = await stub.cancelTimer(loc.timerId);
    if (!timer) throw notPending(handle);
    return c.json({
      cancelled: true,
      timerHandle: handle,
      deliverAt: timer.deliverAt,
      uniqueKey: timer.message.uniqueKey,
      topic: loc.topic,
      brokerName: loc.brokerName,
      queueId: loc.queueId,
    });
  },
);
