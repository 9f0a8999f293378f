import { DEFAULT_TIMER_MAX_DELAY_MS, TIMER_MAX_DELAY_LIMIT_MS, parseDelayLevels } from './delay-levels';
import { FlareError } from './errors';
import { MAX_QUEUES_PER_BROKER } from './limits';
import { validateBrokerName } from './names';

export type BrokerRole = 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';
export type FlushDiskType = 'SYNC_FLUSH' | 'ASYNC_FLUSH';

/** Cloudflare's location hints, where a broker's objects are placed. */
export const REGIONS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'] as const;

/** One broker of a broker group (RocketMQ's broker.conf). */
export interface BrokerConfig {
  /** The broker group. */
  brokerName: string;
  /** 0 for the master, > 0 for slaves. */
  brokerId: number;
  /** @defaultValue "ASYNC_MASTER" for brokerId 0, "SLAVE" otherwise */
  brokerRole: BrokerRole;
  /** @defaultValue "SYNC_FLUSH" */
  flushDiskType: FlushDiskType;
  /** Hours of the day (two digits, ";"-separated) when retention runs. @defaultValue "04" */
  deleteWhen: string;
  /** Hours a message is kept. @defaultValue 72 */
  fileReservedTime: number;
  /** Location hint for this broker's objects. @defaultValue "wnam" */
  region: string;
}

/** The cluster layout, read from the Worker's vars (see wrangler.toml). */
export interface ClusterConfig {
  /** CLUSTER_NAME. @defaultValue "DefaultCluster" */
  clusterName: string;
  /** BROKERS: every broker of every group. @defaultValue broker-a and broker-b, one master each */
  brokers: BrokerConfig[];
  /** NAMESERVER_COUNT: NameServer objects ns-0 … ns-{n-1}. @defaultValue 2 */
  nameServerCount: number;
  /** AUTO_CREATE_TOPIC_ENABLE: a send to an unknown topic creates it. @defaultValue true */
  autoCreateTopicEnable: boolean;
  /** DEFAULT_TOPIC_QUEUE_NUMS: queues per broker group of a new topic. @defaultValue 4 */
  defaultTopicQueueNums: number;
  /** MAX_MESSAGE_SIZE: largest message body in bytes. @defaultValue 1048576 (1 MiB) */
  maxMessageSize: number;
  /** MESSAGE_DELAY_LEVEL: delay level n waits delayLevels[n - 1] ms. @defaultValue RocketMQ's 18 levels, 1s … 2h */
  delayLevels: number[];
  /** TIMER_MAX_DELAY_MS: longest delay of a timer message (delayMs, deliverAt). @defaultValue 259200000 (3 days) */
  timerMaxDelayMs: number;
  /** TRANSACTION_TIMEOUT_MS: a half message is first checked this long after it was sent (RocketMQ's transactionTimeOut). @defaultValue 6000 */
  transactionTimeoutMs: number;
  /** TRANSACTION_CHECK_INTERVAL_MS: an unresolved half message is checked again this often (transactionCheckInterval). @defaultValue 30000 */
  transactionCheckIntervalMs: number;
  /** TRANSACTION_CHECK_MAX: checks before an unresolved half message is discarded (transactionCheckMax). @defaultValue 15 */
  transactionCheckMax: number;
  /** SLAVE_TIMEOUT_MS: how long a SYNC_MASTER send waits for a slave before answering FLUSH_SLAVE_TIMEOUT (RocketMQ's slaveTimeout). @defaultValue 3000 */
  slaveTimeoutMs: number;
  /** MAX_QUEUE_BYTES: storage cap of one queue object; above it retention deletes the oldest messages. @defaultValue 1073741824 (1 GiB) */
  maxQueueBytes: number;
  /** ASYNC_FLUSH_INTERVAL_MS: how long an ASYNC_FLUSH broker holds answered sends before writing them (RocketMQ's flushIntervalCommitLog). @defaultValue 100 */
  asyncFlushIntervalMs: number;
  /**
   * BROADCAST_OFFSET_EXPIRY_MS: a broadcasting instance's offsets on a queue (`group#instanceName`)
   * are deleted by the queue's alarm once they were last committed this long ago and the instance is
   * not a live member of its group. Longer than the default fileReservedTime (72 h): an instance away
   * for longer has lost messages to retention anyway. @defaultValue 604800000 (7 days)
   */
  broadcastOffsetExpiryMs: number;
  /** FAULT_INJECTION_ENABLE: serve the fault-injection switch (PUT /api/v1/brokers/{brokerName}/fault), for tests and drills. @defaultValue false */
  faultInjectionEnable: boolean;
  /**
   * CORS_ALLOWED_ORIGINS: the web origins (`https://console.example.com`, comma- or space-separated)
   * whose pages may call the API from a browser, besides the deployment's own origin (its dashboard).
   * Other origins get no CORS allow headers and their writes are refused (403 ORIGIN_NOT_ALLOWED;
   * docs/security.md). @defaultValue none: the deployment's own origin only
   */
  corsAllowedOrigins: string[];
}

