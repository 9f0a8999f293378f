import { SUB } from '../../core/acl';
import { FlareError, isErrorCode } from '../../core/errors';
import { startFromOf } from '../../core/group-config';
import { MASTER_ID, requireReadableQueue } from '../../core/route';
import { parseTagExpression } from '../../core/tag-filter';
import { STREAM_OPEN_HEADER } from '../../core/stream-frames';
import type { StreamOpen } from '../../durable-objects/queue/streams';
import { MEMBER_QUEUE_ERRORS, MemberQueuePath, MemberStartQuery } from '../api/member-queue';
import { declareRoute, router } from '../api/declare';
import { z } from '../api/fields';
import { groupStub, requireRoute } from '../../services/cluster';
import { onMaster, onReadableCopy, type QueueCopy } from '../../services/replica-reads';
import { consumer } from '../security/requirements';
import { offsetKey, refuseStale } from '../../services/members';

/**
 * A member's push stream of one assigned queue (docs/streaming.md): checked
 * as a member pull is (the signature and SUB by the middleware, then the
 * membership, the assignment and the queue), then handed to the queue's
 * object, which accepts the WebSocket: the socket runs between the client and
 * that object, which pushes messages as they are appended.
 */
export const memberStream = router();

/** The object's refusal of an upgrade (its REST error body), as a FlareError. */
async function refusal(res: Response): Promise<FlareError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const code = body?.error?.code;
  return code && isErrorCode(code)
    ? new FlareError(code, body?.error?.message ?? code)
    : new FlareError('BROKER_UNAVAILABLE', `the queue answered ${res.status} to a stream`);
}

const upgraded = { description: 'Switching Protocols: the WebSocket is open; its frames are in docs/streaming.md.' };

declareRoute(
  memberStream,
  {
    method: 'get',
    path: '/groups/{group}/members/{clientId}/queues/{topic}/{brokerName}/{queueId}/stream',
    operationId: 'memberStream',
    tags: ['groups'],
    summary: "Open a member's push stream of an assigned queue (WebSocket)",
    description: [
      'A GET with `Upgrade: websocket` (UPGRADE_REQUIRED without it), signed as any GET; the signature is good once (REQUEST_REPLAYED after). Checked as the member pull of the same queue (SUB, membership, assignment, the queue lock in CLUSTERING); its refusals are that pull’s.',
      'The queue’s object pushes messages as they are appended, within the credits the client grants; commits and lock renewals go on the socket. Frames: docs/streaming.md.',
    ].join('\n\n'),
    need: consumer('streaming a queue', ({ params }) => [{ name: params.topic, perm: SUB }]),
    request: {
      params: MemberQueuePath,
      query: MemberStartQuery.extend({
        frames: z.enum(['json', 'binary']).optional().openapi({
          default: 'json',
          description:
            'How messages are pushed: `json` frames, or `binary` frames (consecutive messages as one batch of the log codec; docs/streaming.md).',
        }),
      }),
    },
    responses: { 101: upgraded },
    errors: ['UPGRADE_REQUIRED', ...MEMBER_QUEUE_ERRORS],
    websocket: true,
  },
  async (
    c,
    {
      params: { group, clientId, topic, brokerName, queueId },
      query: { offset, commitOffset, generation, bodyEncoding: encoding, frames = 'json' },
    },
  ) => {
    const view = await groupStub(c.env, group).checkQueue(clientId, topic, brokerName, queueId);
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
      const res = await stub.fetch('https://queue.flaremq/stream', {
        headers: { upgrade: 'websocket', [STREAM_OPEN_HEADER]: JSON.stringify(open) },
      });
      if (res.status !== 101) throw await refusal(res);
      return res;
    };
    return clustering && view.config.consumeOrderly
      ? await onMaster(c.env, topic, brokerName, queueId, (stub) => connect(stub, MASTER_ID))
      : await onReadableCopy(c.env, route, topic, brokerName, queueId, connect);
  },
);
