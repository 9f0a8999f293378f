import { Hono } from 'hono';
import { FlareError } from '../../core/errors';
import { offsetKeyOf, parseGroupConfigPatch } from '../../core/group-config';
import { validateGroup, validateTopic } from '../../core/names';
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

/**
 * Moves every readable queue of a topic to a new offset for the group (and
 * for each live member in broadcasting). The group's generation is bumped
 * first, and each queue object then refuses commits of older generations, so
 * a member's commit in flight cannot undo the reset; members reload.
 */
async function resetOffsets(env: Env, group: string, topic: string, target: (stub: ReturnType<typeof queueStub>) => Promise<number>) {
  const status = await brokerCall(() => groupStub(env, group).status());
  const keys =
    status.config.messageModel === 'BROADCASTING' ? [...new Set(status.members.map((m) => offsetKeyOf(group, 'BROADCASTING', m.instanceName)))] : [group];
  const route = await requireRoute(env, topic);
  const generation = await brokerCall(() => groupStub(env, group).markOffsetsReset());
  const offsets = await Promise.all(
    readableQueues(route).map(async (q) => {
      const stub = queueStub(env, topic, q.brokerName, q.queueId);
      const offset = await brokerCall(() => target(stub));
      await Promise.all(keys.map((key) => brokerCall(() => stub.resetOffset(key, offset, generation))));
      return { ...q, offset };
    }),
  );
  return { group, topic, generation, offsets };
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