/** The vars the Worker reads; strings (as from the dashboard) or JSON values (as from wrangler.toml). */
export interface ClusterVars {
  CLUSTER_NAME?: string;
  BROKERS?: unknown;
  NAMESERVER_COUNT?: string | number;
  AUTO_CREATE_TOPIC_ENABLE?: string | boolean;
  DEFAULT_TOPIC_QUEUE_NUMS?: string | number;
  MAX_MESSAGE_SIZE?: string | number;
  MESSAGE_DELAY_LEVEL?: string;
  TIMER_MAX_DELAY_MS?: string | number;
  TRANSACTION_TIMEOUT_MS?: string | number;
  TRANSACTION_CHECK_INTERVAL_MS?: string | number;
  TRANSACTION_CHECK_MAX?: string | number;
  SLAVE_TIMEOUT_MS?: string | number;
  MAX_QUEUE_BYTES?: string | number;
  FAULT_INJECTION_ENABLE?: string | boolean;
  ASYNC_FLUSH_INTERVAL_MS?: string | number;
  BROADCAST_OFFSET_EXPIRY_MS?: string | number;
  CORS_ALLOWED_ORIGINS?: string;
}

/** Default storage cap of one queue object (MAX_QUEUE_BYTES): 1 GiB. */
export const DEFAULT_MAX_QUEUE_BYTES = 1024 * 1024 * 1024;
/** Default BROADCAST_OFFSET_EXPIRY_MS: 7 days. */
export const DEFAULT_BROADCAST_OFFSET_EXPIRY_MS = 7 * 24 * 3_600_000;
/** Highest MAX_QUEUE_BYTES: 8 GiB, under the 10 GB a Durable Object may store. */
export const MAX_QUEUE_BYTES_LIMIT = 8 * 1024 * 1024 * 1024;

/** Most a message body may be configured to: what one SQLite row takes, with room for the rest. */
export const MAX_MESSAGE_SIZE_LIMIT = 2 * 1024 * 1024 - 64 * 1024;

const DEFAULT_BROKERS: unknown[] = [
  { brokerName: 'broker-a', brokerId: 0 },
  { brokerName: 'broker-b', brokerId: 0 },
];

function invalid(what: string): FlareError {
  return new FlareError('CONFIG_INVALID', what);
}

function integer(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

function boolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(`${name} must be true or false`);
}

