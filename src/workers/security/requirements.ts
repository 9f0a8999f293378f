/**
 * The vocabulary of what a REST route needs (RocketMQ ACL semantics): sending
 * needs PUB on the topic; consuming needs SUB on the topic and the group;
 * administration needs an admin account. Each route says which in its
 * declaration (`need`, ../api/declare.ts), a required field, so no route is
 * served before someone says what it needs; a path no route declares needs admin.
 */
import { PUB, SUB, type Requirement } from '../../core/acl';
import { decodeMessageId } from '../../core/msg-id';
import { validateGroup, validateTopic } from '../../core/names';
import { parseReceiptHandle } from '../../core/receipt-handle';

/** `public`: no signature needed; `authenticated`: any account; else a requirement to check. */
export type Need = 'public' | 'authenticated' | Requirement;

export interface NeedInput {
  params: Record<string, string>;
  /** A query parameter, decoded as the routes decode it (Hono's `c.req.query`): one decoding for the rule and the route. */
  query: (name: string) => string | undefined;
  /** The parsed JSON body, when there is one that parses. */
  body: unknown;
}

const topicOf = (decode: (s: string) => { topic: string }, s: string): string | undefined => {
  try {
    return decode(s).topic;
  } catch {
    return undefined; // the route answers the malformed handle
  }
};

export const field = (body: unknown, name: string): unknown =>
  typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)[name]
    : undefined;

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

export const onTopic =
  (perm: number, action: string) =>
  ({ params }: NeedInput): Requirement => ({ action, topics: [{ name: params.topic, perm }] });

export const byHandle =
  (decode: (s: string) => { topic: string }, param: string, action: string) =>
  ({ params }: NeedInput): Need => {
    const topic = topicOf(decode, params[param]);
    return topic === undefined ? 'authenticated' : { action, topics: [{ name: topic, perm: PUB }] };
  };

export const consumer =
  (action: string, topics: (i: NeedInput) => { name: string; perm: number }[] = () => []) =>
  (input: NeedInput): Requirement => ({
    action,
    groups: [{ name: input.params.group, perm: SUB }],
    topics: topics(input),
  });

/** Path parameters that name a topic or a group: validated before any rule reads them. */
const NAME_PARAMS: Record<string, (name: unknown) => string> = {
  topic: validateTopic,
  group: validateGroup,
  producerGroup: validateGroup,
};

/** Validates the names a route's path carries (INVALID_TOPIC_NAME, INVALID_GROUP_NAME), before any requirement reads them. */
export function validateNames(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) NAME_PARAMS[name]?.(value);
}
