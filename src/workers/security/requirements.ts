/**
 * What each REST route needs (RocketMQ ACL semantics): sending needs PUB on
 * the topic; consuming needs SUB on the topic and the group; administration
 * needs an admin account. A route missing from this table needs admin, so a
 * new route is closed until someone says what it needs.
 */
import { tryDecodeURIComponent } from 'hono/utils/url';
import { PUB, SUB, type Requirement } from '../../core/acl';
import { decodeMessageId } from '../../core/msg-id';
import { validateGroup, validateTopic } from '../../core/names';
import { parseReceiptHandle } from '../../core/receipt-handle';
import { decodeTransactionHandle } from '../../core/transaction-handle';

/** `public`: no signature needed; `authenticated`: any account; else a requirement to check. */
export type Need = 'public' | 'authenticated' | Requirement;

export interface NeedInput {
  params: Record<string, string>;
  /** A query parameter, decoded as the routes decode it (Hono's `c.req.query`): one decoding for the rule and the route. */
  query: (name: string) => string | undefined;
  /** The parsed JSON body, when there is one that parses. */
  body: unknown;
}

type Rule = [method: string, pattern: string, need: Need | ((input: NeedInput) => Need)];

const topicOf = (decode: (s: string) => { topic: string }, s: string): string | undefined => {
  try {
    return decode(s).topic;
  } catch {
    return undefined; // the route answers the malformed handle
  }
};

export const field = (body: unknown, name: string): unknown =>
  typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;

/** A body field naming a topic: validated and checked when it is a string (the route refuses anything else). */
export const bodyTopics = (body: unknown, perm: number) => {
  const t = field(body, 'topic');
  return typeof t === 'string' ? [{ name: validateTopic(t), perm }] : [];
};

/**
 * SUB on the topic a message id names (ids are self-locating and can be
 * forged: the group of the path says nothing about the message). A malformed
 * id needs nothing more: the route answers INVALID_MESSAGE_ID.
 */
export const messageIdTopics = (msgId: unknown) => {
  const topic = typeof msgId === 'string' ? topicOf(decodeMessageId, msgId) : undefined;
  return topic === undefined ? [] : [{ name: topic, perm: SUB }];
};

/** SUB on the topics receipt handles name (the route refuses malformed ones). */
export const receiptHandleTopics = (handles: unknown) =>
  (Array.isArray(handles) ? handles : [handles]).flatMap((h) => {
    const topic = typeof h === 'string' ? parseReceiptHandle(h)?.topic : undefined;
    return topic === undefined ? [] : [{ name: topic, perm: SUB }];
  });

export const admin = (action: string): Requirement => ({ admin: true, action });

export const onTopic = (perm: number, action: string) => ({ params }: NeedInput): Requirement => ({ action, topics: [{ name: params.topic, perm }] });

export const byHandle = (decode: (s: string) => { topic: string }, param: string, action: string) => ({ params }: NeedInput): Need => {
  const topic = topicOf(decode, params[param]);
  return topic === undefined ? 'authenticated' : { action, topics: [{ name: topic, perm: PUB }] };
};

export const consumer = (action: string, topics: (i: NeedInput) => { name: string; perm: number }[] = () => []) => (input: NeedInput): Requirement => ({
  action,
  groups: [{ name: input.params.group, perm: SUB }],
  topics: topics(input),
});