function parseBroker(raw: unknown, index: number): BrokerConfig {
  if (typeof raw !== 'object' || raw === null) throw invalid(`BROKERS[${index}] must be an object`);
  const b = raw as Record<string, unknown>;
  let brokerName: string;
  try {
    brokerName = validateBrokerName(b.brokerName);
  } catch {
    throw invalid(`BROKERS[${index}].brokerName must be 1 to 64 letters, digits, _ or -`);
  }
  const brokerId = integer(b.brokerId, `BROKERS[${index}].brokerId`, 0, 0, 255);
  const brokerRole = (b.brokerRole ?? (brokerId === 0 ? 'ASYNC_MASTER' : 'SLAVE')) as BrokerRole;
  if (!['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'].includes(brokerRole)) {
    throw invalid(`BROKERS[${index}].brokerRole must be ASYNC_MASTER, SYNC_MASTER or SLAVE`);
  }
  if ((brokerId === 0) !== (brokerRole !== 'SLAVE')) {
    throw invalid(
      `BROKERS[${index}]: brokerId 0 is the master (ASYNC_MASTER or SYNC_MASTER); slaves have brokerId > 0 and role SLAVE`,
    );
  }
  const flushDiskType = (b.flushDiskType ?? 'SYNC_FLUSH') as FlushDiskType;
  if (!['SYNC_FLUSH', 'ASYNC_FLUSH'].includes(flushDiskType)) {
    throw invalid(`BROKERS[${index}].flushDiskType must be SYNC_FLUSH or ASYNC_FLUSH`);
  }
  const deleteWhen = String(b.deleteWhen ?? '04');
  if (!/^([01]\d|2[0-3])(;([01]\d|2[0-3]))*$/.test(deleteWhen)) {
    throw invalid(`BROKERS[${index}].deleteWhen must be hours as two digits separated by ';' (like "04" or "04;16")`);
  }
  const fileReservedTime = integer(b.fileReservedTime, `BROKERS[${index}].fileReservedTime`, 72, 1, 24 * 365 * 10);
  const region = String(b.region ?? 'wnam');
  if (!(REGIONS as readonly string[]).includes(region)) {
    throw invalid(`BROKERS[${index}].region must be one of ${REGIONS.join(', ')}`);
  }
  return { brokerName, brokerId, brokerRole, flushDiskType, deleteWhen, fileReservedTime, region };
}

/** Parses CORS_ALLOWED_ORIGINS: each entry an origin exactly as browsers send it (scheme://host[:port], no path). */
function parseOrigins(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  if (typeof value !== 'string')
    throw invalid('CORS_ALLOWED_ORIGINS must be a string of origins separated by commas or spaces');
  return value
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .map((entry) => {
      let origin = '';
      try {
        origin = new URL(entry).origin;
      } catch {
        // reported below
      }
      if (origin !== entry || !/^https?:\/\//.test(entry)) {
        throw invalid(
          `CORS_ALLOWED_ORIGINS lists '${entry.slice(0, 80)}'; each entry is an origin like https://console.example.com (scheme, host, optional port; no path, no '*')`,
        );
      }
      return origin;
    });
}

