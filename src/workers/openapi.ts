/**
 * The OpenAPI 3.1 description of the JSON REST API, served at
 * /api/v1/openapi.json. Schemas, parameters and error responses live in
 * openapi-schemas.ts; limits come from src/core/limits.ts and the error codes
 * from src/core/errors.ts. docs/api.md is the same API for humans.
 */
import { STATS_KEEP_MINUTES } from '../core/limits';
import { groupParameters, groupPaths, groupSchemas } from './openapi-groups';
import { haPaths, haSchemas } from './openapi-ha';
import { popParameters, popPaths, popSchemas, popTags } from './openapi-pop';
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
import type { Router } from './api/declare';

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
    '/api/v1/groups/{group}/offsets': {
      parameters: [param('group')],
      get: {
        tags: ['offsets'],
        operationId: 'getGroupOffsets',
        summary: "A group's offsets and lag on a topic",
        parameters: [query('topic', 'The topic (INVALID_TOPIC_NAME when missing).', ref('TopicName'), true)],
        responses: {
          ...ok('One entry per readable queue, and the total lag.', 'GroupOffsets'),
          ...errorResponses('INVALID_GROUP_NAME', 'INVALID_TOPIC_NAME', 'TOPIC_NOT_EXIST', 'BROKER_UNAVAILABLE', 'NAMESERVER_UNAVAILABLE'),
        },
      },
      put: {
        tags: ['offsets'],
        operationId: 'commitGroupOffsets',
        summary: 'Commit offsets',
        description: `Each offset must be at most its queue's max offset (OFFSET_OUT_OF_RANGE) and its queue readable; all are checked before any is stored. The commits are then stored queue by queue, not in one transaction. ${requestBodyNote}`,
        requestBody: jsonBody('CommitOffsetsRequest', 'The topic and one or more (brokerName, queueId, offset).'),
        responses: {
          ...ok('The stored offsets.', 'CommittedOffsets'),
          ...errorResponses(
            'MALFORMED_JSON',
            'INVALID_REQUEST',
            'INVALID_GROUP_NAME',
            'INVALID_TOPIC_NAME',
            'INVALID_BROKER_NAME',
            'INVALID_OFFSET',
            'OFFSET_OUT_OF_RANGE',
            'NO_PERMISSION',
            'TOPIC_NOT_EXIST',
            'QUEUE_NOT_EXIST',
            'REQUEST_TOO_LARGE',
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
    ...groupPaths,
    ...popPaths,
    ...haPaths,
  },
  components: {
    schemas: { ...schemas, ...groupSchemas, ...popSchemas, ...haSchemas },
    parameters: { ...parameters, ...groupParameters, ...popParameters },
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
