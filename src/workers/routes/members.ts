import { Hono, type Context } from 'hono';
import { parseBodyEncoding } from '../../core/body';
import { FlareError } from '../../core/errors';
import { offsetKeyOf, parseGroupConfigPatch, startFromOf, validateClientId, type Subscription } from '../../core/group-config';
import { DEFAULT_PULL_MESSAGES, MAX_PULL_MESSAGES, MAX_PULL_WAIT_MS, MAX_QUEUE_ID } from '../../core/limits';
import { messageViews } from '../../core/message';
import { validateBrokerName, validateGroup, validateTopic } from '../../core/names';
import { MASTER_ID, requireReadableQueue } from '../../core/route';
import { parseTagExpression } from '../../core/tag-filter';
import type { MemberView, TopicView } from '../../durable-objects/consumer-group';
import type { Env } from '../../env';
import { brokerCall, groupStub, queueStub, requireRoute } from '../cluster';
import { createRetryTopicQuietly } from '../dead-letters';
import { onMaster, onReadableCopy, type QueueCopy } from '../replica-reads';
import { boolParam, intParam, readJson } from '../request';
import { commitOffsets, parseCommitRequest } from './offsets';
import { countPulled } from '../metrics-registry';

/** Most subscriptions one member may have. */
export const MAX_SUBSCRIPTIONS = 64;

/** The consumer-group member protocol: heartbeat, leave, pull, commit, lock renewal and unlock (docs/consuming.md). */
export const members = new Hono<{ Bindings: Env }>();

/** The path of a member's routes. */
export const memberPath = '/groups/:group/members/:clientId';

function parseSubscriptions(raw: unknown): Subscription[] {
  if (!Array.isArray(raw) || raw.length > MAX_SUBSCRIPTIONS) {
    throw new FlareError('INVALID_REQUEST', `subscriptions must be an array of at most ${MAX_SUBSCRIPTIONS} {topic, expression}`);
  }
  const seen = new Set<string>();
  return raw.map((s, i) => {
    if (typeof s !== 'object' || s === null) throw new FlareError('INVALID_REQUEST', `subscriptions[${i}] must be {topic, expression}`);
    const { topic, expression } = s as Record<string, unknown>;
    validateTopic(topic);
    if (seen.has(topic as string)) throw new FlareError('INVALID_REQUEST', `subscriptions names topic ${String(topic)} twice`);
    seen.add(topic as string);
    if (expression !== undefined && typeof expression !== 'string') throw new FlareError('INVALID_TAG_EXPRESSION', `subscriptions[${i}].expression must be a string`);
    parseTagExpression(expression as string | undefined);
    return { topic: topic as string, expression: ((expression as string | undefined) ?? '*').trim() || '*' };
  });
}

/** Where a member's offsets live: the group's in clustering, its instance's own in broadcasting. */
export const offsetKey = (group: string, view: MemberView & { instanceName: string }): string => offsetKeyOf(group, view.config.messageModel, view.instanceName);

/** A commit for a generation older than the topic's last offset reset is refused (the queue object checks it again, atomically). */
export function refuseStale(view: TopicView, topic: string, generation: number | undefined): void {
  if (generation !== undefined && generation < view.resetGeneration) {
    throw new FlareError(
      'GENERATION_STALE',
      `the group's offsets of ${topic} were reset in generation ${view.resetGeneration}, after your generation ${generation}; heartbeat and pull without offset to continue from the reset`,
    );
  }
}

/** The group's generation now; `known` if the group cannot be read (the pull still answers). */
async function currentGeneration(env: Env, group: string, known: number): Promise<number> {
  try {
    return Math.max(known, (await groupStub(env, group).view()).generation);
  } catch {
    return known;
  }
}

export function memberParams(params: Record<string, string>) {
  return { group: validateGroup(params.group), clientId: validateClientId(params.clientId) };
}

members.post(`${memberPath}/heartbeat`, async (c) => {
  const { group, clientId } = memberParams(c.req.param());
  const body = await readJson(c, {});
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object');
  const raw = body as Record<string, unknown>;
  const subscriptions = parseSubscriptions(raw.subscriptions ?? []);
  const patch = parseGroupConfigPatch(raw);
  const instanceName = raw.instanceName === undefined || raw.instanceName === null ? undefined : validateClientId(raw.instanceName, 'instanceName');
  const beat = () => brokerCall(() => groupStub(c.env, group).heartbeat(group, clientId, subscriptions, patch, instanceName));
  const assignment = await beat();
  // A CLUSTERING group consumes its retry topic: create it now, so that its queues are assigned in this answer rather
  // than after the first send-back and another heartbeat (RocketMQ: ClientManageProcessor.heartBeat).
  if (assignment.messageModel === 'CLUSTERING' && (await createRetryTopicQuietly(c.env, group))) return c.json(await beat());
  return c.json(assignment);
});

members.delete(memberPath, async (c) => {
  const { group, clientId } = memberParams(c.req.param());
  const releaseLocks = boolParam(c.req.query('releaseLocks'), 'releaseLocks', true);
  const left = await brokerCall(() => groupStub(c.env, group).leave(clientId));
  if (!left.removed) throw new FlareError('MEMBER_NOT_FOUND', `${clientId} is not a member of group ${group}`);
  // Hand the queues over at once rather than after the locks expire (they live on the masters only),
  // unless the member keeps them until its handlers end (it renews and releases them itself).
  if (releaseLocks) await Promise.allSettled(left.queues.map((q) => queueStub(c.env, q.topic, q.brokerName, q.queueId).unlock(group, clientId)));
  return c.json({ group, clientId, left: true });
});

