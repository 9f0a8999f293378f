import { brokerOf } from '../core/broker-groups';
import { clusterConfig } from '../core/config';
import { brokerObjectName, queueObjectName, type QueueIdentity } from '../core/object-names';
import type { Env } from '../env';

/**
 * Stubs of a broker's objects, placed in the broker's region: the location
 * hint (wnam, enam, weur, …) takes effect when an object is first created and
 * is harmless after that. `getByName` does not take a hint everywhere, so the
 * id comes from `idFromName` (the same id `getByName` would use) and the stub
 * from `get(id, { locationHint })`.
 */
function hint(env: Env, brokerName: string, brokerId: number): DurableObjectNamespaceGetDurableObjectOptions | undefined {
  const broker = brokerOf(clusterConfig(env), brokerName, brokerId);
  return broker ? { locationHint: broker.region as DurableObjectLocationHint } : undefined;
}

/** The MessageQueue object of (topic, brokerName, queueId, brokerId), in its broker's region. */
export function queueObject(env: Env, identity: QueueIdentity) {
  const ns = env.MESSAGE_QUEUE;
  return ns.get(ns.idFromName(queueObjectName(identity)), hint(env, identity.brokerName, identity.brokerId));
}

/** The Broker object of (brokerName, brokerId), in its region. */
export function brokerObject(env: Env, brokerName: string, brokerId: number) {
  const ns = env.BROKER;
  return ns.get(ns.idFromName(brokerObjectName(brokerName, brokerId)), hint(env, brokerName, brokerId));
}
