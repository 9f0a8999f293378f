import type { Env } from '../env';
import { brokerObject } from './stubs';

/** How long a NameServer waits for a broker's answer when a client reports it unreachable. */
export const PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether a broker answers now: a NameServer asks before it believes a
 * client that says the broker failed, so that one failed request (or a
 * client's mistake) does not drop a live broker. RocketMQ's NameServer
 * learns the same from the broker's connection closing.
 */
export async function brokerAnswers(
  env: Env,
  brokerName: string,
  brokerId: number,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([brokerObject(env, brokerName, brokerId).ping(), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
