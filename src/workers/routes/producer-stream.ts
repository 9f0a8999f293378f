import { PUB } from '../../core/acl';
import { FlareError, toFlareError } from '../../core/errors';
import {
  CLOSE_POLICY,
  CLOSE_TOO_BIG,
  MAX_PRODUCER_FRAME_BYTES,
  PING,
  PONG,
  PRODUCER_STREAM_WINDOW,
  frameId,
  parseFrameJson,
  parseProducerFrame,
} from '../../core/stream-frames';
import type { Env } from '../../env';
import { declareRoute, router } from '../api/declare';
import { TopicName, z } from '../api/fields';
import { checkedSendRequest } from '../api/send';
import { send } from '../../services/send';
import { checkJsonShape } from '../request';
import { transactionOf } from '../../services/transactions';
import { onTopic } from '../security/requirements';
import { log } from '../../log';

/**
 * A producer's stream of one topic (docs/streaming.md): each frame is a send,
 * checked and sent exactly as `POST /topics/{topic}/messages` (validation,
 * queue selection, retries, SYNC_MASTER statuses), and answered on the socket
 * with its results or its error. The Worker holds the socket, not a queue
 * object: one producer's batches go to any queue of the topic, round robin or
 * by sharding key, so no one object could own it. One topic per stream, so
 * that the ACL's PUB, checked once on the signed upgrade, covers every frame.
 */
export const producerStream = router();

const encoder = new TextEncoder();

/** Serves one producer stream on `ws` until it closes. */
function serve(env: Env, topic: string, ws: WebSocket, waitUntil: (p: Promise<unknown>) => void): void {
  let unanswered = 0;
  const reply = (frame: Record<string, unknown>) => {
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      // the client went away: nothing to answer
    }
  };
  const refuse = (err: FlareError, id?: number) =>
    reply({
      type: 'error',
      ...(id === undefined ? {} : { id }),
      code: err.code,
      message: err.detail,
      retriable: err.retriable,
    });
  ws.addEventListener('message', (event) => {
    const data = event.data as string | ArrayBuffer;
    if (data === PING) {
      try {
        ws.send(PONG);
      } catch {
        // closed meanwhile
      }
      return;
    }
    let raw: Record<string, unknown> | undefined;
    try {
      if (typeof data === 'string' && data.length * 3 > MAX_PRODUCER_FRAME_BYTES) checkJsonShape(encoder.encode(data));
      raw = parseFrameJson(data, MAX_PRODUCER_FRAME_BYTES);
      if (unanswered >= PRODUCER_STREAM_WINDOW) {
        throw new FlareError(
          'STREAM_WINDOW_FULL',
          `${PRODUCER_STREAM_WINDOW} sends of this stream are unanswered; wait for their answers before sending more`,
        );
      }
      const frame = parseProducerFrame(raw);
      if (transactionOf(frame.send))
        throw new FlareError(
          'INVALID_REQUEST',
          'transactional sends go over REST (POST /topics/{topic}/messages with transaction)',
        );
      const req = checkedSendRequest(env, topic, frame.send);
      unanswered++;
      const sent = send(env, req)
        .then(
          (results) => reply({ type: 'sent', id: frame.id, results }),
          (err) => refuse(toFlareError(err) ?? internal(err), frame.id),
        )
        .finally(() => unanswered--);
      waitUntil(sent);
    } catch (err) {
      const flare = toFlareError(err) ?? internal(err);
      refuse(flare, raw && frameId(raw));
      // A client's mistake leaves the stream open; a frame too large or a full window closes it.
      if (flare.code === 'REQUEST_TOO_LARGE') ws.close(CLOSE_TOO_BIG, 'frame too large');
      else if (flare.code === 'STREAM_WINDOW_FULL') ws.close(CLOSE_POLICY, 'too many unanswered sends');
    }
  });
  ws.addEventListener('close', (event) => {
    try {
      ws.close(event.code === 1005 || event.code === 1006 ? 1000 : event.code, 'closed');
    } catch {
      // closed already
    }
  });
}

function internal(err: unknown): FlareError {
  log.error('a send on a producer stream failed unexpectedly', { error: err });
  return new FlareError('INTERNAL_ERROR', 'an unexpected failure; it is logged with its cause');
}

declareRoute(
  producerStream,
  {
    method: 'get',
    path: '/topics/{topic}/stream',
    operationId: 'producerStream',
    tags: ['messages'],
    summary: 'Open a producer stream (WebSocket)',
    description: [
      'A GET with `Upgrade: websocket` (UPGRADE_REQUIRED without it), signed as any GET; the signature is good once (REQUEST_REPLAYED after). Needs PUB on the topic.',
      `Each frame \`{"id", "send"}\` is a send of \`POST /topics/{topic}/messages\`, answered \`{"type": "sent", "id", "results"}\` or \`{"type": "error", "id", "code", "message", "retriable"}\`. Frames of at most ${MAX_PRODUCER_FRAME_BYTES} bytes (closed with 1009 beyond); at most ${PRODUCER_STREAM_WINDOW} unanswered (STREAM_WINDOW_FULL, closed with 1008).`,
    ].join('\n\n'),
    need: onTopic(PUB, 'streaming sends'),
    request: { params: z.object({ topic: TopicName }) },
    responses: {
      101: { description: 'Switching Protocols: the WebSocket is open; its frames are in docs/streaming.md.' },
    },
    errors: ['INVALID_TOPIC_NAME', 'UPGRADE_REQUIRED'],
    websocket: true,
  },
  (c, { params: { topic } }) => {
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    serve(c.env, topic, server, (p) => {
      try {
        c.executionCtx.waitUntil(p);
      } catch {
        // app.fetch called without an ExecutionContext (tests): the open socket keeps the request alive anyway
      }
    });
    return new Response(null, { status: 101, webSocket: client });
  },
);
