/**
 * The brokers of the layout: their status (with replication lag for masters
 * with slaves), one group's replication, and the fault-injection switch.
 * Served by routes/cluster.ts and read by /metrics.
 */
import { FlareError } from '../core/errors';
import { MASTER_ID } from '../core/route';
import { brokerObject } from '../durable-objects/stubs';
import type { Env } from '../env';
import { config } from './cluster';
import { sendFaults } from './latency-faults';

/** Every configured broker's status; a broker that cannot answer is listed with its error. */
export async function brokerStatuses(env: Env) {
  return Promise.all(
    config(env).brokers.map(async (b) => {
      try {
        const stub = brokerObject(env, b.brokerName, b.brokerId);
        const status = await stub.status();
        // A master with slaves: each slave's replication lag (docs/deployment.md).
        const replication =
          b.brokerId === MASTER_ID && !status.faultInjection.down
            ? await stub.replicationStatus().catch(() => null)
            : null;
        return replication ? { ...status, replication } : status;
      } catch (err) {
        const flare = err as FlareError;
        return { config: b, error: { code: flare.code, message: flare.detail, retriable: flare.retriable } };
      }
    }),
  );
}

/** The brokers of the group `brokerName`: BROKER_NOT_EXIST when the layout has none. */
function groupOf(env: Env, brokerName: string) {
  const brokers = config(env).brokers.filter((b) => b.brokerName === brokerName);
  if (brokers.length === 0)
    throw new FlareError('BROKER_NOT_EXIST', `broker group '${brokerName}' is not in the cluster layout`);
  return brokers;
}

/** How far each slave of the group's master got (null for a group without slaves). */
export async function groupReplication(env: Env, brokerName: string) {
  groupOf(env, brokerName);
  return brokerObject(env, brokerName, MASTER_ID).replicationStatus();
}

/** Takes brokers of a group down (or brings them back): every one, or those of `brokerIds`. */
export async function setFault(env: Env, brokerName: string, down: boolean, brokerIds?: number[]) {
  if (!config(env).faultInjectionEnable) {
    throw new FlareError(
      'NOT_FOUND',
      'fault injection is off in this deployment; set the FAULT_INJECTION_ENABLE var to true to use it',
    );
  }
  const known = groupOf(env, brokerName).map((b) => b.brokerId);
  if (brokerIds?.some((id) => !known.includes(id))) {
    throw new FlareError(
      'INVALID_REQUEST',
      `brokerIds must be a non-empty array of this group's broker ids: ${known.join(', ')}`,
    );
  }
  const switched = [...new Set(brokerIds ?? known)].sort((a, b) => a - b);
  const brokers = [];
  for (const brokerId of switched) brokers.push(await brokerObject(env, brokerName, brokerId).setFault(down));
  // This isolate knows at once; others learn from failed sends or from the NameServers.
  if (!down && switched.includes(MASTER_ID)) sendFaults.remove(brokerName);
  return brokers;
}
