import { Hono } from 'hono';
import { FlareError } from '../../core/errors';
import { validateBrokerName } from '../../core/names';
import { MASTER_ID } from '../../core/route';
import { brokerObject } from '../../durable-objects/stubs';
import type { Env } from '../../env';
import { brokerCall, config } from '../cluster';
import { sendFaults } from '../latency-faults';
import { readJson } from '../request';

/**
 * Broker administration for high availability (docs/deployment.md):
 * the fault-injection switch and a group's replication status.
 */
export const brokersAdmin = new Hono<{ Bindings: Env }>();

function groupOf(env: Env, raw: string) {
  const brokerName = validateBrokerName(raw);
  const brokers = config(env).brokers.filter((b) => b.brokerName === brokerName);
  if (brokers.length === 0) throw new FlareError('BROKER_NOT_EXIST', `broker group '${brokerName}' is not in the cluster layout`);
  return { brokerName, brokers };
}

function parseFaultRequest(body: unknown, known: number[]): { down: boolean; brokerIds: number[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlareError('INVALID_REQUEST', 'the request body must be {"down": true|false, "brokerIds"?: [0, ...]}');
  const { down, brokerIds } = body as Record<string, unknown>;
  if (typeof down !== 'boolean') throw new FlareError('INVALID_REQUEST', 'down must be true or false');
  if (brokerIds === undefined) return { down, brokerIds: known };
  if (!Array.isArray(brokerIds) || brokerIds.length === 0 || brokerIds.some((id) => !known.includes(id as number))) {
    throw new FlareError('INVALID_REQUEST', `brokerIds must be a non-empty array of this group's broker ids: ${known.join(', ')}`);
  }
  return { down, brokerIds: [...new Set(brokerIds as number[])] };
}

/**
 * Fault injection: `{"down": true}` takes every broker of the group down (or
 * only `brokerIds`): it stops heartbeating and it and its queues refuse
 * requests, as a crashed broker would. `{"down": false}` brings it back.
 * Off unless FAULT_INJECTION_ENABLE is true.
 */
brokersAdmin.put('/brokers/:brokerName/fault', async (c) => {
  if (!config(c.env).faultInjectionEnable) {
    throw new FlareError('NOT_FOUND', 'fault injection is off in this deployment; set the FAULT_INJECTION_ENABLE var to true to use it');
  }
  const { brokerName, brokers } = groupOf(c.env, c.req.param('brokerName'));
  const { down, brokerIds } = parseFaultRequest(await readJson(c), brokers.map((b) => b.brokerId));
  const statuses = [];
  for (const brokerId of brokerIds.sort((a, b) => a - b)) {
    statuses.push(await brokerCall(() => brokerObject(c.env, brokerName, brokerId).setFault(down)));
  }
  // This isolate knows at once; others learn from failed sends or from the NameServers.
  if (!down && brokerIds.includes(MASTER_ID)) sendFaults.remove(brokerName);
  return c.json({ brokerName, down, brokers: statuses });
});

/** Each slave's replication lag over every queue of the group's master (null for a group without slaves). */
brokersAdmin.get('/brokers/:brokerName/replication', async (c) => {
  const { brokerName } = groupOf(c.env, c.req.param('brokerName'));
  const replication = await brokerCall(() => brokerObject(c.env, brokerName, MASTER_ID).replicationStatus());
  return c.json({ brokerName, replication });
});
