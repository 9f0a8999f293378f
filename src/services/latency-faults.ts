import { LatencyFaultTolerance } from '../core/fault-tolerance';
import { MASTER_ID } from '../core/route';
import { toAllNameServers } from '../durable-objects/name-server-client';
import type { CallWatch } from '../durable-objects/stubs';
import type { Env } from '../env';
import { log } from '../log';

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
    log.warn('reporting an unreachable broker to the NameServers failed', { brokerName, brokerId, error: err });
  }
}

/** The calls whose time counts: sends (plain, delayed, half messages), as RocketMQ times its sends. */
const TIMED = new Set(['putMessages', 'schedule', 'prepareHalf']);

/**
 * What the Worker's stubs of a group's master watch (cluster.ts queueStub):
 * every send's time, and every failed call (BROKER_UNAVAILABLE, or no answer),
 * which, when it makes the group unavailable, is reported to the NameServers.
 */
export function watchMaster(env: Env, brokerName: string): CallWatch {
  return async (method, startedAt, failed) => {
    if (!failed && !TIMED.has(method)) return;
    if (noteBrokerCall(brokerName, startedAt, failed)) await reportUnreachable(env, brokerName, MASTER_ID);
  };
}
