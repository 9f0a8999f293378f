import { LatencyFaultTolerance } from '../core/fault-tolerance';
import { toAllNameServers } from '../durable-objects/name-server-client';
import type { Env } from '../env';

/**
 * This isolate's latency fault tolerance for sends (src/core/fault-tolerance.ts,
 * RocketMQ 5's defaults): every send to a broker group's master records how
 * long it took, a failed one counts as 10 s, and round-robin sends avoid a
 * group while it is marked unavailable (up to 30 s), without waiting for the
 * NameServers to drop it.
 */
export const sendFaults = new LatencyFaultTolerance();

/** Records a call to a group's master that started at `startedAt`; answers whether a failure just made the group unavailable. */
export function noteBrokerCall(brokerName: string, startedAt: number, failed: boolean, now = Date.now()): boolean {
  return sendFaults.update(brokerName, now - startedAt, failed, now).newlyUnavailable;
}

/**
 * Tells every NameServer that a broker failed; each drops it at once if it
 * does not answer the NameServer's own probe (name-server-probe.ts), so that
 * other clients stop routing to it too. Best effort: never throws.
 */
export async function reportUnreachable(env: Env, brokerName: string, brokerId: number): Promise<void> {
  try {
    await toAllNameServers(env, (ns) => ns.reportUnreachable(brokerName, brokerId));
  } catch (err) {
    console.warn(`reporting ${brokerName}/${brokerId} to the NameServers failed`, err);
  }
}
