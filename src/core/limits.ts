/** Size and count limits, enforced before anything is stored. */

/** Largest batch: sum of bodies and properties of its messages, like RocketMQ's 4 MiB. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Most messages in one batch (each is a row; more belong in another request). */
export const MAX_BATCH_COUNT = 1000;
/** Properties of one message, serialized as JSON. */
export const MAX_PROPERTIES_BYTES = 32 * 1024;
/** Most user properties on one message. */
export const MAX_PROPERTIES_COUNT = 128;
/** Longest tag of a message. */
export const MAX_TAG_LENGTH = 255;
/** Most tags in one tag expression (each is a bound SQL parameter). */
export const MAX_TAGS_IN_EXPRESSION = 64;
/** Longest keys string (space separated keys) of a message. */
export const MAX_KEYS_LENGTH = 4096;
/** Largest JSON request body the Worker reads: a full batch in base64 with room for JSON. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** Deepest nesting of arrays and objects in a JSON request body (the API's own bodies nest at most 4 deep). */
export const MAX_JSON_DEPTH = 32;
/**
 * Most arrays and objects in one JSON request body, counted before parsing: a full batch
 * (1000 messages with their properties) has about 2000; 8 MiB of `[[],[],…]` would have
 * 2.8 million, each costing the isolate ten times its bytes once parsed.
 */
export const MAX_JSON_CONTAINERS = 16_384;
/** Most messages one pull returns. */
export const MAX_PULL_MESSAGES = 1000;
/** Pull answers stop adding messages once their bodies pass this many bytes (at least one is returned). */
export const MAX_PULL_BYTES = 4 * 1024 * 1024;
/** Longest long-polling wait of a pull, in milliseconds. */
export const MAX_PULL_WAIT_MS = 15_000;
/** Offsets a filtered pull scans before answering NO_MATCHED_MSG with the next offset to scan. */
export const PULL_SCAN_WINDOW = 10_000;
/** Minutes of per-minute traffic counts a queue keeps (the dashboard charts the last hour). */
export const STATS_KEEP_MINUTES = 120;
/** Most messages a query by key returns, as RocketMQ's 64. */
export const MAX_QUERY_MESSAGES = 64;
/** Most queues per broker group for one topic. */
export const MAX_QUEUES_PER_BROKER = 256;
/** Messages a pull returns when it does not say, as RocketMQ's pullBatchSize. */
export const DEFAULT_PULL_MESSAGES = 32;
/** Highest queue id a path or body may name. */
export const MAX_QUEUE_ID = MAX_QUEUES_PER_BROKER - 1;
/** Most offsets one commit request stores. */
export const MAX_OFFSET_COMMITS = 1024;
/** Longest sharding key. */
export const MAX_SHARDING_KEY_LENGTH = 1024;
/** Longest unique key a producer may give. */
export const MAX_UNIQUE_KEY_LENGTH = 128;
/** Most messages one pop returns (RocketMQ's 32). */
export const MAX_POP_MESSAGES = 32;
/** Messages a pop returns when it does not say (RocketMQ SimpleConsumer's 16). */
export const DEFAULT_POP_MESSAGES = 16;
/** Shortest and longest invisible time of a popped message (RocketMQ's 10 s and 12 h). */
export const MIN_INVISIBLE_MS = 10_000;
export const MAX_INVISIBLE_MS = 12 * 3_600_000;
/** Invisible time of a pop that does not say. */
export const DEFAULT_INVISIBLE_MS = 30_000;
/** Longest long-polling wait of a pop through the REST API. */
export const MAX_POP_WAIT_MS = 20_000;
/** Longest wait any pop surface may ask for (the RocketMQ HTTP protocol's 30 s). */
export const MAX_POP_WAIT_LIMIT_MS = 30_000;
/** Most receipt handles one ack request carries. */
export const MAX_ACK_HANDLES = 1024;
/** Longest URL (path and query) of a request, in bytes as sent. */
export const MAX_URL_BYTES = 8 * 1024;
/** Longest query string (after `?`). */
export const MAX_QUERY_BYTES = 4 * 1024;
/** Most query parameters of one request. */
export const MAX_QUERY_PARAMS = 64;
/** Most bytes of all request headers (names and values). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Most request headers. */
export const MAX_HEADER_COUNT = 100;

/** Messages an ordered pop may hold back per group and queue; the cursor stops there until some are acked. */
export const MAX_HELD_BACK = 1000;
