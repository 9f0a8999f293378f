/** The WebSocket stream routes in the OpenAPI document (docs/streaming.md describes their frames). */
import { MAX_PRODUCER_FRAME_BYTES, PRODUCER_STREAM_WINDOW } from '../core/stream-frames';
import { MEMBER_PULL_ERRORS } from './routes/members';
import { errorResponses, param, query, type Json } from './openapi-schemas';

const upgraded = { '101': { description: 'Switching Protocols: the WebSocket is open; its frames are in docs/streaming.md.' } };

export const streamPaths: Record<string, Json> = {
  '/api/v1/topics/{topic}/stream': {
    parameters: [param('topic')],
    get: {
      tags: ['messages'],
      operationId: 'producerStream',
      summary: 'Open a producer stream (WebSocket)',
      description: [
        'A GET with `Upgrade: websocket` (UPGRADE_REQUIRED without it), signed as any GET; the signature is good once (REQUEST_REPLAYED after). Needs PUB on the topic.',
        `Each frame \`{"id", "send"}\` is a send of \`POST /topics/{topic}/messages\`, answered \`{"type": "sent", "id", "results"}\` or \`{"type": "error", "id", "code", "message", "retriable"}\`. Frames of at most ${MAX_PRODUCER_FRAME_BYTES} bytes (closed with 1009 beyond); at most ${PRODUCER_STREAM_WINDOW} unanswered (STREAM_WINDOW_FULL, closed with 1008).`,
      ].join('\n\n'),
      responses: { ...upgraded, ...errorResponses('INVALID_TOPIC_NAME', 'UPGRADE_REQUIRED') },
    },
  },
  '/api/v1/groups/{group}/members/{clientId}/queues/{topic}/{brokerName}/{queueId}/stream': {
    parameters: [param('group'), param('clientId'), param('topic'), param('brokerName'), param('queueId')],
    get: {
      tags: ['groups'],
      operationId: 'memberStream',
      summary: "Open a member's push stream of an assigned queue (WebSocket)",
      description: [
        'A GET with `Upgrade: websocket` (UPGRADE_REQUIRED without it), signed as any GET; the signature is good once (REQUEST_REPLAYED after). Checked as the member pull of the same queue (SUB, membership, assignment, the queue lock in CLUSTERING); its refusals are that pull’s.',
        'The queue’s object pushes messages as they are appended, within the credits the client grants; commits and lock renewals go on the socket. Frames: docs/streaming.md.',
      ].join('\n\n'),
      parameters: [
        query('offset', 'Queue offset to start from (INVALID_OFFSET unless an integer >= 0). Default: the committed offset.', { type: 'integer', minimum: 0 }),
        query('commitOffset', 'An offset to commit before starting.', { type: 'integer', minimum: 0 }),
        query('generation', 'The generation `commitOffset` belongs to.', { type: 'integer', minimum: 0 }),
        param('bodyEncoding'),
        query('frames', 'How messages are pushed: `json` frames, or `binary` frames (consecutive messages as one batch of the log codec; docs/streaming.md).', { type: 'string', enum: ['json', 'binary'], default: 'json' }),
      ],
      responses: {
        ...upgraded,
        ...errorResponses('UPGRADE_REQUIRED', ...MEMBER_PULL_ERRORS),
      },
    },
  },
};
