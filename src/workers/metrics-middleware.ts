/**
 * Counts sends and pulls of the REST API as they finish: messages and bytes
 * per topic, and their latency. Reads only what the request and answer
 * already hold (the content length, the answer's results or messages).
 */
import type { MiddlewareHandler } from 'hono';
import { countIn, countOut, pullLatency, sendLatency } from './metrics-registry';

const SEND = /^\/api\/v1\/topics\/([^/]+)\/messages$/;
const POP = /^\/api\/v1\/groups\/[^/]+\/pop$/;
const PULL = [/^\/api\/v1\/topics\/([^/]+)\/queues\/[^/]+\/\d+\/messages$/, /^\/api\/v1\/groups\/[^/]+\/members\/[^/]+\/queues\/([^/]+)\/[^/]+\/\d+\/messages$/];

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
  const pop = method === 'POST' && POP.test(path);
  if (!sendTopic && !pullTopic && !pop) return next();
  const started = performance.now();
  await next();
  const seconds = (performance.now() - started) / 1000;
  if (c.res.status !== 200) return;
  try {
    if (sendTopic) {
      sendLatency.observe(seconds);
      const answer = (await c.res.clone().json()) as { results?: unknown[] };
      countIn(sendTopic, Array.isArray(answer.results) ? answer.results.length : 1, Number(c.req.header('content-length') ?? 0));
    } else {
      pullLatency.observe(seconds);
      const answer = (await c.res.clone().json()) as { messages?: { topic?: string; body?: string }[] };
      for (const m of answer.messages ?? []) {
        // A pop answers messages of several topics (and its retry topic): count each under its own.
        const topic = pullTopic ?? m.topic;
        if (topic) countOut(topic, 1, m.body?.length ?? 0);
      }
    }
  } catch {
    // an answer that is not the JSON expected is not counted
  }
};
