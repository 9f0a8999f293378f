/**
 * The high-availability part of the OpenAPI document (merged in openapi.ts):
 * fault injection and replication status (routes/brokers-admin.ts).
 * docs/deployment.md is the guide.
 */
import { arrayOf, errorResponses, int, jsonBody, millis, obj, ok, str } from './openapi-schemas';

type Json = Record<string, unknown>;

const brokerName: Json = { name: 'brokerName', in: 'path', required: true, description: 'A broker group of the layout.', schema: { $ref: '#/components/schemas/BrokerName' } };

export const haSchemas: Record<string, Json> = {
  FaultInjection: obj(
    { down: { type: 'boolean' }, since: millis('When it was taken down (0 when up)') },
    { description: 'The fault-injection switch of a broker: while down it neither heartbeats nor serves.' },
  ),
  FaultRequest: obj(
    {
      down: { type: 'boolean', description: 'true takes the brokers down, false brings them back.' },
      brokerIds: arrayOf({ type: 'integer', minimum: 0 }, { minItems: 1, description: 'Which brokers of the group; every one when absent.' }),
    },
    { required: ['down'] },
  ),
  FaultAnswer: obj({
    brokerName: { $ref: '#/components/schemas/BrokerName' },
    down: { type: 'boolean' },
    brokers: arrayOf({ $ref: '#/components/schemas/BrokerStatus' }, { description: 'The status of each broker switched, by brokerId.' }),
  }),
  SlaveReplication: obj({
    brokerId: int('The slave.', { minimum: 1 }),
    region: str('Its location hint.'),
    lagEntries: int('Messages the slave lacks, over every queue.', { minimum: 0 }),
    lagSeconds: { type: 'number', minimum: 0, description: 'Age of the oldest message the slave lacks, in seconds (0 when it lacks none).' },
    unavailableQueues: int('Queues whose last ship to this slave failed (retried every 5 s).', { minimum: 0 }),
    lastError: str('One of the errors, if any.'),
  }),
  ReplicationStatus: obj({
    brokerRole: { type: 'string', enum: ['ASYNC_MASTER', 'SYNC_MASTER'] },
    queues: int('Queue objects asked.', { minimum: 0 }),
    partial: { type: 'boolean', description: 'True when the group hosts more queues than were asked (4096).' },
    slaves: arrayOf({ $ref: '#/components/schemas/SlaveReplication' }),
  }),
  ReplicationAnswer: obj({
    brokerName: { $ref: '#/components/schemas/BrokerName' },
    replication: { oneOf: [{ $ref: '#/components/schemas/ReplicationStatus' }, { type: 'null' }], description: 'null for a group without slaves.' },
  }),
};

export const haPaths: Record<string, Json> = {
  '/api/v1/brokers/{brokerName}/fault': {
    parameters: [brokerName],
    put: {
      tags: ['cluster'],
      operationId: 'setBrokerFault',
      summary: 'Fault injection: take a broker group (or some of its brokers) down, or bring it back',
      description:
        'Down, a broker stops heartbeating and it and all its queue objects refuse requests with BROKER_UNAVAILABLE, as a crashed broker would; NameServers drop it after 120 s, or at once when a client reports it and it does not answer their probe. Up, it registers again at once. Served only when the FAULT_INJECTION_ENABLE var is true (NOT_FOUND otherwise).',
      requestBody: jsonBody('FaultRequest', '`{"down": true}`; optional `brokerIds`.'),
      responses: {
        ...ok('The brokers switched.', 'FaultAnswer'),
        ...errorResponses('MALFORMED_JSON', 'INVALID_REQUEST', 'INVALID_BROKER_NAME', 'NOT_FOUND', 'BROKER_NOT_EXIST', 'BROKER_UNAVAILABLE'),
      },
    },
  },
  '/api/v1/brokers/{brokerName}/replication': {
    parameters: [brokerName],
    get: {
      tags: ['cluster'],
      operationId: 'getBrokerReplication',
      summary: "Replication lag of each slave of a group's master",
      description: 'Asks every queue object of the master how far each slave has acknowledged: messages the slave lacks and the age of the oldest of them.',
      responses: { ...ok('The lag per slave.', 'ReplicationAnswer'), ...errorResponses('INVALID_BROKER_NAME', 'BROKER_NOT_EXIST', 'BROKER_UNAVAILABLE') },
    },
  },
};
