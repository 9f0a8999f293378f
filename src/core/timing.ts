/** Intervals of the cluster's timers, RocketMQ's defaults. */

/** A broker registers with every NameServer this often. */
export const BROKER_HEARTBEAT_MS = 30_000;
/** A NameServer drops a broker whose last registration is older than this. */
export const BROKER_EXPIRY_MS = 120_000;
/** A NameServer scans for expired brokers this often. */
export const NAMESERVER_SCAN_MS = 10_000;
/** The Worker caches a topic route this long per isolate (and drops it when a send fails). */
export const ROUTE_CACHE_TTL_MS = 30_000;
