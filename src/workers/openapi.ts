/**
 * The OpenAPI 3.1 description of the JSON REST API, served at
 * /api/v1/openapi.json. Schemas, parameters and error responses live in
 * openapi-schemas.ts; limits come from src/core/limits.ts and the error codes
 * from src/core/errors.ts. docs/api.md is the same API for humans.
 */
import { DEFAULT_PULL_MESSAGES, MAX_PULL_MESSAGES, MAX_PULL_WAIT_MS, MAX_QUERY_MESSAGES, MAX_TAGS_IN_EXPRESSION, PULL_SCAN_WINDOW, STATS_KEEP_MINUTES } from '../core/limits';
import { haPaths, haSchemas } from './openapi-ha';
import { streamPaths } from './openapi-streams';
import { popParameters, popPaths, popSchemas, popTags, transactionalSend } from './openapi-pop';
import {
  errorCodeTable,
  errorResponses,
  json,
  jsonBody,
  limitsText,
  ok,
  param,
  parameters,
  query,
  ref,
  requestBodyNote,
  schemas,
} from './openapi-schemas';
import { SEND_RETRIES } from './producer';
import type { Router } from './api/declare';

const queuePath = [param('topic'), param('brokerName'), param('queueId')];

const handWritten = {
  openapi: '3.1.0',
  info: {
    title: 'flaremq REST API',
    version: '0.1.0',
    summary: "A message queue with Apache RocketMQ's model on Cloudflare Workers and Durable Objects.",
    description: [
      'JSON over HTTP under `/api/v1`. A human guide with examples is docs/api.md.',
      'Every error is `{"error": {"code", "message", "retriable"}}` with the HTTP status of its code. A path or method that does not exist answers 404 `NOT_FOUND`. Any operation may also answer 500 `CONFIG_INVALID` (the cluster vars are wrong), `SERVER_MISCONFIGURED` (FLAREMQ_ACCOUNTS or FLAREMQ_MODE is invalid; the cause is only in the log) or `INTERNAL_ERROR`.',
      limitsText,
      '## Security\n\nWith accounts configured (the FLAREMQ_ACCOUNTS secret), every request except this document is signed: `X-Flaremq-Timestamp` (ms since the epoch, within 15 minutes) and `Authorization: FLAREMQ-HMAC-SHA256 <accessKey>:<hex HMAC-SHA256 of "FLAREMQ-HMAC-SHA256\\nMETHOD\\npath\\nquery\\ntimestamp\\nhex SHA-256 of the body">`. Refusals: 401 `UNAUTHENTICATED`, `INVALID_SIGNATURE`, `REQUEST_EXPIRED`; 403 `ACCESS_DENIED`, `ADMIN_REQUIRED`, `SOURCE_IP_DENIED`, `ACCOUNTS_NOT_CONFIGURED`. Without accounts, local development (FLAREMQ_MODE=development) serves everything unsigned, and a deployment with no FLAREMQ_MODE serves nothing but this document (403 `ACCOUNTS_NOT_CONFIGURED`). An invalid FLAREMQ_ACCOUNTS or FLAREMQ_MODE answers every request 500 `SERVER_MISCONFIGURED` (the cause is in the log). An unknown access key and a wrong signature get the same `INVALID_SIGNATURE` answer. See docs/security.md.',
      '## Error codes (src/core/errors.ts is the source of truth)',
      errorCodeTable,
    ].join('\n\n'),
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  tags: [
    { name: 'topics', description: 'Create, update, delete, list and inspect topics.' },
    { name: 'messages', description: 'Send messages, and find them by id, key or unique key.' },
    { name: 'consume', description: 'Pull a queue from an offset; find the offset of a time.' },
    { name: 'offsets', description: "A consumer group's committed offsets and lag." },
    {
      name: 'groups',
      description:
        'Consumer groups: config, status and lag; the member protocol (heartbeat, member pull, commit, unlock, leave); offset reset and skip; retry and dead letters. docs/consuming.md is the guide.',
    },
    ...popTags,
    { name: 'cluster', description: 'NameServers, broker groups and brokers.' },
    { name: 'meta', description: 'This document and the index.' },
  ],
  paths: {
    '/': {
      get: {
        tags: ['meta'],
        operationId: 'getIndex',
        summary: 'Where the API and this document are',
        description: 'A request that prefers `text/html` (a browser) gets the dashboard instead (docs/operations.md); any other gets this JSON index.',
        responses: ok('The index.', 'Index'),
      },
    },
    '/api/v1/openapi.json': {
      get: {
        tags: ['meta'],
        operationId: 'getOpenApi',
        summary: 'This document',
        responses: { '200': { description: 'The OpenAPI 3.1 document.', content: json({ type: 'object' }) }, ...errorResponses() },
      },
    },
    '/api/v1/topics': {
      get: {
        tags: ['topics'],
        operationId: 'listTopics',
        summary: 'List topics',
        description: 'Every topic some live broker group hosts, as one NameServer knows them.',
        responses: { ...ok('The topics, sorted.', 'TopicList'), ...errorResponses('NAMESERVER_UNAVAILABLE') },
      },
    },
    '/api/v1/topics/{topic}': {
      parameters: [param('topic')],
      put: {
        tags: ['topics'],
        operationId: 'createOrUpdateTopic',
        summary: 'Create or update a topic',
        description: `Creates the topic on the named broker groups (all by default), or updates its queue counts and perm there, and answers its new route. A body is required: send \`{}\` for the defaults. ${requestBodyNote}`,
        requestBody: jsonBody('TopicSpec', 'Queue counts, perm and broker groups.'),
        responses: {
          ...ok('The route after the change (queueDatas without permName).', 'TopicRoute'),
          ...errorResponses(
            'MALFORMED_JSON',
            'INVALID_REQUEST',
            'INVALID_TOPIC_NAME',
            'BROKER_NOT_EXIST',
            'REQUEST_TOO_LARGE',
            'BROKER_UNAVAILABLE',
            'NAMESERVER_UNAVAILABLE',
          ),
        },
      },
      delete: {
        tags: ['topics'],
        operationId: 'deleteTopic',
        summary: 'Delete a topic',
        description: 'Deletes the topic from every broker group; its queues drop their messages and consumer offsets. Queue offsets are not reused if the topic is created again, so old message ids never name new messages.',
        responses: {
          ...ok('Deleted.', 'TopicDeleted'),
          ...errorResponses('INVALID_TOPIC_NAME', 'TOPIC_NOT_EXIST', 'BROKER_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
        },
      },
    },
    '/api/v1/topics/{topic}/route': {
      parameters: [param('topic')],
      get: {
        tags: ['topics'],
        operationId: 'getTopicRoute',
        summary: "A topic's route",
        description: 'Broker groups hosting the topic with their queue counts and perm, and their live brokers, read from a NameServer (not from the route cache that other operations use for up to 30 s per isolate).',
        responses: { ...ok('The route.', 'TopicRouteView'), ...errorResponses('INVALID_TOPIC_NAME', 'TOPIC_NOT_EXIST', 'NAMESERVER_UNAVAILABLE') },
      },
    },
    '/api/v1/topics/{topic}/status': {
      parameters: [param('topic')],
      get: {
        tags: ['topics'],
        operationId: 'getTopicStatus',
        summary: "Min and max offsets of every queue of a topic",
        description: 'One entry per queue object (the larger of readQueueNums and writeQueueNums per broker group), whatever its perm.',
        parameters: [query('counters', 'With `true`, each queue also answers `storage`: what its object wrote since it started (the benchmark reads it).', { type: 'string', enum: ['true', 'false'], default: 'false' })],
        responses: {
          ...ok('Queue offsets.', 'TopicStatus'),
          ...errorResponses('INVALID_TOPIC_NAME', 'TOPIC_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
        },
      },
    },
    '/api/v1/topics/{topic}/stats': {
      parameters: [param('topic')],
      get: {
        tags: ['topics'],
        operationId: 'getTopicStats',
        summary: 'Messages in and out per minute',
        description: `Messages appended (in) and returned to pulls and pops (out) per minute, summed over the topic's queues, for the last \`minutes\` minutes (1 to ${STATS_KEEP_MINUTES}; queues keep ${STATS_KEEP_MINUTES}). Every minute is present, oldest first; the current minute is the last.`,
        parameters: [query('minutes', 'How many minutes, ending with the current one.', { type: 'integer', minimum: 1, maximum: STATS_KEEP_MINUTES, default: 60 })],
        responses: {
          '200': {
            description: 'Per-minute counts.',
            content: json({
              type: 'object',
              required: ['topic', 'minutes'],
              properties: {
                topic: ref('TopicName'),
                minutes: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['minute', 'in', 'out'],
                    properties: {
                      minute: { type: 'integer', description: 'Start of the minute, ms since the epoch.' },
                      in: { type: 'integer', minimum: 0 },
                      out: { type: 'integer', minimum: 0 },
                    },
                  },
                },
              },
            }),
          },
          ...errorResponses('INVALID_TOPIC_NAME', 'INVALID_REQUEST', 'TOPIC_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
        },
      },
    },
    '/api/v1/topics/{topic}/messages': {
      parameters: [param('topic')],
      post: {
        tags: ['messages'],
        operationId: 'sendMessages',
        summary: 'Send a message or a batch',
        description: [
          'Validates everything, then appends the message or the whole batch atomically to one queue: the explicit `queue`, the queue of `shardingKey`, or the next writable queue in round robin.',
          `A round-robin send that fails on a broker group is retried up to ${SEND_RETRIES} times on another group; sends by shardingKey or to an explicit queue are not moved. A send to a topic that does not exist creates it when the AUTO_CREATE_TOPIC_ENABLE var is on (the default).`,
          `With \`oneway=true\` the Worker answers 202 once the request is valid and sends in the background; a failure after that is only logged. ${requestBodyNote}`,
          'With `delayLevel`, `delayMs` or `deliverAt` (at most one, at the top level) the message or batch waits in the chosen queue until due and only then gets its offset: the answer is a DelayedSendResult per message, with a `timerHandle` to read or cancel it by. A `deliverAt` that is not in the future sends at once.',
          transactionalSend.description,
        ].join('\n\n'),
        parameters: [
          query('oneway', 'Answer 202 without waiting for the store.', { type: 'string', enum: ['true', 'false', '1', '0'], default: 'false' }),
        ],
        requestBody: { required: true, description: 'One message, or `{"messages": [...]}`, or a transactional send.', content: json({ oneOf: [ref('SendRequest'), transactionalSend.request] }) },
        responses: {
          '200': {
            description: 'Stored: a SendResult for one message, `{"results": [...]}` for a batch; DelayedSendResults for a delayed send.',
            content: json({ oneOf: [ref('SendResult'), ref('SendBatchResult'), ref('DelayedSendResult'), ref('DelayedSendBatchResult'), transactionalSend.result] }),
          },
          '202': { description: 'Accepted (oneway): valid, sending in the background.', content: json(ref('OnewayAccepted')) },
          ...errorResponses(
            'MALFORMED_JSON',
            'INVALID_REQUEST',
            'INVALID_TOPIC_NAME',
            'INVALID_BROKER_NAME',
            'INVALID_MESSAGE',
            'RESERVED_PROPERTY',
            'BATCH_MIXED_TOPICS',
            ...transactionalSend.errors,
            'INVALID_DELAY',
            'NO_PERMISSION',
            'TOPIC_NOT_EXIST',
            'QUEUE_NOT_EXIST',
            'BROKER_NOT_EXIST',
            'MESSAGE_TOO_LARGE',
            'PROPERTIES_TOO_LARGE',
            'BATCH_TOO_LARGE',
            'REQUEST_TOO_LARGE',
            'BROKER_UNAVAILABLE',
            'NAMESERVER_UNAVAILABLE',
          ),
        },
      },
      get: {
        tags: ['messages'],
        operationId: 'queryMessages',
        summary: 'Find messages by key or unique key',
        description: 'Asks every queue of the topic (whatever its perm) and answers the newest matches first. Give exactly one of `key` and `uniqueKey`.',
        parameters: [
          query('key', 'A key the message was sent with (one key, no spaces).', { type: 'string', minLength: 1 }),
          query('uniqueKey', "The message's unique key (UNIQ_KEY); a resent message can match more than once.", { type: 'string', minLength: 1 }),
          query('maxMessages', 'Most messages to return.', { type: 'integer', minimum: 1, maximum: MAX_QUERY_MESSAGES, default: MAX_QUERY_MESSAGES }),
          query('begin', 'With `key`: earliest store time, ms since the epoch, inclusive. Ignored with `uniqueKey`.', { type: 'integer', minimum: 0, default: 0 }),
          query('end', 'With `key`: latest store time, ms since the epoch, inclusive. Ignored with `uniqueKey`.', {
            type: 'integer',
            minimum: 0,
            default: Number.MAX_SAFE_INTEGER,
          }),
          param('bodyEncoding'),
        ],
        responses: {
          ...ok('Matches, newest first (by store time, then queue offset).', 'QueryResult'),
          ...errorResponses('INVALID_REQUEST', 'INVALID_TOPIC_NAME', 'TOPIC_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
        },
      },
    },
    '/api/v1/messages/{msgId}': {
      get: {
        tags: ['messages'],
        operationId: 'getMessage',
        summary: 'Read a message by id',
        description: 'The id names its topic, broker group, queue and offset, so this is one lookup. A message that is no longer stored is MESSAGE_NOT_FOUND; one whose topic was deleted is TOPIC_NOT_EXIST.',
        parameters: [{ name: 'msgId', in: 'path', required: true, description: 'A msgId from a send or a pull.', schema: ref('MessageId') }, param('bodyEncoding')],
        responses: {
          ...ok('The message.', 'MessageView'),
          ...errorResponses('INVALID_MESSAGE_ID', 'INVALID_REQUEST', 'TOPIC_NOT_EXIST', 'MESSAGE_NOT_FOUND', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
        },
      },
    },
    '/api/v1/timers/{timerHandle}': {
      parameters: [param('timerHandle')],
      get: {
        tags: ['messages'],
        operationId: 'getTimer',
        summary: 'Read a pending delayed message',
        description:
          "The handle names its queue, so this is one lookup. TIMER_NOT_FOUND once the message was delivered (find it by uniqueKey then) or cancelled. While the queue's master does not answer, a slave answers from its copy of the timers.",
        parameters: [param('bodyEncoding')],
        responses: {
          ...ok('The pending message and when it is due.', 'TimerView'),
          ...errorResponses('INVALID_TIMER_HANDLE', 'INVALID_REQUEST', 'TOPIC_NOT_EXIST', 'TIMER_NOT_FOUND', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
        },
      },
      delete: {
        tags: ['messages'],
        operationId: 'cancelTimer',
        summary: 'Cancel a pending delayed message',
        description: 'The message is never delivered. TIMER_NOT_FOUND when it was already delivered or cancelled.',
        responses: {
          ...ok('Cancelled.', 'TimerCancelled'),
          ...errorResponses('INVALID_TIMER_HANDLE', 'TOPIC_NOT_EXIST', 'TIMER_NOT_FOUND', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
        },
      },
    },
    '/api/v1/topics/{topic}/queues/{brokerName}/{queueId}/messages': {
      parameters: queuePath,
      get: {
        tags: ['consume'],
        operationId: 'pullMessages',
        summary: 'Pull one queue from an offset',
        description: [
          'Reads up to `maxMessages` from `offset` that pass the tag filter. Always continue from `nextBeginOffset`.',
          `A filtered pull scans at most ${PULL_SCAN_WINDOW} offsets; when none of them matches it answers NO_MATCHED_MSG with nextBeginOffset after the window.`,
          `Long polling: with \`waitMs\` > 0 a pull that has reached the end of the queue (NO_NEW_MSG, or NO_MATCHED_MSG at the max offset) waits until a message arrives or the wait ends, then answers; the answer may then be NO_MATCHED_MSG with a larger nextBeginOffset.`,
          'The queue must be readable (queueId < readQueueNums, perm with read).',
        ].join('\n\n'),
        parameters: [
          query('offset', 'Queue offset to read from (INVALID_OFFSET when missing or not an integer >= 0).', { type: 'integer', minimum: 0 }, true),
          query('maxMessages', 'Most messages to return.', { type: 'integer', minimum: 1, maximum: MAX_PULL_MESSAGES, default: DEFAULT_PULL_MESSAGES }),
          query('waitMs', 'Long polling: how long to wait when there is no message.', { type: 'integer', minimum: 0, maximum: MAX_PULL_WAIT_MS, default: 0 }),
          query('tags', `Tag expression: \`*\` (or empty) for all, or tags separated by \`||\` (at most ${MAX_TAGS_IN_EXPRESSION}).`, {
            type: 'string',
            default: '*',
          }),
          param('bodyEncoding'),
        ],
        responses: {
          ...ok('The pull result; the status tells what happened.', 'PullResult'),
          ...errorResponses(
            'INVALID_REQUEST',
            'INVALID_OFFSET',
            'INVALID_TAG_EXPRESSION',
            'INVALID_TOPIC_NAME',
            'INVALID_BROKER_NAME',
            'NO_PERMISSION',
            'TOPIC_NOT_EXIST',
            'QUEUE_NOT_EXIST',
            'BROKER_UNAVAILABLE',
            'NAMESERVER_UNAVAILABLE',
          ),
        },
      },
    },
    '/api/v1/topics/{topic}/queues/{brokerName}/{queueId}/offset': {
      parameters: queuePath,
      get: {
        tags: ['consume'],
        operationId: 'searchOffset',
        summary: 'The offset of a time in a queue',
        description: "The first offset stored at or after `timestamp`, or the queue's max offset when every message is older. The queue must be readable.",
        parameters: [query('timestamp', 'Store time, ms since the epoch.', { type: 'integer', minimum: 0 }, true)],
        responses: {
          ...ok('The offset.', 'SearchOffsetResult'),
          ...errorResponses(
            'INVALID_REQUEST',
            'INVALID_TOPIC_NAME',
            'INVALID_BROKER_NAME',
            'NO_PERMISSION',
            'TOPIC_NOT_EXIST',
            'QUEUE_NOT_EXIST',
            'BROKER_UNAVAILABLE',
            'NAMESERVER_UNAVAILABLE',
          ),
        },
      },
    },
    '/api/v1/cluster': {
      get: {
        tags: ['cluster'],
        operationId: 'getCluster',
        summary: 'The cluster as a NameServer sees it',
        responses: { ...ok('Clusters, broker groups and live brokers.', 'ClusterView'), ...errorResponses('NAMESERVER_UNAVAILABLE') },
      },
    },
    '/api/v1/brokers': {
      get: {
        tags: ['cluster'],
        operationId: 'listBrokers',
        summary: "Every broker's own status",
        description: 'Asks each broker of the layout (masters and slaves) for its config, topic count and last registration.',
        responses: { ...ok('The brokers.', 'BrokerList'), ...errorResponses('BROKER_NOT_EXIST', 'BROKER_UNAVAILABLE') },
      },
    },
    ...popPaths,
    ...haPaths,
    ...streamPaths,
  },
  components: {
    schemas: { ...schemas, ...popSchemas, ...haSchemas },
    parameters: { ...parameters, ...popParameters },
    // The signature of docs/security.md; OpenAPI has no HMAC scheme, so it is described as an API key in Authorization.
    securitySchemes: {
      flaremqSignature: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'FLAREMQ-HMAC-SHA256 <accessKey>:<signature>, with X-Flaremq-Timestamp; see docs/security.md. Not needed in local development (no accounts).' },
    },
  },
  security: [{ flaremqSignature: [] }],
};

/** Transitional: the document generated from the declared routes (api/declare.ts), with the hand-written paths of routes not declared yet. */
let document: unknown;
export function openApiDocument(api: Router): unknown {
  if (document) return document;
  const generated = api.getOpenAPI31Document({ openapi: '3.1.0', info: handWritten.info, tags: handWritten.tags as { name: string; description: string }[] });
  const prefixed = Object.fromEntries(Object.entries(generated.paths ?? {}).map(([path, item]) => [`/api/v1${path}`, item]));
  const paths: Record<string, unknown> = { ...handWritten.paths };
  for (const path of Object.keys(prefixed)) delete paths[path];
  document = {
    ...handWritten,
    paths: { ...paths, ...prefixed },
    components: { ...handWritten.components, schemas: { ...handWritten.components.schemas, ...generated.components?.schemas } },
  };
  return document;
}
