/**
 * The OpenAPI 3.1 description of the JSON REST API, served at
 * /api/v1/openapi.json: generated from the route declarations
 * (api/declare.ts), with the document's info, tags and security scheme
 * written here. Limits come from src/core/limits.ts and the error codes from
 * src/core/errors.ts. docs/api.md is the same API for humans.
 */
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_COUNT,
  MAX_PROPERTIES_BYTES,
  MAX_PROPERTIES_COUNT,
  MAX_TAGS_IN_EXPRESSION,
} from '../core/limits';
import type { Router } from './api/declare';
import { ErrorResponse, errorCodeTable } from './api/fields';

/** Limits quoted in the document's text. */
const limitsText = [
  `Tag expression: at most ${MAX_TAGS_IN_EXPRESSION} tags.`,
  `Batch: at most ${MAX_BATCH_COUNT} messages and ${MAX_BATCH_BYTES} bytes.`,
  `Properties: at most ${MAX_PROPERTIES_COUNT}, ${MAX_PROPERTIES_BYTES} bytes as JSON.`,
].join(' ');

const info = {
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
};

const tags = [
  { name: 'topics', description: 'Create, update, delete, list and inspect topics.' },
  { name: 'messages', description: 'Send messages, and find them by id, key or unique key.' },
  { name: 'consume', description: 'Pull a queue from an offset; find the offset of a time.' },
  { name: 'offsets', description: "A consumer group's committed offsets and lag." },
  {
    name: 'groups',
    description:
      'Consumer groups: config, status and lag; the member protocol (heartbeat, member pull, commit, unlock, leave); offset reset and skip; retry and dead letters. docs/consuming.md is the guide.',
  },
  {
    name: 'pop',
    description:
      "Pop consumption (RocketMQ 5's SimpleConsumer): the broker picks the queues, popped messages stay invisible to the group until acked or until their invisible time lapses. docs/pop.md is the guide.",
  },
  {
    name: 'transactions',
    description:
      'Transactional messages: half messages, commit and rollback, check-back (a check URL, or the half-message pop), discarded transactions. docs/transactions.md is the guide.',
  },
  { name: 'cluster', description: 'NameServers, broker groups and brokers.' },
  { name: 'meta', description: 'This document and the index.' },
];

let document: unknown;

/** The document of `app`'s declared routes (the app with the API mounted at /api/v1), built once. */
export function openApiDocument(app: Router): unknown {
  if (document) return document;
  app.openAPIRegistry.register('ErrorResponse', ErrorResponse);
  // The signature of docs/security.md; OpenAPI has no HMAC scheme, so it is described as an API key in Authorization.
  app.openAPIRegistry.registerComponent('securitySchemes', 'flaremqSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      'FLAREMQ-HMAC-SHA256 <accessKey>:<signature>, with X-Flaremq-Timestamp; see docs/security.md. Not needed in local development (no accounts).',
  });
  const generated = app.getOpenAPI31Document({ openapi: '3.1.0', info, tags, security: [{ flaremqSignature: [] }] });
  document = generated;
  return document;
}
