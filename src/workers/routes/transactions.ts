import { Hono } from 'hono';
import { parseBodyEncoding } from '../../core/body';
import { FlareError } from '../../core/errors';
import { MAX_POP_WAIT_MS } from '../../core/limits';
import { DELAY_FIELDS, type SendRequest } from '../../core/message';
import { validateGroup } from '../../core/names';
import type { TransactionOptions } from '../../core/transaction';
import type { Env } from '../../env';
import { readJson } from '../request';
import {
  commitTransaction,
  configureProducerGroup,
  getHalfMessage,
  getProducerGroup,
  listDiscardedTransactions,
  popHalfMessages,
  rollbackTransaction,
  sendHalfMessage,
  toPendingHalfView,
  type HalfSendResult,
} from '../transactions';
import { intParam } from '../request';

/** Transactions by handle, and producer groups (check URL, half-message pop, discarded transactions). Logic in ../transactions.ts. */
export const transactions = new Hono<{ Bindings: Env }>();

/**
 * The transactional branch of POST /topics/{topic}/messages: one message, not
 * delayed, not oneway (the handle would be lost).
 */
export function sendTransactional(env: Env, body: Record<string, unknown>, req: SendRequest, transaction: TransactionOptions, oneway: boolean): Promise<HalfSendResult> {
  if (oneway) throw new FlareError('INVALID_REQUEST', 'a transactional send cannot be oneway: its answer carries the transaction handle');
  const delay = DELAY_FIELDS.find((f) => body[f] !== undefined && body[f] !== null);
  if (delay) throw new FlareError('INVALID_REQUEST', `a transactional message cannot be delayed (${delay})`);
  return sendHalfMessage(env, { request: req, transaction });
}

async function objectBody(c: Parameters<typeof readJson>[0], emptyAs?: unknown): Promise<Record<string, unknown>> {
  const body = await readJson(c, emptyAs);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

transactions.get('/transactions/:transactionHandle', async (c) => {
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  return c.json(toPendingHalfView(await getHalfMessage(c.env, { transactionHandle: c.req.param('transactionHandle') }), encoding));
});

transactions.post('/transactions/:transactionHandle/commit', async (c) => c.json(await commitTransaction(c.env, { transactionHandle: c.req.param('transactionHandle') })));

transactions.post('/transactions/:transactionHandle/rollback', async (c) => c.json(await rollbackTransaction(c.env, { transactionHandle: c.req.param('transactionHandle') })));

transactions.put('/producer-groups/:producerGroup', async (c) => {
  const group = validateGroup(c.req.param('producerGroup'));
  const raw = await objectBody(c);
  if (!('checkUrl' in raw)) throw new FlareError('INVALID_REQUEST', 'checkUrl is required: an http(s) URL, or null to remove it');
  return c.json(await configureProducerGroup(c.env, { group, checkUrl: raw.checkUrl, checkSecret: raw.checkSecret }));
});

transactions.get('/producer-groups/:producerGroup', async (c) => c.json(await getProducerGroup(c.env, { group: c.req.param('producerGroup') })));

transactions.post('/producer-groups/:producerGroup/half-messages/pop', async (c) => {
  const producerGroup = validateGroup(c.req.param('producerGroup'));
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const raw = await objectBody(c);
  if (raw.waitMs !== undefined && (!Number.isSafeInteger(raw.waitMs) || (raw.waitMs as number) < 0 || (raw.waitMs as number) > MAX_POP_WAIT_MS)) {
    throw new FlareError('INVALID_REQUEST', `waitMs must be an integer from 0 to ${MAX_POP_WAIT_MS}`);
  }
  const result = await popHalfMessages(c.env, {
    producerGroup,
    topic: raw.topic as string,
    maxMessages: raw.maxMessages as number | undefined,
    invisibleMs: raw.invisibleMs as number | undefined,
    waitMs: raw.waitMs as number | undefined,
  });
  return c.json({ producerGroup, topic: raw.topic, messages: result.messages.map((m) => ({ ...toPendingHalfView(m, encoding), receiptHandle: m.transactionHandle })) });
});

transactions.get('/producer-groups/:producerGroup/discarded', async (c) => {
  const bodyEncoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const maxMessages = intParam(c.req.query('maxMessages'), 'maxMessages', { min: 1, max: 1000, fallback: 32 });
  return c.json(await listDiscardedTransactions(c.env, { group: c.req.param('producerGroup'), topic: c.req.query('topic'), maxMessages, bodyEncoding }));
});
