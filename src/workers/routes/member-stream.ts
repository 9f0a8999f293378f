import { Hono } from 'hono';
import { parseBodyEncoding } from '../../core/body';
import { FlareError, isErrorCode } from '../../core/errors';
import { startFromOf } from '../../core/group-config';
import { MASTER_ID, requireReadableQueue } from '../../core/route';
import { parseTagExpression } from '../../core/tag-filter';
import { parseFrameFormat } from '../../core/stream-frames';
import { STREAM_OPEN_HEADER, type StreamOpen } from '../../durable-objects/queue/streams';
import type { Env } from '../../env';
import { brokerCall, groupStub, requireRoute } from '../cluster';
import { onMaster, onReadableCopy, type QueueCopy } from '../replica-reads';
import { memberParams, memberPath, offsetKey, queueParams, refuseStale, startParams } from './members';

/**
 * A member's push stream of one assigned queue (docs/streaming.md): checked
 * as a member pull is (the signature and SUB by the middleware, then the
 * membership, the assignment and the queue), then handed to the queue's
 * object, which accepts the WebSocket: the socket runs between the client and
 * that object, which pushes messages as they are appended.
 */
export const memberStream = new Hono<{ Bindings: Env }>();

/** UPGRADE_REQUIRED unless the request asks for a WebSocket. */
export function requireUpgrade(req: Request): void {
  if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    throw new FlareError('UPGRADE_REQUIRED', 'this route is a WebSocket stream: send the GET with Upgrade: websocket (docs/streaming.md)');
  }
}

/** The object's refusal of an upgrade (its REST error body), as a FlareError. */
async function refusal(res: Response): Promise<FlareError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const code = body?.error?.code;
  return code && isErrorCode(code) ? new FlareError(code, body?.error?.message ?? code) : new FlareError('BROKER_UNAVAILABLE', `the queue answered ${res.status} to a stream`);
}

memberStream.get(`${memberPath}/queues/:topic/:brokerName/:queueId/stream`, async (c) => {
  requireUpgrade(c.req.raw);
  const { group, clientId } = memberParams(c.req.param());
  const { topic, brokerName, queueId } = queueParams(c.req.param());
  const { offset, commitOffset, generation } = startParams(c.req.query());
  const encoding = parseBodyEncoding(c.req.query('bodyEncoding'));
  const frames = parseFrameFormat(c.req.query('frames'));
  const view = await brokerCall(() => groupStub(c.env, group).checkQueue(clientId, topic, brokerName, queueId));
  if (commitOffset !== undefined) refuseStale(view, topic, generation);
  const route = await requireRoute(c.env, topic);
  requireReadableQueue(route, brokerName, queueId);
  const clustering = view.config.messageModel === 'CLUSTERING';
  // Where a pull of this member would read (members.ts): the master for an orderly member, else the first live copy.
  const connect = async (stub: QueueCopy, brokerId: number): Promise<Response> => {
    const open: StreamOpen = {
      offset,
      offsetKey: offsetKey(group, view),
      lockGroup: group,
      lockOwner: clustering && brokerId === MASTER_ID ? clientId : undefined,
      commitOffset,
      generation,
      tags: parseTagExpression(view.expression),
      startFrom: startFromOf(topic, view.config, view.subscribedAt),
      encoding,
      frames,
    };
    const res = await stub.fetch('https://queue.flaremq/stream', { headers: { upgrade: 'websocket', [STREAM_OPEN_HEADER]: JSON.stringify(open) } });
    if (res.status !== 101) throw await refusal(res);
    return res;
  };
  return clustering && view.config.consumeOrderly
    ? await onMaster(c.env, topic, brokerName, queueId, (stub) => connect(stub, MASTER_ID))
    : await onReadableCopy(c.env, route, topic, brokerName, queueId, connect);
});
