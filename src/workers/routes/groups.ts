import { Hono } from 'hono';
import { FlareError } from '../../core/errors';
import { offsetKeyOf, parseGroupConfigPatch } from '../../core/group-config';
import { validateGroup, validateTopic } from '../../core/names';
import type { QueueRef } from '../../core/queue-selector';
import { readableQueues } from '../../core/route';
import type { Env } from '../../env';
import { brokerCall, getRoute, groupStub, queueStub, requireRoute, withNameServer } from '../cluster';
import { onReadableCopy } from '../replica-reads';
import { intParam, readJson } from '../request';

/** Consumer groups for operators: list, config, status, lag, offset reset and skip. */
export const groups = new Hono<{ Bindings: Env }>();

groups.get('/groups', async (c) => c.json({ groups: await withNameServer(c.env, (ns) => ns.listGroups()) }));

groups.put('/groups/:group', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const body = await readJson(c, {});
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object');
  const patch = parseGroupConfigPatch(body as Record<string, unknown>);
  return c.json(await brokerCall(() => groupStub(c.env, group).configure(group, patch)));
});

groups.get('/groups/:group', async (c) => {
  const group = validateGroup(c.req.param('group'));
  return c.json(await brokerCall(() => groupStub(c.env, group).status()));
});

/**
 * Per queue of every topic the group consumes: committed offset, max offset,
 * lag; and the total. In broadcasting, one row per live member and queue.
 */
groups.get('/groups/:group/lag', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const status = await brokerCall(() => groupStub(c.env, group).status());
  const owners: { clientId?: string; key: string }[] =
    status.config.messageModel === 'BROADCASTING'
      ? status.members.map((m) => ({ clientId: m.clientId, key: offsetKeyOf(group, 'BROADCASTING', m.instanceName) }))
      : [{ key: group }];
  const rows = [];
  for (const topic of status.topics) {
    const route = await getRoute(c.env, topic);
    if (!route) continue;
    const queues = await Promise.all(
      readableQueues(route).flatMap((q) =>
        owners.map(async ({ clientId, key }) => {
          const o = await onReadableCopy(c.env, route, topic, q.brokerName, q.queueId, (stub) => stub.getOffset(key));
          const lag = o.maxOffset - Math.max(o.offset, o.minOffset);
          // correction: the offset was behind the min offset (retention deleted its messages) and was moved up to it.
          const correction = o.correction ? { correction: o.correction } : {};
          return { topic, ...q, ...(clientId ? { clientId } : {}), offset: o.offset, minOffset: o.minOffset, maxOffset: o.maxOffset, lag, ...correction };
        }),
      ),
    );
    rows.push(...queues);
  }
  return c.json({ group, messageModel: status.config.messageModel, queues: rows, totalLag: rows.reduce((sum, q) => sum + q.lag, 0) });
});

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
async function resetOffsets(env: Env, group: string, topic: string, target: (stub: ReturnType<typeof queueStub>) => Promise<number>) {
  for (let attempt = 0; attempt < RESET_ATTEMPTS; attempt++) {
    const status = await brokerCall(() => groupStub(env, group).status());
    const route = await requireRoute(env, topic);
    const keys =
      status.config.messageModel === 'BROADCASTING' ? [...new Set(status.members.map((m) => offsetKeyOf(group, 'BROADCASTING', m.instanceName)))] : [group];
    const generation = status.generation + 1;
    const written = await Promise.allSettled(
      readableQueues(route).map(async (q) => {
        const stub = queueStub(env, topic, q.brokerName, q.queueId);
        const offset = await brokerCall(() => target(stub));
        await Promise.all(keys.map((key) => brokerCall(() => stub.resetOffset(key, offset, generation))));
        return { ...q, offset };
      }),
    );
    const published = await brokerCall(() => groupStub(env, group).publishOffsetsReset(topic, generation));
    const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) throw failed.reason;
    if (published) return { group, topic, generation, offsets: written.map((w) => (w as PromiseFulfilledResult<QueueRef & { offset: number }>).value) };
  }
  throw new FlareError('GROUP_REBALANCING', `group ${group} rebalanced during each of ${RESET_ATTEMPTS} attempts to reset the offsets of ${topic}; send the request again`);
}

function topicOf(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object');
  return validateTopic((body as Record<string, unknown>).topic);
}

groups.post('/groups/:group/offsets/reset', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const body = await readJson(c);
  const topic = topicOf(body);
  const raw = (body as Record<string, unknown>).timestamp;
  const timestamp = intParam(raw === undefined ? undefined : String(raw), 'timestamp');
  return c.json({ timestamp, ...(await resetOffsets(c.env, group, topic, (stub) => stub.searchOffset(timestamp))) });
});

groups.post('/groups/:group/offsets/skip', async (c) => {
  const group = validateGroup(c.req.param('group'));
  const topic = topicOf(await readJson(c));
  return c.json(await resetOffsets(c.env, group, topic, async (stub) => (await stub.status()).maxOffset));
});