/** Where a member's read starts, and what it commits first (a pull's and a stream's query). */
export function startParams(query: Record<string, string | undefined>) {
  const optional = (name: string, code?: 'INVALID_OFFSET') => (query[name] === undefined ? undefined : intParam(query[name], name, code ? { code } : {}));
  return { offset: optional('offset', 'INVALID_OFFSET'), commitOffset: optional('commitOffset', 'INVALID_OFFSET'), generation: optional('generation') };
}

export function queueParams(params: Record<string, string>) {
  return {
    topic: validateTopic(params.topic),
    brokerName: validateBrokerName(params.brokerName),
    queueId: intParam(params.queueId, 'queueId', { max: MAX_QUEUE_ID }),
  };
}

members.get(`${memberPath}/queues/:topic/:brokerName/:queueId/messages`, async (c) => {
  const { group, clientId } = memberParams(c.req.param());
  const { topic, brokerName, queueId } = queueParams(c.req.param());
  const { offset, commitOffset, generation } = startParams(c.req.query());
  const maxMessages = intParam(c.req.query('maxMessages'), 'maxMessages', { min: 1, max: MAX_PULL_MESSAGES, fallback: DEFAULT_PULL_MESSAGES });
  const waitMs = intParam(c.req.query('waitMs'), 'waitMs', { max: MAX_PULL_WAIT_MS, fallback: 0 });
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const view = await brokerCall(() => groupStub(c.env, group).checkQueue(clientId, topic, brokerName, queueId));
  if (commitOffset !== undefined) refuseStale(view, topic, generation);
  const route = await requireRoute(c.env, topic);
  requireReadableQueue(route, brokerName, queueId);
  const clustering = view.config.messageModel === 'CLUSTERING';
  // The queue lock lives on the master only (replica-reads.ts): an orderly member pulls from the master or waits for it;
  // any other member reads the master's copy, or a slave's (with the replicated offsets, taking no lock) while the master is down.
  const pullFrom = (stub: QueueCopy, brokerId: number) =>
    stub.memberPull({
      offset,
      maxMessages,
      waitMs,
      tags: parseTagExpression(view.expression),
      offsetKey: offsetKey(group, view),
      lockGroup: group,
      lockOwner: clustering && brokerId === MASTER_ID ? clientId : undefined,
      commitOffset,
      generation,
      startFrom: startFromOf(topic, view.config, view.subscribedAt),
    });
  const result =
    clustering && view.config.consumeOrderly
      ? await onMaster(c.env, topic, brokerName, queueId, (stub) => pullFrom(stub, MASTER_ID))
      : await onReadableCopy(c.env, route, topic, brokerName, queueId, pullFrom);
  const loc = { topic, brokerName, brokerId: MASTER_ID, queueId };
  // A long poll that ended empty answers the generation as it is now, so that a rebalance during the wait is seen at once.
  const answered = waitMs > 0 && result.messages.length === 0 ? await currentGeneration(c.env, group, view.generation) : view.generation;
  countPulled(topic, result.messages);
  return c.json({ ...result, messages: result.messages.map(messageViews(loc, encoding)), generation: answered });
});

/** A member's call on its lock of one queue, on the master (the lock's one authority); neither the group nor the membership is checked. */
async function onLock<T>(c: Context<{ Bindings: Env }>, call: (stub: QueueCopy, group: string, clientId: string) => Promise<T>) {
  const { group, clientId } = memberParams(c.req.param());
  const { topic, brokerName, queueId } = queueParams(c.req.param());
  const route = await requireRoute(c.env, topic);
  requireReadableQueue(route, brokerName, queueId);
  const result = await onMaster(c.env, topic, brokerName, queueId, (stub) => call(stub, group, clientId));
  return { ids: { group, clientId, topic, brokerName, queueId }, result };
}

// Renews the member's lock (RocketMQ's lockBatchMQ from RebalanceImpl.lockAll): only while the lock names it, assigned or not.
members.put(`${memberPath}/queues/:topic/:brokerName/:queueId/lock`, async (c) => {
  const { ids, result } = await onLock(c, (stub, group, clientId) => stub.renewLock(group, clientId));
  return c.json({ ...ids, locked: result !== null, ...result });
});

members.delete(`${memberPath}/queues/:topic/:brokerName/:queueId/lock`, async (c) => {
  const { ids, result } = await onLock(c, (stub, group, clientId) => stub.unlock(group, clientId));
  return c.json({ ...ids, released: result });
});

members.put(`${memberPath}/offsets`, async (c) => {
  const { group, clientId } = memberParams(c.req.param());
  const body = await readJson(c);
  const { topic, commits } = parseCommitRequest(body);
  const generation = (body as Record<string, unknown>).generation;
  if (generation !== undefined && (!Number.isSafeInteger(generation) || (generation as number) < 0)) {
    throw new FlareError('INVALID_REQUEST', 'generation must be an integer >= 0');
  }
  const view = await brokerCall(() => groupStub(c.env, group).member(clientId, topic));
  refuseStale(view, topic, generation as number | undefined);
  return c.json({ group, clientId, topic, offsets: await commitOffsets(c.env, offsetKey(group, view), topic, commits, generation as number | undefined) });
});
