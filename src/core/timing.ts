/** Intervals of the cluster's timers, RocketMQ's defaults. */

/** A broker registers with every NameServer this often. */
export const BROKER_HEARTBEAT_MS = 30_000;
/** A NameServer drops a broker whose last registration is older than this. */
export const BROKER_EXPIRY_MS = 120_000;
/** A NameServer scans for expired brokers this often. */
export const NAMESERVER_SCAN_MS = 10_000;
/** The Worker caches a topic route this long per isolate (and drops it when a send fails). */
export const ROUTE_CACHE_TTL_MS = 30_000;
/** The shortest heartbeat interval a member is told to use: right after subscribing to a topic that has no queues yet. */
export const TOPIC_WAIT_HEARTBEAT_MIN_MS = 2_000;

/**
 * The heartbeat interval of a member whose subscribed topic has had no queues
 * for `waitedMs` since it subscribed: a quarter of that wait, from
 * {@link TOPIC_WAIT_HEARTBEAT_MIN_MS} up to {@link BROKER_HEARTBEAT_MS} (reached
 * after 2 minutes), so that a topic created soon after the member subscribed
 * (by a producer's first send) is consumed within seconds, and one that never
 * comes costs no more than the usual heartbeats.
 */
export function topicWaitHeartbeatMs(waitedMs: number): number {
  return Math.min(BROKER_HEARTBEAT_MS, Math.max(TOPIC_WAIT_HEARTBEAT_MIN_MS, Math.floor(waitedMs / 4)));
}
