import { Hono } from 'hono';
import { FlareError } from '../../core/errors';
import { MAX_OFFSET_COMMITS, MAX_QUEUE_ID } from '../../core/limits';
import { validateBrokerName, validateGroup, validateTopic } from '../../core/names';
import { readableQueues, requireReadableQueue } from '../../core/route';
import type { CommitMode } from '../../durable-objects/queue/offsets';
import type { Env } from '../../env';
import { requireRoute } from '../cluster';
import { onReadableCopy, type QueueCopy } from '../replica-reads';
import { readJson } from '../request';

/** Consumer offsets of a group, kept in each queue's object. */
export const offsets = new Hono<{ Bindings: Env }>();

offsets.get('/groups/:group/offsets', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const topic = validateTopic(c.req.query('topic'));
  const route = await requireRoute(c.env, topic);
  const queues = await Promise.all(
    readableQueues(route).map(async (q) => {
      const o = await onReadableCopy(c.env, route, topic, q.brokerName, q.queueId, (stub) => stub.getOffset(group));
      const lag = o.maxOffset - Math.max(o.offset, o.minOffset);
      const correction = o.correction ? { correction: o.correction } : {};
      return { brokerName: q.brokerName, queueId: q.queueId, offset: o.offset, minOffset: o.minOffset, maxOffset: o.maxOffset, lag, updatedAt: o.updatedAt, ...correction };
    }),
  );
  return c.json({ group, topic, offsets: queues, totalLag: queues.reduce((sum, q) => sum + q.lag, 0) });
});

export interface Commit {
  brokerName: string;
  queueId: number;
  offset: number;
}

function parseCommit(raw: unknown, where: string): Commit {
  if (typeof raw !== 'object' || raw === null) throw new FlareError('INVALID_REQUEST', `${where ? where.slice(0, -1) : 'the body'} must be {"brokerName", "queueId", "offset"}`);
  const r = raw as Record<string, unknown>;
  const brokerName = validateBrokerName(r.brokerName);
  if (!Number.isInteger(r.queueId) || (r.queueId as number) < 0 || (r.queueId as number) > MAX_QUEUE_ID) {
    throw new FlareError('INVALID_REQUEST', `${where}queueId must be an integer from 0 to ${MAX_QUEUE_ID}`);
  }
  if (!Number.isSafeInteger(r.offset) || (r.offset as number) < 0) throw new FlareError('INVALID_OFFSET', `${where}offset must be an integer >= 0`);
  return { brokerName, queueId: r.queueId as number, offset: r.offset as number };
}

/**
 * Reads `{topic, brokerName, queueId, offset}` or
 * `{topic, offsets: [{brokerName, queueId, offset}, ...]}` (one per queue).
 */
export function parseCommitRequest(body: unknown): { topic: string; commits: Commit[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const topic = validateTopic(b.topic);
  if (b.offsets === undefined) return { topic, commits: [parseCommit(b, '')] };
  if (!Array.isArray(b.offsets) || b.offsets.length === 0 || b.offsets.length > MAX_OFFSET_COMMITS) {
    throw new FlareError('INVALID_REQUEST', `offsets must be an array of 1 to ${MAX_OFFSET_COMMITS} {brokerName, queueId, offset}`);
  }
  const commits = b.offsets.map((o, i) => parseCommit(o, `offsets[${i}].`));
  const seen = new Set<string>();
  for (const commit of commits) {
    const key = `${commit.brokerName}/${commit.queueId}`;
    if (seen.has(key)) throw new FlareError('INVALID_REQUEST', `offsets names queue ${key} twice; give one offset per queue`);
    seen.add(key);
  }
  return { topic, commits };
}

/**
 * Stores offsets under `offsetKey` (a group, or `group#instanceName` in
 * broadcasting). Every offset is checked against its queue before any is stored.
 * A member's commit (`advance`) never moves an offset back; an operator's (`set`) may.
 */
export async function commitOffsets(env: Env, offsetKey: string, topic: string, commits: Commit[], generation?: number, mode: CommitMode = 'advance') {
  const route = await requireRoute(env, topic);
  for (const commit of commits) requireReadableQueue(route, commit.brokerName, commit.queueId);
  // On the master's copy, or a slave's while the master is down (the master takes it back when it returns).
  const onCopy = <T>(commit: Commit, call: (stub: QueueCopy) => Promise<T>) => onReadableCopy(env, route, topic, commit.brokerName, commit.queueId, call);
  // One commit is checked by the queue object itself, in the same call; several are all checked first,
  // so that one out of range stores none.
  const current = commits.length === 1 ? [] : await Promise.all(commits.map((commit) => onCopy(commit, (stub) => stub.getOffset(offsetKey))));
  if (current.length > 0) commits.forEach((commit, i) => {
    if (commit.offset > current[i].maxOffset) {
      throw new FlareError('OFFSET_OUT_OF_RANGE', `offset ${commit.offset} of ${commit.brokerName}/${commit.queueId} is past its max offset ${current[i].maxOffset}`);
    }
  });
  const stored = await Promise.all(commits.map((commit) => onCopy(commit, (stub) => stub.commitOffset(offsetKey, commit.offset, generation, mode))));
  return stored.map((s, i) => ({ brokerName: commits[i].brokerName, queueId: commits[i].queueId, offset: s.offset, updatedAt: s.updatedAt }));
}

/** Commits a group's offsets (admin tools; members commit through their own route). */
offsets.put('/groups/:group/offsets', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const { topic, commits } = parseCommitRequest(await readJson(c));
  return c.json({ group, topic, offsets: await commitOffsets(c.env, group, topic, commits, undefined, 'set') });
});