/** Reads and checks the cluster layout; throws CONFIG_INVALID naming the var to fix. */
export function parseClusterConfig(vars: ClusterVars): ClusterConfig {
  let rawBrokers: unknown = vars.BROKERS ?? DEFAULT_BROKERS;
  if (typeof rawBrokers === 'string') {
    try {
      rawBrokers = JSON.parse(rawBrokers);
    } catch {
      throw invalid('BROKERS must be a JSON array of brokers');
    }
  }
  if (!Array.isArray(rawBrokers) || rawBrokers.length === 0) throw invalid('BROKERS must be a non-empty array');
  const brokers = rawBrokers.map(parseBroker);
  const seen = new Set<string>();
  for (const b of brokers) {
    const key = `${b.brokerName}:${b.brokerId}`;
    if (seen.has(key)) throw invalid(`BROKERS lists ${b.brokerName} brokerId ${b.brokerId} twice`);
    seen.add(key);
  }
  for (const name of new Set(brokers.map((b) => b.brokerName))) {
    if (!brokers.some((b) => b.brokerName === name && b.brokerId === 0))
      throw invalid(`broker group ${name} has no master (brokerId 0)`);
  }
  const clusterName = vars.CLUSTER_NAME ?? 'DefaultCluster';
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(clusterName)) throw invalid('CLUSTER_NAME must be 1 to 64 letters, digits, _ or -');
  return {
    clusterName,
    brokers,
    nameServerCount: integer(vars.NAMESERVER_COUNT, 'NAMESERVER_COUNT', 2, 1, 16),
    autoCreateTopicEnable: boolean(vars.AUTO_CREATE_TOPIC_ENABLE, 'AUTO_CREATE_TOPIC_ENABLE', true),
    defaultTopicQueueNums: integer(
      vars.DEFAULT_TOPIC_QUEUE_NUMS,
      'DEFAULT_TOPIC_QUEUE_NUMS',
      4,
      1,
      MAX_QUEUES_PER_BROKER,
    ),
    maxMessageSize: integer(vars.MAX_MESSAGE_SIZE, 'MAX_MESSAGE_SIZE', 1024 * 1024, 1, MAX_MESSAGE_SIZE_LIMIT),
    delayLevels: parseDelayLevels(vars.MESSAGE_DELAY_LEVEL),
    timerMaxDelayMs: integer(
      vars.TIMER_MAX_DELAY_MS,
      'TIMER_MAX_DELAY_MS',
      DEFAULT_TIMER_MAX_DELAY_MS,
      1,
      TIMER_MAX_DELAY_LIMIT_MS,
    ),
    transactionTimeoutMs: integer(vars.TRANSACTION_TIMEOUT_MS, 'TRANSACTION_TIMEOUT_MS', 6_000, 1, 12 * 3_600_000),
    transactionCheckIntervalMs: integer(
      vars.TRANSACTION_CHECK_INTERVAL_MS,
      'TRANSACTION_CHECK_INTERVAL_MS',
      30_000,
      1_000,
      12 * 3_600_000,
    ),
    transactionCheckMax: integer(vars.TRANSACTION_CHECK_MAX, 'TRANSACTION_CHECK_MAX', 15, 1, 1_000),
    slaveTimeoutMs: integer(vars.SLAVE_TIMEOUT_MS, 'SLAVE_TIMEOUT_MS', 3_000, 1, 60_000),
    maxQueueBytes: integer(
      vars.MAX_QUEUE_BYTES,
      'MAX_QUEUE_BYTES',
      DEFAULT_MAX_QUEUE_BYTES,
      64 * 1024,
      MAX_QUEUE_BYTES_LIMIT,
    ),
    faultInjectionEnable: boolean(vars.FAULT_INJECTION_ENABLE, 'FAULT_INJECTION_ENABLE', false),
    corsAllowedOrigins: parseOrigins(vars.CORS_ALLOWED_ORIGINS),
    asyncFlushIntervalMs: integer(vars.ASYNC_FLUSH_INTERVAL_MS, 'ASYNC_FLUSH_INTERVAL_MS', 100, 1, 60_000),
    broadcastOffsetExpiryMs: integer(
      vars.BROADCAST_OFFSET_EXPIRY_MS,
      'BROADCAST_OFFSET_EXPIRY_MS',
      DEFAULT_BROADCAST_OFFSET_EXPIRY_MS,
      3_600_000,
      10 * 365 * 24 * 3_600_000,
    ),
  };
}

const cache = new WeakMap<object, ClusterConfig>();

/** parseClusterConfig, once per env object. */
export function clusterConfig(vars: ClusterVars): ClusterConfig {
  let config = cache.get(vars);
  if (!config) {
    config = parseClusterConfig(vars);
    cache.set(vars, config);
  }
  return config;
}

/** The broker groups' master configs, in configuration order. */
export function masters(config: ClusterConfig): BrokerConfig[] {
  return config.brokers.filter((b) => b.brokerId === 0);
}
