import { Hono } from 'hono';
import { parseBodyEncoding } from '../../core/body';
import { FlareError } from '../../core/errors';
import { MAX_POP_WAIT_MS } from '../../core/limits';
import { validateGroup } from '../../core/names';
import type { Env } from '../../env';
import { ackMessages, changeInvisibleDuration, popMessages, toPoppedMessageView } from '../pop';
import { readJson } from '../request';

/** Pop consumption (RocketMQ 5's SimpleConsumer): receive, ack, change invisibility. Logic in ../pop.ts. */
export const pop = new Hono<{ Bindings: Env }>();

async function objectBody(c: Parameters<typeof readJson>[0]): Promise<Record<string, unknown>> {
  const body = await readJson(c);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

pop.post('/groups/:group/pop', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const raw = await objectBody(c);
  if (raw.waitMs !== undefined && (!Number.isSafeInteger(raw.waitMs) || (raw.waitMs as number) < 0 || (raw.waitMs as number) > MAX_POP_WAIT_MS)) {
    throw new FlareError('INVALID_REQUEST', `waitMs must be an integer from 0 to ${MAX_POP_WAIT_MS}`);
  }
  const result = await popMessages(c.env, {
    group,
    topic: raw.topic as string,
    expression: raw.expression as string | undefined,
    maxMessages: raw.maxMessages as number | undefined,
    invisibleMs: raw.invisibleMs as number | undefined,
    waitMs: raw.waitMs as number | undefined,
    orderly: raw.orderly as boolean | undefined,
  });
  return c.json({ group, topic: raw.topic, messages: result.messages.map((m) => toPoppedMessageView(m, encoding)) });
});

pop.post('/groups/:group/ack', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const raw = await objectBody(c);
  const results = await ackMessages(c.env, { group, receiptHandles: raw.receiptHandles as string[] });
  return c.json({ group, acked: results.filter((r) => r.acked).length, results });
});

pop.post('/groups/:group/invisible', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const raw = await objectBody(c);
  const result = await changeInvisibleDuration(c.env, { group, receiptHandle: raw.receiptHandle as string, invisibleMs: raw.invisibleMs as number });
  return c.json({ group, ...result });
});
