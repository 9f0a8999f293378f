/**
 * Times sends and pulls of the REST API. What they carry is counted where it
 * is handled, never by parsing an answer again: sends where they are stored
 * (producer.ts send()), pulls where their answer is built (routes/pull.ts,
 * routes/members.ts countPulled) and pops where they are taken (pop.ts), so
 * that every surface — the REST API, the RocketMQ HTTP protocol, retries — is
 * counted once.
 */
import type { MiddlewareHandler } from 'hono';
import { pullLatency } from './metrics-registry';

// Sends and topic pulls are timed by their declarations (api/declare.ts `metric`); member pulls here until theirs is declared.
const PULL = [/^\/api\/v1\/groups\/[^/]+\/members\/[^/]+\/queues\/([^/]+)\/[^/]+\/\d+\/messages$/];

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
  const pullTopic = method === 'GET' ? topicOf(PULL.map((r) => r.exec(path)).find((m) => m) ?? null) : null;
  if (!pullTopic) return next();
  const started = performance.now();
  await next();
  const seconds = (performance.now() - started) / 1000;
  if (c.res.status !== 200) return;
  pullLatency.observe(seconds);
};
