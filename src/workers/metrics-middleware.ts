/**
 * Times sends and pulls of the REST API. What they carry is counted where it
 * is handled, never by parsing an answer again: sends where they are stored
 * (producer.ts send()), pulls where their answer is built (routes/pull.ts,
 * routes/members.ts countPulled) and pops where they are taken (pop.ts), so
 * that every surface — the REST API, the RocketMQ HTTP protocol, retries — is
 * counted once.
 */
import type { MiddlewareHandler } from 'hono';
import { pullLatency, sendLatency } from './metrics-registry';

const SEND = /^\/api\/v1\/topics\/([^/]+)\/messages$/;
// A member's pull is timed by its declaration (routes/members.ts, metric 'pull').
const PULL = [/^\/api\/v1\/topics\/([^/]+)\/queues\/[^/]+\/\d+\/messages$/];

function topicOf(match: RegExpExecArray | null): string | null {
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
}

export const metricsMiddleware: MiddlewareHandler = async (c, next) => {
  const path = c.req.path;
  const method = c.req.method;
  const sendTopic = method === 'POST' ? topicOf(SEND.exec(path)) : null;
  const pullTopic = method === 'GET' && !sendTopic ? topicOf(PULL.map((r) => r.exec(path)).find((m) => m) ?? null) : null;
  if (!sendTopic && !pullTopic) return next();
  const started = performance.now();
  await next();
  const seconds = (performance.now() - started) / 1000;
  if (c.res.status !== 200) return;
  (sendTopic ? sendLatency : pullLatency).observe(seconds);
};