const RULES: Rule[] = [
  ['GET', '/openapi.json', 'public'],
  ['GET', '/topics', 'authenticated'],
  ['PUT', '/topics/:topic', admin('creating or updating a topic')],
  ['DELETE', '/topics/:topic', admin('deleting a topic')],
  ['GET', '/topics/:topic/route', 'authenticated'],
  ['GET', '/topics/:topic/status', 'authenticated'],
  ['GET', '/topics/:topic/stats', 'authenticated'],
  ['GET', '/cluster', 'authenticated'],
  ['GET', '/brokers', 'authenticated'],
  ['GET', '/brokers/:brokerName/replication', 'authenticated'],
  ['PUT', '/brokers/:brokerName/fault', admin('fault injection')],
  ['GET', '/groups', 'authenticated'],
  ['PUT', '/groups/:group', admin('configuring a group')],
  ['GET', '/groups/:group', consumer('reading a group')],
  ['GET', '/groups/:group/lag', consumer('reading lag')],
  ['GET', '/groups/:group/offsets', consumer('reading offsets', ({ query }) => (query('topic') !== undefined ? [{ name: validateTopic(query('topic')), perm: SUB }] : []))],
  ['PUT', '/groups/:group/offsets', consumer('committing offsets', ({ body }) => bodyTopics(body, SUB))],
  ['POST', '/groups/:group/offsets/reset', admin('resetting offsets')],
  ['POST', '/groups/:group/offsets/skip', admin('skipping offsets')],
  ['POST', '/groups/:group/members/:clientId/heartbeat', consumer('joining a group', ({ body }) => {
    const subs = field(body, 'subscriptions');
    return Array.isArray(subs) ? subs.flatMap((s) => bodyTopics(s, SUB)) : [];
  })],
  ['DELETE', '/groups/:group/members/:clientId', consumer('leaving a group')],
  ['GET', '/groups/:group/members/:clientId/queues/:topic/:brokerName/:queueId/messages', consumer('pulling', ({ params }) => [{ name: params.topic, perm: SUB }])],
  ['PUT', '/groups/:group/members/:clientId/queues/:topic/:brokerName/:queueId/lock', consumer('renewing a queue lock', ({ params }) => [{ name: params.topic, perm: SUB }])],
  ['DELETE', '/groups/:group/members/:clientId/queues/:topic/:brokerName/:queueId/lock', consumer('unlocking a queue', ({ params }) => [{ name: params.topic, perm: SUB }])],
  ['PUT', '/groups/:group/members/:clientId/offsets', consumer('committing offsets', ({ body }) => bodyTopics(body, SUB))],
  // The id's topic whether the original or the consumer's copy (`message`) is sent back: the copy goes to the group's own topics only.
  ['POST', '/groups/:group/retry', consumer('sending a message back', ({ body }) => messageIdTopics(field(body, 'msgId')))],
  ['GET', '/groups/:group/dlq', consumer('reading dead letters')],
  ['POST', '/groups/:group/dlq/:msgId/resend', admin('resending a dead letter')],
  ['POST', '/groups/:group/pop', consumer('popping', ({ body }) => bodyTopics(body, SUB))],
  ['POST', '/groups/:group/ack', consumer('acking', ({ body }) => receiptHandleTopics(field(body, 'receiptHandles')))],
  ['POST', '/groups/:group/invisible', consumer('changing invisibility', ({ body }) => receiptHandleTopics(field(body, 'receiptHandle')))],
  ['GET', '/transactions/:handle', byHandle(decodeTransactionHandle, 'handle', 'reading a transaction')],
  ['POST', '/transactions/:handle/commit', byHandle(decodeTransactionHandle, 'handle', 'committing a transaction')],
  ['POST', '/transactions/:handle/rollback', byHandle(decodeTransactionHandle, 'handle', 'rolling back a transaction')],
  ['PUT', '/producer-groups/:producerGroup', admin('configuring a producer group')],
  // The check URL (a token often lives in it) is the admin's configuration.
  ['GET', '/producer-groups/:producerGroup', admin('reading a producer group')],
  ['POST', '/producer-groups/:producerGroup/half-messages/pop', ({ body }) => ({ action: 'checking half messages', topics: bodyTopics(body, PUB) })],
  // Bodies of discarded transactions: all of them for an admin; those of one topic (?topic=) with PUB on it, as the half-message pop.
  ['GET', '/producer-groups/:producerGroup/discarded', ({ query }) => {
    const topic = query('topic');
    return topic === undefined ? admin('listing every discarded transaction of a producer group (or give ?topic= with PUB on it)') : { action: 'listing discarded transactions', topics: [{ name: validateTopic(topic), perm: PUB }] };
  }],
];

interface Compiled {
  method: string;
  regex: RegExp;
  names: string[];
  need: Rule[2];
}

const COMPILED: Compiled[] = RULES.map(([method, pattern, need]) => {
  const names: string[] = [];
  const source = pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { method, regex: new RegExp(`^${source}/?$`), names, need };
});

/** Path parameters that name a topic or a group: validated before any rule reads them. */
const NAME_PARAMS: Record<string, (name: unknown) => string> = { topic: validateTopic, group: validateGroup, producerGroup: validateGroup };

/** Validates the names a route's path carries (INVALID_TOPIC_NAME, INVALID_GROUP_NAME), before any requirement reads them. */
export function validateNames(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) NAME_PARAMS[name]?.(value);
}

/** Routes declared with ../api/declare.ts, whose gate is their own middleware (transitional: until RULES is empty). */
const DECLARED: { method: string; regex: RegExp }[] = [];

/** Marks a declared route (its OpenAPI path template), so that the transitional gate leaves it to its own. */
export function markDeclared(method: string, template: string): void {
  DECLARED.push({ method: method.toUpperCase(), regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`) });
}

export function isDeclared(method: string, path: string): boolean {
  const m = method === 'HEAD' ? 'GET' : method;
  return DECLARED.some((d) => d.method === m && d.regex.test(path));
}

/**
 * What a request to `path` (under /api/v1, as Hono's getPath gives it) needs. Unknown routes need admin.
 * Names are validated first (INVALID_TOPIC_NAME, INVALID_GROUP_NAME): the ACL only ever sees names a route accepts.
 */
export function requirementOf(method: string, path: string, query: (name: string) => string | undefined, body: unknown): Need {
  const m = method === 'HEAD' ? 'GET' : method;
  for (const rule of COMPILED) {
    if (rule.method !== m) continue;
    const match = rule.regex.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    rule.names.forEach((name, i) => (params[name] = tryDecodeURIComponent(match[i + 1])));
    validateNames(params);
    return typeof rule.need === 'function' ? rule.need({ params, query, body }) : rule.need;
  }
  return admin(`${m} ${path.slice(0, 100)}`);
}
