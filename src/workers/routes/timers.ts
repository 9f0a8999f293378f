import { Hono } from 'hono';
import { encodeBody, parseBodyEncoding } from '../../core/body';
import { FlareError } from '../../core/errors';
import { MASTER_ID, allQueues } from '../../core/route';
import { decodeTimerHandle, encodeTimerHandle } from '../../core/timer-handle';
import type { Env } from '../../env';
import { brokerCall, queueStub, requireRoute } from '../cluster';
import { onReadableCopy } from '../replica-reads';

/** Pending delayed messages, by the timer handle a delayed send returned: read one, cancel one. */
export const timers = new Hono<{ Bindings: Env }>();

const notPending = (handle: string, why = 'it was delivered or cancelled') => new FlareError('TIMER_NOT_FOUND', `timer ${handle} is not pending: ${why}`);

/** The handle's queue object: the handle names it, so this is one call to one object. */
async function timerQueue(env: Env, raw: string) {
  const loc = decodeTimerHandle(raw);
  const handle = encodeTimerHandle(loc);
  if (loc.brokerId !== MASTER_ID) throw notPending(handle, `it names brokerId ${loc.brokerId}; timers are held by masters (brokerId 0)`);
  const route = await requireRoute(env, loc.topic);
  if (!allQueues(route).some((q) => q.brokerName === loc.brokerName && q.queueId === loc.queueId)) {
    throw notPending(handle, `topic '${loc.topic}' has no queue ${loc.brokerName}/${loc.queueId} now`);
  }
  return { loc, handle, route, stub: queueStub(env, loc.topic, loc.brokerName, loc.queueId) };
}

timers.get('/timers/:handle', async (c) => {
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const { loc, handle, route } = await timerQueue(c.env, c.req.param('handle'));
  // The master's copy, or a slave's while the master does not answer (it holds the timers too: queue/state-replication.ts).
  const timer = await onReadableCopy(c.env, route, loc.topic, loc.brokerName, loc.queueId, (stub) => stub.getTimer(loc.timerId));
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
    ...encodeBody(m.body, encoding),
    bornTimestamp: m.bornTimestamp,
    uniqueKey: m.uniqueKey,
    reconsumeTimes: m.reconsumeTimes,
  });
});

timers.delete('/timers/:handle', async (c) => {
  const { loc, handle, stub } = await timerQueue(c.env, c.req.param('handle'));
  const timer = await brokerCall(() => stub.cancelTimer(loc.timerId));
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
});
