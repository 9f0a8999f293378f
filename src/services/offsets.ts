/**
 * Consumer offsets, kept in each queue's object: read with lag, commit,
 * reset to a time, skip the backlog. Called by the offset, group and member
 * routes and by /metrics.
 */
import { FlareError } from '../core/errors';
import { offsetKeyOf } from '../core/group-config';
import type { QueueId } from '../core/queue-selector';
import { readableQueues, requireReadableQueue, type TopicRoute } from '../core/route';
import type { GroupStatus } from '../durable-objects/consumer-group';
import type { Env } from '../env';
import { brokerCall, getRoute, groupStub, queueStub, requireRoute } from './cluster';
import { onReadableCopy, type QueueCopy } from './replica-reads';

/** A member's commit (`advance`) never moves an offset back; an operator's (`set`) may. */
type CommitMode = Parameters<QueueCopy['commitOffset']>[3];

export interface Commit {
  brokerName: string;
  queueId: number;
  offset: number;
}

/** The offset stored under `key` on one readable queue, with its lag (and its correction, when retention moved it up). */
async function offsetRow(env: Env, route: TopicRoute, topic: string, q: QueueId, key: string) {
  const o = await onReadableCopy(env, route, topic, q.brokerName, q.queueId, (stub) => stub.getOffset(key));
  const lag = o.maxOffset - Math.max(o.offset, o.minOffset);
  // correction: the offset was behind the min offset (retention deleted its messages) and was moved up to it.
  return {
    offset: o.offset,
    minOffset: o.minOffset,
    maxOffset: o.maxOffset,
    lag,
    updatedAt: o.updatedAt,
    ...(o.correction ? { correction: o.correction } : {}),
  };
}

/** A group's offsets and lag on every readable queue of a topic. */
export async function groupOffsets(env: Env, group: string, topic: string) {
  const route = await requireRoute(env, topic);
  const offsets = await Promise.all(
    readableQueues(route).map(async (q) => ({
      brokerName: q.brokerName,
      queueId: q.queueId,
      ...(await offsetRow(env, route, topic, q, group)),
    })),
  );
  return { group, topic, offsets, totalLag: offsets.reduce((sum, q) => sum + q.lag, 0) };
}

/**
 * Per queue of every topic the group consumes: committed offset, max offset,
 * lag; and the total. In broadcasting, one row per live member and queue.
 * `status`: the group's status when the caller has just read it (cluster-stats.ts).
 */
export async function groupLag(env: Env, group: string, status?: GroupStatus) {
  status ??= await groupStub(env, group).status();
  const owners: { clientId?: string; key: string }[] =
    status.config.messageModel === 'BROADCASTING'
      ? status.members.map((m) => ({ clientId: m.clientId, key: offsetKeyOf(group, 'BROADCASTING', m.instanceName) }))
      : [{ key: group }];
  const queues = [];
  for (const topic of status.topics) {
    const route = await getRoute(env, topic);
    if (!route) continue;
    const rows = readableQueues(route).flatMap((q) =>
      owners.map(async ({ clientId, key }) => {
        const { updatedAt: _, ...row } = await offsetRow(env, route, topic, q, key);
        return { topic, ...q, ...(clientId ? { clientId } : {}), ...row };
      }),
    );
    queues.push(...(await Promise.all(rows)));
  }
  return {
    group,
    messageModel: status.config.messageModel,
    queues,
    totalLag: queues.reduce((sum, q) => sum + q.lag, 0),
  };
}

/**
 * Stores offsets under `offsetKey` (a group, or `group#instanceName` in
 * broadcasting). Every offset is checked against its queue before any is stored.
 */
export async function commitOffsets(
  env: Env,
  offsetKey: string,
  topic: string,
  commits: Commit[],
  generation?: number,
  mode: CommitMode = 'advance',
) {
  const route = await requireRoute(env, topic);
  for (const commit of commits) requireReadableQueue(route, commit.brokerName, commit.queueId);
  // On the master's copy, or a slave's while the master is down (the master takes it back when it returns).
  const onCopy = <T>(commit: Commit, call: (stub: QueueCopy) => Promise<T>) =>
    onReadableCopy(env, route, topic, commit.brokerName, commit.queueId, call);
  // One commit is checked by the queue object itself, in the same call; several are all checked first,
  // so that one out of range stores none.
  const current =
    commits.length === 1
      ? []
      : await Promise.all(commits.map((commit) => onCopy(commit, (stub) => stub.getOffset(offsetKey))));
  if (current.length > 0)
    commits.forEach((commit, i) => {
      if (commit.offset > current[i].maxOffset) {
        throw new FlareError(
          'OFFSET_OUT_OF_RANGE',
          `offset ${commit.offset} of ${commit.brokerName}/${commit.queueId} is past its max offset ${current[i].maxOffset}`,
        );
      }
    });
  const stored = await Promise.all(
    commits.map((commit) => onCopy(commit, (stub) => stub.commitOffset(offsetKey, commit.offset, generation, mode))),
  );
  return stored.map((s, i) => ({
    brokerName: commits[i].brokerName,
    queueId: commits[i].queueId,
    offset: s.offset,
    updatedAt: s.updatedAt,
  }));
}

/** Attempts of an offset reset or skip before it answers GROUP_REBALANCING (each one is undone by a rebalance in its course). */
const RESET_ATTEMPTS = 5;

/**
 * Moves every readable queue of a topic to a new offset for the group (and for each live
 * member in broadcasting), under a new generation G = the group's + 1 that no member knows
 * yet. First every queue object stores its offset and, atomically with it, refuses commits
 * older than G; only then does the group publish G (as its generation and the topic's reset
 * generation), so that a member that learns G reads the reset offsets, and a member still on
 * an older generation cannot commit over them. If the group rebalanced meanwhile, a member may
 * have read old offsets under the new generation: the reset is done again, with a higher G.
 * If a queue fails, what was written is published all the same and the request fails
 * (retriable): a retried reset writes every queue again, and converges.
 */
export async function resetOffsets(
  env: Env,
  group: string,
  topic: string,
  target: (stub: ReturnType<typeof queueStub>) => Promise<number>,
) {
  for (let attempt = 0; attempt < RESET_ATTEMPTS; attempt++) {
    const status = await groupStub(env, group).status();
    const route = await requireRoute(env, topic);
    const keys =
      status.config.messageModel === 'BROADCASTING'
        ? [...new Set(status.members.map((m) => offsetKeyOf(group, 'BROADCASTING', m.instanceName)))]
        : [group];
    const generation = status.generation + 1;
    const written = await Promise.allSettled(
      readableQueues(route).map(async (q) => {
        const stub = queueStub(env, topic, q.brokerName, q.queueId);
        const offset = await brokerCall(() => target(stub));
        await Promise.all(keys.map((key) => stub.resetOffset(key, offset, generation)));
        return { ...q, offset };
      }),
    );
    const published = await groupStub(env, group).publishOffsetsReset(topic, generation);
    const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) throw failed.reason;
    if (published)
      return {
        group,
        topic,
        generation,
        offsets: written.map((w) => (w as PromiseFulfilledResult<QueueId & { offset: number }>).value),
      };
  }
  throw new FlareError(
    'GROUP_REBALANCING',
    `group ${group} rebalanced during each of ${RESET_ATTEMPTS} attempts to reset the offsets of ${topic}; send the request again`,
  );
}
