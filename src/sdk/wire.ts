/**
 * The REST API's request and answer types, generated from the OpenAPI document
 * (the route declarations in src/workers/routes/) by scripts/wire-types.mjs.
 * Do not edit: run `npm run wire-types`. CI fails when this file is stale.
 */
export type paths = Record<string, never>;
export type webhooks = Record<string, never>;
export type components = {
    schemas: {
        AckRequest: {
            receiptHandles: components["schemas"]["ReceiptHandle"][];
        };
        AckResult: {
            /** @description Handles acked. */
            acked: number;
            group: components["schemas"]["GroupName"];
            /** @description One per handle, in request order. */
            results: {
                acked: boolean;
                /** @description Why this handle was not acked: INVALID_RECEIPT_HANDLE (not a handle of this group), RECEIPT_HANDLE_EXPIRED (delivered again, its invisibility changed, or acked more than 5 minutes ago: a repeated ack within them is acked again), TOPIC_NOT_EXIST, BROKER_UNAVAILABLE. */
                error?: {
                    /**
                     * @description A stable error code; see the table in info.description (src/core/errors.ts is the source of truth).
                     * @enum {string}
                     */
                    code: "MALFORMED_JSON" | "JSON_TOO_COMPLEX" | "INVALID_REQUEST" | "INVALID_TOPIC_NAME" | "INVALID_GROUP_NAME" | "INVALID_BROKER_NAME" | "INVALID_MESSAGE" | "INVALID_TAG_EXPRESSION" | "INVALID_OFFSET" | "OFFSET_OUT_OF_RANGE" | "INVALID_MESSAGE_ID" | "BATCH_MIXED_TOPICS" | "INVALID_DELAY" | "INVALID_TIMER_HANDLE" | "INVALID_RECEIPT_HANDLE" | "RESERVED_PROPERTY" | "INVALID_TRANSACTION_HANDLE" | "UNAUTHENTICATED" | "INVALID_SIGNATURE" | "REQUEST_EXPIRED" | "REQUEST_REPLAYED" | "ACCESS_DENIED" | "ADMIN_REQUIRED" | "SOURCE_IP_DENIED" | "ORIGIN_NOT_ALLOWED" | "ACCOUNTS_NOT_CONFIGURED" | "NO_PERMISSION" | "SLAVE_READ_ONLY" | "NOT_FOUND" | "TOPIC_NOT_EXIST" | "QUEUE_NOT_EXIST" | "BROKER_NOT_EXIST" | "MESSAGE_NOT_FOUND" | "TIMER_NOT_FOUND" | "GROUP_NOT_EXIST" | "RECEIPT_HANDLE_EXPIRED" | "TRANSACTION_NOT_FOUND" | "MEMBER_NOT_FOUND" | "QUEUE_NOT_ASSIGNED" | "QUEUE_LOCKED" | "GROUP_CONFIG_CONFLICT" | "GENERATION_STALE" | "GROUP_REBALANCING" | "MESSAGE_TOO_LARGE" | "PROPERTIES_TOO_LARGE" | "BATCH_TOO_LARGE" | "REQUEST_TOO_LARGE" | "URL_TOO_LONG" | "UNSUPPORTED_MEDIA_TYPE" | "UPGRADE_REQUIRED" | "STREAM_WINDOW_FULL" | "HEADERS_TOO_LARGE" | "INTERNAL_ERROR" | "CONFIG_INVALID" | "SERVER_MISCONFIGURED" | "BROKER_UNAVAILABLE" | "NAMESERVER_UNAVAILABLE";
                    /** @description What went wrong, for humans; not stable. */
                    message: string;
                    /** @description Whether the same request may be sent again as it is. */
                    retriable: boolean;
                };
                receiptHandle: string;
            }[];
        };
        /**
         * @description How CLUSTERING divides queues: `AVG` (contiguous ranges), `AVG_BY_CIRCLE` (round robin), `CONSISTENT_HASH`.
         * @enum {string}
         */
        AllocateStrategy: "AVG" | "AVG_BY_CIRCLE" | "CONSISTENT_HASH";
        /** @description A queue assigned to a member. */
        AssignedQueue: {
            brokerName: components["schemas"]["BrokerName"];
            /** @description The member's tag expression for the topic (`*` for the retry topic). */
            expression: string;
            queueId: number;
            topic: components["schemas"]["TopicName"];
        };
        /** @description A member's current assignment, as a heartbeat answers it. */
        Assignment: {
            clientId: components["schemas"]["ClientId"];
            consumeOrderly: boolean;
            /** @description Goes up with each new assignment and each offset reset or skip. */
            generation: number;
            group: components["schemas"]["GroupName"];
            /** @description When to heartbeat next: 30000, or sooner (2000 ms, backing off to 30000) while a subscribed topic has no queues yet; a member silent for 120000 ms is dropped. */
            heartbeatIntervalMs: number;
            instanceName: components["schemas"]["InstanceName"] & unknown;
            /** @description The group’s maxReconsumeTimes, for consumers that retry in place (-1: 16, or no limit in orderly mode). */
            maxReconsumeTimes: number;
            messageModel: components["schemas"]["MessageModel"];
            /** @description The member's queues, by topic, brokerName and queueId. In CLUSTERING they include the queues of the retry topic `%RETRY%{group}`, which a CLUSTERING member's heartbeat creates if it does not exist. */
            queues: components["schemas"]["AssignedQueue"][];
        };
        BrokerConfig: {
            brokerId: number;
            brokerName: components["schemas"]["BrokerName"];
            brokerRole: components["schemas"]["BrokerRole"];
            /** @description Hours when retention runs, two digits, ";"-separated. */
            deleteWhen: string;
            /** @description Hours a message is kept. */
            fileReservedTime: number;
            flushDiskType: components["schemas"]["FlushDiskType"];
            region: components["schemas"]["Region"];
        };
        BrokerData: {
            brokerName: components["schemas"]["BrokerName"];
            brokers: components["schemas"]["BrokerInstance"][];
            cluster: string;
        };
        BrokerFailure: {
            config: components["schemas"]["BrokerConfig"];
            error: {
                /**
                 * @description A stable error code; see the table in info.description (src/core/errors.ts is the source of truth).
                 * @enum {string}
                 */
                code: "MALFORMED_JSON" | "JSON_TOO_COMPLEX" | "INVALID_REQUEST" | "INVALID_TOPIC_NAME" | "INVALID_GROUP_NAME" | "INVALID_BROKER_NAME" | "INVALID_MESSAGE" | "INVALID_TAG_EXPRESSION" | "INVALID_OFFSET" | "OFFSET_OUT_OF_RANGE" | "INVALID_MESSAGE_ID" | "BATCH_MIXED_TOPICS" | "INVALID_DELAY" | "INVALID_TIMER_HANDLE" | "INVALID_RECEIPT_HANDLE" | "RESERVED_PROPERTY" | "INVALID_TRANSACTION_HANDLE" | "UNAUTHENTICATED" | "INVALID_SIGNATURE" | "REQUEST_EXPIRED" | "REQUEST_REPLAYED" | "ACCESS_DENIED" | "ADMIN_REQUIRED" | "SOURCE_IP_DENIED" | "ORIGIN_NOT_ALLOWED" | "ACCOUNTS_NOT_CONFIGURED" | "NO_PERMISSION" | "SLAVE_READ_ONLY" | "NOT_FOUND" | "TOPIC_NOT_EXIST" | "QUEUE_NOT_EXIST" | "BROKER_NOT_EXIST" | "MESSAGE_NOT_FOUND" | "TIMER_NOT_FOUND" | "GROUP_NOT_EXIST" | "RECEIPT_HANDLE_EXPIRED" | "TRANSACTION_NOT_FOUND" | "MEMBER_NOT_FOUND" | "QUEUE_NOT_ASSIGNED" | "QUEUE_LOCKED" | "GROUP_CONFIG_CONFLICT" | "GENERATION_STALE" | "GROUP_REBALANCING" | "MESSAGE_TOO_LARGE" | "PROPERTIES_TOO_LARGE" | "BATCH_TOO_LARGE" | "REQUEST_TOO_LARGE" | "URL_TOO_LONG" | "UNSUPPORTED_MEDIA_TYPE" | "UPGRADE_REQUIRED" | "STREAM_WINDOW_FULL" | "HEADERS_TOO_LARGE" | "INTERNAL_ERROR" | "CONFIG_INVALID" | "SERVER_MISCONFIGURED" | "BROKER_UNAVAILABLE" | "NAMESERVER_UNAVAILABLE";
                /** @description What went wrong, for humans; not stable. */
                message: string;
                /** @description Whether the same request may be sent again as it is. */
                retriable: boolean;
            };
        };
        BrokerInstance: {
            /** @description 0 for the master, > 0 for slaves. */
            brokerId: number;
            brokerRole: components["schemas"]["BrokerRole"];
            flushDiskType: components["schemas"]["FlushDiskType"];
            /** @description When a NameServer last heard from the broker, in milliseconds since the epoch. */
            lastUpdateTimestamp: number;
            region: components["schemas"]["Region"];
        };
        BrokerList: {
            /** @description Every broker of the layout (masters and slaves), in layout order. */
            brokers: (components["schemas"]["BrokerStatus"] | components["schemas"]["BrokerFailure"])[];
        };
        /** @description A broker group: letters, digits, `_` and `-`. */
        BrokerName: string;
        /** @enum {string} */
        BrokerRole: "ASYNC_MASTER" | "SYNC_MASTER" | "SLAVE";
        BrokerStatus: {
            config: components["schemas"]["BrokerConfig"];
            /** @description Changes whenever the broker topic config changes. */
            dataVersion: string;
            faultInjection: components["schemas"]["FaultInjection"];
            /** @description When a registration last reached a NameServer (0: never), in milliseconds since the epoch. */
            lastRegistrationTimestamp: number;
            nameServerCount: number;
            /** @description NameServers that took the last registration made by this instance of the object (0 after it restarts, until its next heartbeat). */
            nameServersReached: number;
            replication?: components["schemas"]["ReplicationStatus"];
            /** @description Topics the broker hosts. */
            topicCount: number;
        };
        ChangeInvisibleRequest: {
            /** @description Visible again this long from now (10 s to 12 h). */
            invisibleMs: number;
            receiptHandle: components["schemas"]["ReceiptHandle"];
        };
        ChangeInvisibleResult: {
            brokerName: components["schemas"]["BrokerName"];
            /** @description The first delivery, in milliseconds since the epoch. */
            firstPopTimestamp: number;
            group: components["schemas"]["GroupName"];
            /** @description When the message becomes visible again, in milliseconds since the epoch. */
            invisibleUntil: number;
            msgId: components["schemas"]["MessageId"];
            /** @description The current delivery, in milliseconds since the epoch. */
            popTimestamp: number;
            queueId: number;
            queueOffset: number;
            receiptHandle: components["schemas"]["ReceiptHandle"] & unknown;
            reconsumeTimes: number;
            topic: components["schemas"]["TopicName"];
        };
        /** @description A consumer instance id: 1 to 128 letters, digits, `_`, `.`, `:`, `@` or `-`. The SDK makes one per instance. INVALID_REQUEST otherwise. */
        ClientId: string;
        ClusterStats: {
            /** @description Every minute, oldest first; the current minute is the last. */
            minutes: {
                /** @description Messages appended. */
                in: number;
                /** @description Start of the minute, ms since the epoch. */
                minute: number;
                /** @description Messages returned to pulls and pops. */
                out: number;
            }[];
            /** @description Each topic with its totals over the minutes, busiest (in + out) first. */
            topics: {
                /** @description Messages appended. */
                in: number;
                /** @description Messages returned to pulls and pops. */
                out: number;
                topic: components["schemas"]["TopicName"];
            }[];
        };
        ClusterView: {
            brokerDatas: components["schemas"]["BrokerData"][];
            /** @description CLUSTER_NAME of this deployment. */
            clusterName: string;
            /** @description As one NameServer sees them: live broker groups by cluster. */
            clusters: {
                brokerNames: components["schemas"]["BrokerName"][];
                clusterName: string;
            }[];
            nameServerCount: number;
        };
        /** @description One offset, or several in `offsets`. Every offset is checked before any is stored. */
        CommitOffsetsRequest: {
            brokerName?: components["schemas"]["BrokerName"] & unknown;
            /** @description One queue: the next offset to consume. */
            offset?: number;
            /** @description Several queues, one offset each (at most 1024); used instead of brokerName, queueId and offset when given. */
            offsets?: components["schemas"]["OffsetCommit"][];
            queueId?: number;
            topic: components["schemas"]["TopicName"];
        };
        CommitResult: {
            brokerName: components["schemas"]["BrokerName"];
            msgId: components["schemas"]["MessageId"];
            queueId: number;
            queueOffset: number;
            /** @enum {string} */
            status: "COMMITTED";
            topic: components["schemas"]["TopicName"];
            transactionHandle: components["schemas"]["TransactionHandle"];
            uniqueKey: string;
        };
        CommittedOffsets: {
            group: components["schemas"]["GroupName"];
            offsets: {
                brokerName: components["schemas"]["BrokerName"];
                offset: number;
                queueId: number;
                /** @description Commit time, in milliseconds since the epoch. */
                updatedAt: number;
            }[];
            topic: components["schemas"]["TopicName"];
        };
        /**
         * @description Where a queue with no committed offset starts: the max offset (only new messages), the min offset, or the first message stored at or after consumeTimestamp. The retry topic always starts at its min offset.
         * @enum {string}
         */
        ConsumeFromWhere: "CONSUME_FROM_LAST_OFFSET" | "CONSUME_FROM_FIRST_OFFSET" | "CONSUME_FROM_TIMESTAMP";
        /** @description The send result of the new message, with the group and the dead letter it was made from. */
        DeadLetterResent: components["schemas"]["SendResult"] & {
            group: components["schemas"]["GroupName"];
            resentFrom: components["schemas"]["MessageId"];
        };
        DeadLetters: {
            group: components["schemas"]["GroupName"];
            /** @description At most maxMessages, newest first (by store time, then queue offset). */
            messages: components["schemas"]["MessageView"][];
            /** @description The dead-letter topic, `%DLQ%{group}`. */
            topic: string;
            /** @description Messages the dead-letter topic holds. */
            total: number;
        };
        DelayedSendBatchResult: {
            /** @description One per message, in order, all with the same deliverAt. */
            results: components["schemas"]["DelayedSendResult"][];
        };
        /** @description A delayed message, held by its queue until deliverAt. It gets its msgId and queueOffset when it is delivered. */
        DelayedSendResult: {
            brokerName: components["schemas"]["BrokerName"];
            /** @enum {boolean} */
            delayed: true;
            /** @description When the message becomes due, in milliseconds since the epoch. */
            deliverAt: number;
            queueId: number;
            /** @enum {string} */
            status: "SEND_OK";
            timerHandle: components["schemas"]["TimerHandle"];
            topic: components["schemas"]["TopicName"];
            uniqueKey: string;
        };
        DiscardedTransactions: {
            group: components["schemas"]["GroupName"];
            /** @description Discarded transactions kept (the newest 1000). */
            kept: number;
            /** @description Discarded ever. */
            total: number;
            /** @description Newest first. */
            transactions: (components["schemas"]["HalfMessageView"] & {
                /** @description When it was discarded, in milliseconds since the epoch. */
                discardedAt: number;
            })[];
        };
        /**
         * @description Every error has this shape.
         *
         *     | code | status | retriable | meaning |
         *     | --- | --- | --- | --- |
         *     | `MALFORMED_JSON` | 400 | no | The request body is not valid JSON. |
         *     | `JSON_TOO_COMPLEX` | 400 | no | The JSON body nests arrays and objects more than 32 deep, or holds more than 16384 of them. |
         *     | `INVALID_REQUEST` | 400 | no | A field of the request is missing or has the wrong type or value. |
         *     | `INVALID_TOPIC_NAME` | 400 | no | Topic names match ^[%\|a-zA-Z0-9_-]+$ and are at most 127 characters. |
         *     | `INVALID_GROUP_NAME` | 400 | no | Group names match ^[%\|a-zA-Z0-9_-]+$ and are at most 120 characters. |
         *     | `INVALID_BROKER_NAME` | 400 | no | Broker names match ^[a-zA-Z0-9_-]+$ and are at most 64 characters. |
         *     | `INVALID_MESSAGE` | 400 | no | A message field (body, tags, keys, properties) is malformed. |
         *     | `INVALID_TAG_EXPRESSION` | 400 | no | A tag expression is '*' or tags separated by '\|\|'. |
         *     | `INVALID_OFFSET` | 400 | no | An offset is not a non-negative integer. |
         *     | `OFFSET_OUT_OF_RANGE` | 400 | no | A committed offset lies outside [0, maxOffset] of the queue. |
         *     | `INVALID_MESSAGE_ID` | 400 | no | A message id is not one that flaremq issued. |
         *     | `BATCH_MIXED_TOPICS` | 400 | no | All messages of a batch go to one topic. |
         *     | `INVALID_DELAY` | 400 | no | A delay (delayLevel, delayMs or deliverAt) is malformed, combined with another, or past the maximum delay. |
         *     | `INVALID_TIMER_HANDLE` | 400 | no | A timer handle is not one that flaremq issued. |
         *     | `INVALID_RECEIPT_HANDLE` | 400 | no | A receipt handle is not one that flaremq issued to this consumer group. |
         *     | `RESERVED_PROPERTY` | 400 | no | A message sets a system property (RETRY_TOPIC, UNIQ_KEY, __SHARDINGKEY…) that flaremq sets itself; the message names it. |
         *     | `INVALID_TRANSACTION_HANDLE` | 400 | no | A transaction handle is not one that flaremq issued (to this producer group). |
         *     | `UNAUTHENTICATED` | 401 | no | The request is not signed: accounts are configured, so every request carries Authorization and X-Flaremq-Timestamp. |
         *     | `INVALID_SIGNATURE` | 401 | no | The Authorization header is malformed, names an unknown access key, or its signature does not match the request. |
         *     | `REQUEST_EXPIRED` | 401 | no | X-Flaremq-Timestamp is missing, malformed, or more than 15 minutes from the server’s clock. |
         *     | `REQUEST_REPLAYED` | 401 | no | A signed write repeats a signature already used within its 15-minute window (a replay): sign every request anew. |
         *     | `ACCESS_DENIED` | 403 | no | The account lacks the permission (PUB or SUB) on a topic or group this request needs. |
         *     | `ADMIN_REQUIRED` | 403 | no | Administration (topics, groups, offsets reset, DLQ resend, faults) needs an admin account. |
         *     | `SOURCE_IP_DENIED` | 403 | no | The account may not call from this address (allowedIps). |
         *     | `ORIGIN_NOT_ALLOWED` | 403 | no | A browser request from a web page whose origin is neither this deployment nor listed in CORS_ALLOWED_ORIGINS may not write. |
         *     | `ACCOUNTS_NOT_CONFIGURED` | 403 | no | No accounts are configured and FLAREMQ_MODE does not open the deployment: nothing is served but the OpenAPI document (set the FLAREMQ_ACCOUNTS secret, or FLAREMQ_MODE=development for local development). |
         *     | `NO_PERMISSION` | 403 | no | The topic (or its queue) does not allow this operation (perm). |
         *     | `SLAVE_READ_ONLY` | 403 | no | A slave (brokerId ≥ 1) is read-only: messages are written to its group’s master, which replicates them. |
         *     | `NOT_FOUND` | 404 | no | No such route. |
         *     | `TOPIC_NOT_EXIST` | 404 | no | The topic does not exist (and auto-create is off, or this is not a send). |
         *     | `QUEUE_NOT_EXIST` | 404 | no | The topic has no such queue (brokerName, queueId). |
         *     | `BROKER_NOT_EXIST` | 404 | no | The cluster has no such broker group. |
         *     | `MESSAGE_NOT_FOUND` | 404 | no | No message with this id (deleted with its topic, or never stored). |
         *     | `TIMER_NOT_FOUND` | 404 | no | No pending timer with this handle: it was delivered or cancelled. |
         *     | `GROUP_NOT_EXIST` | 404 | no | No consumer group by this name (it has never had a member or a config). |
         *     | `RECEIPT_HANDLE_EXPIRED` | 404 | no | The receipt handle no longer names an in-flight message: it was delivered again, replaced by a change of invisibility, or acked longer ago than a repeated ack is answered (5 minutes). |
         *     | `TRANSACTION_NOT_FOUND` | 404 | no | No half message with this handle: it was committed, rolled back or discarded. |
         *     | `MEMBER_NOT_FOUND` | 409 | no | The client is not a live member of the group: heartbeat first. |
         *     | `QUEUE_NOT_ASSIGNED` | 409 | no | The queue is not in the member’s current assignment: heartbeat to get the new one. |
         *     | `QUEUE_LOCKED` | 409 | yes | Another member holds the queue’s lock (it releases it after a rebalance, or it expires in 60 s). |
         *     | `GROUP_CONFIG_CONFLICT` | 409 | no | A member’s config differs from the group’s while other members are alive. |
         *     | `GENERATION_STALE` | 409 | no | The group’s offsets of this topic were reset after this generation: reload offsets instead of committing. |
         *     | `GROUP_REBALANCING` | 409 | yes | The group rebalanced during every attempt of an offset reset or skip: send it again (it is complete once it answers 200). |
         *     | `MESSAGE_TOO_LARGE` | 413 | no | A message body is larger than the maximum message size. |
         *     | `PROPERTIES_TOO_LARGE` | 413 | no | A message has more than 32 KiB of properties (or too many). |
         *     | `BATCH_TOO_LARGE` | 413 | no | A batch is over 4 MiB or over the maximum message count. |
         *     | `REQUEST_TOO_LARGE` | 413 | no | The request body is over the maximum request size. |
         *     | `URL_TOO_LONG` | 414 | no | The URL is over 8 KiB, or its query string over 4 KiB or 64 parameters. |
         *     | `UNSUPPORTED_MEDIA_TYPE` | 415 | no | A JSON body is sent with Content-Type: application/json (other types are refused so that web pages cannot write without a CORS preflight). |
         *     | `UPGRADE_REQUIRED` | 426 | no | A stream route (docs/streaming.md) is opened with a WebSocket upgrade: GET with Upgrade: websocket. |
         *     | `STREAM_WINDOW_FULL` | 429 | yes | A producer stream got a batch while 64 of its batches were unanswered (its window): the stream is closed (1008); wait for answers before sending more. |
         *     | `HEADERS_TOO_LARGE` | 431 | no | The request headers are over 16 KiB in total or 100 in number. |
         *     | `INTERNAL_ERROR` | 500 | no | An unexpected failure; it is logged with its cause. |
         *     | `CONFIG_INVALID` | 500 | no | The cluster configuration (wrangler vars) is invalid. |
         *     | `SERVER_MISCONFIGURED` | 500 | no | The security configuration (the FLAREMQ_ACCOUNTS secret or FLAREMQ_MODE) is invalid: every request is refused; the cause is in the Worker log, not in the answer. |
         *     | `BROKER_UNAVAILABLE` | 503 | yes | No broker group could take the request right now. |
         *     | `NAMESERVER_UNAVAILABLE` | 503 | yes | No NameServer answered. |
         */
        ErrorResponse: {
            error: {
                /**
                 * @description A stable error code; see the table in info.description (src/core/errors.ts is the source of truth).
                 * @enum {string}
                 */
                code: "MALFORMED_JSON" | "JSON_TOO_COMPLEX" | "INVALID_REQUEST" | "INVALID_TOPIC_NAME" | "INVALID_GROUP_NAME" | "INVALID_BROKER_NAME" | "INVALID_MESSAGE" | "INVALID_TAG_EXPRESSION" | "INVALID_OFFSET" | "OFFSET_OUT_OF_RANGE" | "INVALID_MESSAGE_ID" | "BATCH_MIXED_TOPICS" | "INVALID_DELAY" | "INVALID_TIMER_HANDLE" | "INVALID_RECEIPT_HANDLE" | "RESERVED_PROPERTY" | "INVALID_TRANSACTION_HANDLE" | "UNAUTHENTICATED" | "INVALID_SIGNATURE" | "REQUEST_EXPIRED" | "REQUEST_REPLAYED" | "ACCESS_DENIED" | "ADMIN_REQUIRED" | "SOURCE_IP_DENIED" | "ORIGIN_NOT_ALLOWED" | "ACCOUNTS_NOT_CONFIGURED" | "NO_PERMISSION" | "SLAVE_READ_ONLY" | "NOT_FOUND" | "TOPIC_NOT_EXIST" | "QUEUE_NOT_EXIST" | "BROKER_NOT_EXIST" | "MESSAGE_NOT_FOUND" | "TIMER_NOT_FOUND" | "GROUP_NOT_EXIST" | "RECEIPT_HANDLE_EXPIRED" | "TRANSACTION_NOT_FOUND" | "MEMBER_NOT_FOUND" | "QUEUE_NOT_ASSIGNED" | "QUEUE_LOCKED" | "GROUP_CONFIG_CONFLICT" | "GENERATION_STALE" | "GROUP_REBALANCING" | "MESSAGE_TOO_LARGE" | "PROPERTIES_TOO_LARGE" | "BATCH_TOO_LARGE" | "REQUEST_TOO_LARGE" | "URL_TOO_LONG" | "UNSUPPORTED_MEDIA_TYPE" | "UPGRADE_REQUIRED" | "STREAM_WINDOW_FULL" | "HEADERS_TOO_LARGE" | "INTERNAL_ERROR" | "CONFIG_INVALID" | "SERVER_MISCONFIGURED" | "BROKER_UNAVAILABLE" | "NAMESERVER_UNAVAILABLE";
                /** @description What went wrong, for humans; not stable. */
                message: string;
                /** @description Whether the same request may be sent again as it is. */
                retriable: boolean;
            };
        };
        FaultAnswer: {
            brokerName: components["schemas"]["BrokerName"];
            /** @description The status of each broker switched, by brokerId. */
            brokers: components["schemas"]["BrokerStatus"][];
            down: boolean;
        };
        /** @description The fault-injection switch of a broker: while down it neither heartbeats nor serves. */
        FaultInjection: {
            down: boolean;
            /** @description When it was taken down (0 when up), in milliseconds since the epoch. */
            since: number;
        };
        FaultRequest: {
            /** @description Which brokers of the group; every one when absent. */
            brokerIds?: number[];
            /** @description true takes the brokers down, false brings them back. */
            down: boolean;
        };
        /** @enum {string} */
        FlushDiskType: "SYNC_FLUSH" | "ASYNC_FLUSH";
        /** @description A consumer group's settings, which every member shares. */
        GroupConfig: {
            allocateStrategy: components["schemas"]["AllocateStrategy"];
            consumeFromWhere: components["schemas"]["ConsumeFromWhere"];
            /** @description Orderly consumption (by the SDK): one batch at a time per queue, a failed message retried in place. */
            consumeOrderly: boolean;
            /** @description For CONSUME_FROM_TIMESTAMP: the time to start from, in milliseconds since the epoch. */
            consumeTimestamp: number;
            /** @description Failures after which a message goes to the dead-letter topic `%DLQ%{group}` instead of the retry topic. -1 (the default) means RocketMQ's default: 16 for concurrent consumption and pop, no limit for orderly consumption (the head of a queue is retried in place until it succeeds). */
            maxReconsumeTimes: number;
            messageModel: components["schemas"]["MessageModel"];
        };
        /** @description Config fields to set; every field is optional and absent fields keep their value. A new group starts from the defaults. INVALID_REQUEST for a value outside its type or range. */
        GroupConfigPatch: {
            allocateStrategy?: components["schemas"]["AllocateStrategy"] & unknown;
            consumeFromWhere?: components["schemas"]["ConsumeFromWhere"] & unknown;
            /**
             * @description Orderly consumption (by the SDK): one batch at a time per queue, a failed message retried in place.
             * @default false
             */
            consumeOrderly?: boolean;
            /** @description Milliseconds since the epoch. Default: 1800000 ms before the group was created. */
            consumeTimestamp?: number;
            /**
             * @description Failures after which a message goes to the dead-letter topic `%DLQ%{group}` instead of the retry topic. -1 (the default) means RocketMQ's default: 16 for concurrent consumption and pop, no limit for orderly consumption (the head of a queue is retried in place until it succeeds).
             * @default -1
             */
            maxReconsumeTimes?: number;
            messageModel?: components["schemas"]["MessageModel"] & unknown;
        };
        GroupLag: {
            group: components["schemas"]["GroupName"];
            messageModel: components["schemas"]["MessageModel"];
            /** @description Per readable queue of every topic in the group's `topics` (GroupStatus) that still exists, by topic. In BROADCASTING, one row per member and queue (none when the group has no member). */
            queues: {
                brokerName: components["schemas"]["BrokerName"];
                clientId?: components["schemas"]["ClientId"] & unknown;
                /** @description maxOffset - max(offset, minOffset). */
                lag: number;
                maxOffset: number;
                minOffset: number;
                /** @description Committed offset; -1 when none is committed. */
                offset: number;
                queueId: number;
                topic: components["schemas"]["TopicName"];
            }[];
            totalLag: number;
        };
        GroupList: {
            /** @description Every group that registered with the NameServer asked, sorted. */
            groups: components["schemas"]["GroupName"][];
        };
        /** @description A consumer or producer group: letters, digits, `%`, `|`, `_` and `-`. */
        GroupName: string;
        GroupOffsets: {
            group: components["schemas"]["GroupName"];
            /** @description One per readable queue of the topic. */
            offsets: {
                brokerName: components["schemas"]["BrokerName"];
                /** @description maxOffset - max(offset, minOffset). */
                lag: number;
                maxOffset: number;
                minOffset: number;
                /** @description Committed offset; -1 when the group has committed none on this queue. */
                offset: number;
                queueId: number;
                /** @description When the offset was committed (0: never), in milliseconds since the epoch. */
                updatedAt: number;
            }[];
            topic: components["schemas"]["TopicName"];
            totalLag: number;
        };
        GroupStats: {
            consumeOrderly: boolean;
            /** @description Messages consumed per second over the last minute and what passed of the current one. */
            consumeTps: number;
            /** @description The lag now, as in GET /groups/{group}/lag. */
            diffTotal: number;
            /** @description Messages in the dead-letter topic %DLQ%{group}. */
            dlq: number;
            generation: number;
            group: components["schemas"]["GroupName"];
            /** @description Members in the group's status (RocketMQ's quantity). */
            memberCount: number;
            messageModel: components["schemas"]["MessageModel"];
            /** @description Every minute, oldest first; the current minute is the last. */
            minutes: {
                /** @description Messages the committed offsets moved over in the minute (a skip or a reset forward counts). */
                consumed: number;
                /** @description The lag at the minute's end (the current one: now). */
                lag: number;
                /** @description Start of the minute, ms since the epoch. */
                minute: number;
            }[];
            /** @description The retry topic %RETRY%{group}: zeros when it does not exist. */
            retry: {
                /** @description Messages waiting for their delay (no offset yet). */
                delayed: number;
                /** @description Messages stored in its queues (max - min offset, summed). */
                messages: number;
            };
        };
        GroupStatus: {
            config: components["schemas"]["GroupConfig"];
            generation: number;
            group: components["schemas"]["GroupName"];
            /** @description By clientId. A member silent for too long stays here until the group drops it. */
            members: components["schemas"]["MemberStatus"][];
            /** @description Every topic the group consumes or has consumed (the retry topic included, in CLUSTERING, even before it exists), sorted. */
            topics: components["schemas"]["TopicName"][];
        };
        /** @description A pending half message. This is also the JSON body POSTed to a check URL. */
        HalfMessageView: {
            body: string;
            /** @enum {string} */
            bodyEncoding: "utf8" | "base64";
            /** @description When the producer made the message, in milliseconds since the epoch. */
            bornTimestamp: number;
            brokerName: components["schemas"]["BrokerName"];
            /** @description Checks so far (TRANSACTION_CHECK_MAX, default 15, then it is discarded). */
            checkTimes: number;
            /** @description Space separated keys, or "". */
            keys: string;
            /** @description When it is next checked, or discarded after the last check, in milliseconds since the epoch. */
            nextCheckAt: number;
            /** @description When the half message was stored, in milliseconds since the epoch. */
            preparedAt: number;
            producerGroup: components["schemas"]["GroupName"];
            properties: {
                [key: string]: string;
            };
            queueId: number;
            /** @description The tag, or "" for none. */
            tags: string;
            topic: components["schemas"]["TopicName"];
            transactionHandle: components["schemas"]["TransactionHandle"];
            uniqueKey: string;
        };
        HalfPopRequest: {
            /**
             * @description How long the popped half messages stay out of the next half pops (10 s to 12 h).
             * @default 30000
             */
            invisibleMs?: number;
            /**
             * @description Most half messages to return.
             * @default 16
             */
            maxMessages?: number;
            topic: components["schemas"]["TopicName"];
            /**
             * @description Long polling: how long to wait when none is due for a check.
             * @default 0
             */
            waitMs?: number;
        };
        HalfPopResult: {
            /** @description Half messages checked at least once and still unresolved, oldest first per queue. */
            messages: components["schemas"]["PoppedHalfMessage"][];
            producerGroup: components["schemas"]["GroupName"];
            topic: components["schemas"]["TopicName"];
        };
        /** @description A half message: stored in its queue, invisible to consumers, until committed or rolled back. It gets its msgId and queueOffset when committed. */
        HalfSendResult: {
            brokerName: components["schemas"]["BrokerName"];
            /** @description When it is first checked unless committed or rolled back before, in milliseconds since the epoch. */
            checkAt: number;
            queueId: number;
            /** @enum {string} */
            status: "SEND_OK";
            topic: components["schemas"]["TopicName"];
            /** @enum {boolean} */
            transactional: true;
            transactionHandle: components["schemas"]["TransactionHandle"];
            uniqueKey: string;
        };
        /** @description Subscriptions and, optionally, config fields. The body may be empty (the same as `{}`). */
        HeartbeatRequest: components["schemas"]["GroupConfigPatch"] & {
            /** @description The member’s stable identity (absent or null: its clientId). In BROADCASTING its offsets are this instance’s, so a process that restarts with the same instanceName resumes where it stopped. */
            instanceName?: string | null;
            /**
             * @description Every subscription of the member, each time: they replace the ones it had (absent or null: none). At most 64, one per topic (INVALID_REQUEST otherwise). A topic that does not exist yet is kept, with no queues until it is created.
             * @default []
             */
            subscriptions?: {
                /**
                 * @description Tag expression: `*` (or empty) for all, or tags separated by `||`. INVALID_TAG_EXPRESSION when it does not parse or is not a string.
                 * @default *
                 */
                expression?: string;
                topic: components["schemas"]["TopicName"];
            }[] | null;
        };
        Index: {
            /** @enum {string} */
            api: "/api/v1";
            /** @enum {string} */
            dashboard: "/";
            /** @enum {string} */
            metrics: "/metrics";
            /** @enum {string} */
            name: "flaremq";
            /** @enum {string} */
            openapi: "/api/v1/openapi.json";
        };
        /** @description A consumer’s stable identity (RocketMQ’s instanceName), the pattern of a clientId. In BROADCASTING a member’s offsets are kept under it (`group#instanceName`), so they outlive the process; members running at the same time with the same instanceName share them. */
        InstanceName: string;
        /** @description CLUSTERING (pulls from the master): the lock this pull took or renewed for the member. Absent in BROADCASTING and on pulls served by a slave, which take no lock. */
        LockGrant: {
            /** @description How long the lock lasts from the moment the server took the request (the full lock time when it was written now; a pull by the holder answers a lock that has most of its time left as stored, without writing it): added to the time the client sent the request, a bound on the lock’s end that holds whatever the client’s clock says. */
            durationMs: number;
            /** @description When the lock expires unless renewed, by the server’s clock, in milliseconds since the epoch. */
            expiresAt: number;
        };
        LockReleased: {
            brokerName: components["schemas"]["BrokerName"];
            clientId: components["schemas"]["ClientId"];
            group: components["schemas"]["GroupName"];
            queueId: number;
            /** @description Whether the member held the lock (false: it did not, or it had expired). */
            released: boolean;
            topic: components["schemas"]["TopicName"];
        };
        /** @description Whether the member holds the lock now; with `expiresAt` and `durationMs` (as in LockGrant) when it does. */
        LockRenewed: {
            brokerName: components["schemas"]["BrokerName"];
            clientId: components["schemas"]["ClientId"];
            /** @description How long the lock lasts from the moment the server took the request (the full lock time when it was written now; a pull by the holder answers a lock that has most of its time left as stored, without writing it): added to the time the client sent the request, a bound on the lock’s end that holds whatever the client’s clock says. */
            durationMs: number;
            /** @description When the lock expires unless renewed, by the server’s clock, in milliseconds since the epoch. */
            expiresAt: number;
            group: components["schemas"]["GroupName"];
            /**
             * @description Renewed.
             * @enum {boolean}
             */
            locked: true;
            queueId: number;
            topic: components["schemas"]["TopicName"];
        } | {
            brokerName: components["schemas"]["BrokerName"];
            clientId: components["schemas"]["ClientId"];
            group: components["schemas"]["GroupName"];
            /**
             * @description The lock is another member’s, or was released (take it again by pulling, if the queue is assigned to you).
             * @enum {boolean}
             */
            locked: false;
            queueId: number;
            topic: components["schemas"]["TopicName"];
        };
        /** @description A commit, as for PUT /api/v1/groups/{group}/offsets, with an optional generation. Every offset is checked before any is stored. */
        MemberCommitRequest: {
            brokerName?: components["schemas"]["BrokerName"] & unknown;
            /** @description The generation the offsets were read in. GENERATION_STALE when the group's offsets of the topic were reset or skipped after it; INVALID_REQUEST unless an integer >= 0. */
            generation?: number;
            /** @description One queue: the next offset to consume. */
            offset?: number;
            /** @description Several queues, one offset each (at most 1024); used instead of brokerName, queueId and offset when given. */
            offsets?: components["schemas"]["OffsetCommit"][];
            queueId?: number;
            topic: components["schemas"]["TopicName"];
        };
        MemberCommittedOffsets: {
            clientId: components["schemas"]["ClientId"];
            group: components["schemas"]["GroupName"];
            offsets: {
                brokerName: components["schemas"]["BrokerName"];
                offset: number;
                queueId: number;
                /** @description Commit time, in milliseconds since the epoch. */
                updatedAt: number;
            }[];
            topic: components["schemas"]["TopicName"];
        };
        MemberLeft: {
            clientId: components["schemas"]["ClientId"];
            group: components["schemas"]["GroupName"];
            /** @enum {boolean} */
            left: true;
        };
        /** @description A pull answer plus where it read from and the group generation. */
        MemberPullResult: components["schemas"]["PullResult"] & {
            /** @description The group's generation (read when the wait ended, for a long poll that found nothing): when it differs from the member's, heartbeat to get the current assignment and reload offsets. */
            generation: number;
            lock?: components["schemas"]["LockGrant"];
            /** @description Where this pull read from: `offset` if given, else the committed offset, else the start offset (which this pull committed). */
            offset: number;
        };
        MemberStatus: {
            clientId: components["schemas"]["ClientId"];
            instanceName: components["schemas"]["InstanceName"];
            /** @description The first heartbeat since the member joined, in milliseconds since the epoch. */
            joinedAt: number;
            /** @description The last heartbeat, in milliseconds since the epoch. */
            lastHeartbeat: number;
            /** @description Its queues, by topic, brokerName and queueId. */
            queues: components["schemas"]["AssignedQueue"][];
            subscriptions: components["schemas"]["Subscription"][];
        };
        /** @description Self-locating message id (upper-case hex of version, brokerId, queueId, queue offset, broker name and topic). */
        MessageId: string;
        MessageInput: {
            /** @description The body, not empty. At most the cluster's MAX_MESSAGE_SIZE bytes once decoded (default 1 MiB, configurable up to 2031616). */
            body: string;
            /**
             * @description How `body` is written in JSON: `utf8` (the default; `text` is accepted as a synonym) or `base64` (standard alphabet, with padding).
             * @default utf8
             * @enum {string|null}
             */
            bodyEncoding?: "utf8" | "base64" | "text" | null;
            /** @description When the producer made the message; default: when the Worker received it, in milliseconds since the epoch. */
            bornTimestamp?: number;
            /** @description Keys for queries by key: a space separated string or an array. Duplicates are dropped; together at most 4096 characters. */
            keys?: string | string[] | null;
            /** @description User properties, string values (names RocketMQ reserves are refused: RESERVED_PROPERTY). At most 128 and 32768 bytes as JSON (PROPERTIES_TOO_LARGE). */
            properties?: {
                [key: string]: string;
            } | null;
            /** @description One tag (RocketMQ stores one tag per message), without whitespace, '|' or '*'; empty or absent for none. */
            tags?: string | null;
            /** @description The client-side message id (UNIQ_KEY). Default: generated (32 upper-case hex digits). */
            uniqueKey?: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @description `CLUSTERING`: each queue of a subscribed topic goes to exactly one live member, and the group shares one offset per queue. `BROADCASTING`: every member gets every queue, with its own offsets.
         * @enum {string}
         */
        MessageModel: "CLUSTERING" | "BROADCASTING";
        MessageView: {
            body: string;
            /** @enum {string} */
            bodyEncoding: "utf8" | "base64";
            /** @description When the producer made the message, in milliseconds since the epoch. */
            bornTimestamp: number;
            brokerName: components["schemas"]["BrokerName"];
            /** @description Space separated keys, or "". */
            keys: string;
            msgId: components["schemas"]["MessageId"];
            properties: {
                [key: string]: string;
            };
            queueId: number;
            queueOffset: number;
            reconsumeTimes: number;
            /** @description When the queue stored the message, in milliseconds since the epoch. */
            storeTimestamp: number;
            /** @description The tag, or "" for none. */
            tags: string;
            topic: components["schemas"]["TopicName"];
            uniqueKey: string;
        };
        OffsetCommit: {
            brokerName: components["schemas"]["BrokerName"];
            offset: number;
            queueId: number;
        };
        OffsetResetRequest: {
            /** @description Store time, ms since the epoch (a JSON integer, or a string of digits). INVALID_REQUEST when missing or not an integer >= 0. */
            timestamp: number;
            topic: components["schemas"]["TopicName"];
        };
        OffsetSkipRequest: {
            topic: components["schemas"]["TopicName"];
        };
        OffsetsReset: components["schemas"]["OffsetsSkipped"] & {
            timestamp: number;
        };
        OffsetsSkipped: {
            /** @description The new generation; commits on the topic made for an older one are refused (GENERATION_STALE). */
            generation: number;
            group: components["schemas"]["GroupName"];
            /** @description The new offset of every readable queue of the topic. */
            offsets: {
                brokerName: components["schemas"]["BrokerName"];
                offset: number;
                queueId: number;
            }[];
            topic: components["schemas"]["TopicName"];
        };
        OnewayAccepted: {
            /** @description Messages accepted for sending. */
            count: number;
            /** @enum {string} */
            status: "ACCEPTED";
        };
        /** @description RocketMQ permission bits: 6 read and write, 4 read, 2 write, 0 none. */
        Perm: 0 | 2 | 4 | 6;
        /**
         * @description The permission as mqadmin prints it.
         * @enum {string}
         */
        PermName: "RW" | "R-" | "-W" | "--";
        /** @description A pending half message. This is also the JSON body POSTed to a check URL. */
        PoppedHalfMessage: components["schemas"]["HalfMessageView"] & {
            receiptHandle: components["schemas"]["TransactionHandle"] & unknown;
        };
        /** @description A message view, plus its delivery to the group. */
        PoppedMessage: components["schemas"]["MessageView"] & {
            /** @description When the message was first delivered to the group, in milliseconds since the epoch. */
            firstPopTimestamp: number;
            /** @description When it becomes visible to the group again unless acked (RocketMQ nextVisibleTime), in milliseconds since the epoch. */
            invisibleUntil: number;
            /** @description When this delivery was made, in milliseconds since the epoch. */
            popTimestamp: number;
            receiptHandle: components["schemas"]["ReceiptHandle"];
            /** @description The group's earlier deliveries of the message (deliveries − 1). */
            reconsumeTimes?: number;
        };
        PopRequest: {
            /**
             * @description Tag expression: `*` (or empty) for all, or tags separated by `||`.
             * @default *
             */
            expression?: string;
            /**
             * @description How long the popped messages stay invisible to the group unless acked (10 s to 12 h).
             * @default 30000
             */
            invisibleMs?: number;
            /**
             * @description Most messages to return.
             * @default 16
             */
            maxMessages?: number;
            /**
             * @description Ordered pop: a message with a sharding key (property `__SHARDINGKEY`) is not delivered until the one before it with the same key is acked (or moved to the DLQ).
             * @default false
             */
            orderly?: boolean;
            topic: components["schemas"]["TopicName"];
            /**
             * @description Long polling: how long to wait when no queue has a message for the group.
             * @default 0
             */
            waitMs?: number;
        };
        PopResult: {
            group: components["schemas"]["GroupName"];
            /** @description Empty when nothing came within waitMs. Redelivered messages first, then new ones, by queue. */
            messages: components["schemas"]["PoppedMessage"][];
            topic: components["schemas"]["TopicName"];
        };
        ProducerGroupConfigured: components["schemas"]["ProducerGroupStatus"] & {
            /** @description The secret that signs check callbacks: keep it with the check URL's receiver. */
            checkSecret: string;
        };
        ProducerGroupList: {
            producerGroups: components["schemas"]["ProducerGroupStatus"][];
        };
        ProducerGroupRequest: {
            /** @description The secret that signs check callbacks (X-Flaremq-Signature, docs/transactions.md#signed-checks). Default: the group keeps its own, or one is drawn (64 hex digits). */
            checkSecret?: string;
            /**
             * Format: uri
             * @description Required: an http(s) URL of at most 2048 characters, or null (or "") to remove it. The queue objects POST each half message due for a check to it (a HalfMessageView) and act on `{"status": "COMMIT" | "ROLLBACK" | "UNKNOWN"}`; no answer within 5000 ms, a non-2xx answer or anything else counts as UNKNOWN.
             */
            checkUrl: string | null;
        };
        ProducerGroupStatus: {
            checkUrl: string | null;
            /** @description Transactions discarded after their last check, ever. */
            discardedTotal: number;
            group: components["schemas"]["GroupName"];
            /** @description When checkUrl was last set (0: never), in milliseconds since the epoch. */
            updatedAt: number;
        };
        PullResult: {
            maxOffset: number;
            /** @description In offset order; empty unless FOUND. Stops at maxMessages or once bodies pass 4194304 bytes (at least one message). */
            messages: components["schemas"]["MessageView"][];
            minOffset: number;
            /** @description The offset to pull next, whatever the status. */
            nextBeginOffset: number;
            /**
             * @description FOUND: messages returned. NO_NEW_MSG: offset is the max offset. NO_MATCHED_MSG: no message passed the tag filter in the scanned window. OFFSET_ILLEGAL: offset is below minOffset or above maxOffset.
             * @enum {string}
             */
            status: "FOUND" | "NO_NEW_MSG" | "NO_MATCHED_MSG" | "OFFSET_ILLEGAL";
        };
        QueryResult: {
            /** @description Newest first. */
            messages: components["schemas"]["MessageView"][];
            topic: components["schemas"]["TopicName"];
        };
        QueueData: {
            brokerName: components["schemas"]["BrokerName"];
            perm: components["schemas"]["Perm"];
            readQueueNums: number;
            writeQueueNums: number;
        };
        QueueStatus: {
            brokerName: components["schemas"]["BrokerName"];
            /** @description Store time of the last message (0: none yet), in milliseconds since the epoch. */
            lastUpdateTimestamp: number;
            /** @description Offset the next message will take. */
            maxOffset: number;
            /** @description Offset of the oldest stored message (maxOffset when the queue is empty). */
            minOffset: number;
            /** @description Delayed messages waiting in the queue; they take offsets when due, so they are not in maxOffset. */
            pendingTimers: number;
            queueId: number;
            /** @description Only with `?counters=true`. */
            storage?: {
                /** @description Bytes of the log rows and key index rows it wrote since it started. */
                bytesWritten: number;
                /** @description Size of the queue object's database now (sql.databaseSize). */
                databaseBytes: number;
                /** @description Messages appended to its log since it started (sends, delayed and transactional messages, replication). */
                messagesAppended: number;
                /** @description Rows the queue object's SQL wrote since it started, as the runtime counts them (rowsWritten of its cursors: table and index rows). docs/storage.md. */
                rowsWritten: number;
            };
            writes: {
                /** @description Writes of sent messages that failed since the queue object started (each logged). */
                failedWrites: number;
                /** @description Messages answered and held in local storage, not yet in the log (ASYNC_FLUSH; 0 right after a status, which writes them, unless writing fails). */
                heldMessages: number;
                /** @description False while messages the queue holds (ASYNC_FLUSH) cannot be written to its log: it refuses requests (503 BROKER_UNAVAILABLE) until a write succeeds. */
                writable: boolean;
            };
        };
        /** @description Names one delivery of a popped message to one group (upper-case hex of version 3, brokerId, queueId, queue offset, handle sequence, broker name, topic and group; for a retry message a pop of a topic took from the group’s retry topic, group+topic). Only the latest handle of a message acks it. */
        ReceiptHandle: string;
        /**
         * @description Location hint of the broker's objects.
         * @enum {string}
         */
        Region: "wnam" | "enam" | "sam" | "weur" | "eeur" | "apac" | "oc" | "afr" | "me";
        ReplicationAnswer: {
            brokerName: components["schemas"]["BrokerName"];
            replication: components["schemas"]["ReplicationStatus"] & (Record<string, never> | null);
        };
        /** @description A master with slaves: each slave’s replication lag (docs/deployment.md). */
        ReplicationStatus: {
            /** @enum {string} */
            brokerRole: "ASYNC_MASTER" | "SYNC_MASTER";
            /** @description True when the group hosts more queues than were asked (4096). */
            partial: boolean;
            /** @description Queue objects asked. */
            queues: number;
            slaves: components["schemas"]["SlaveReplication"][];
        };
        RetryRequest: {
            /** @description -1: straight to the dead-letter topic. 0: level 3 + the message's reconsumeTimes. Otherwise a level from 1 to the number of levels of the MESSAGE_DELAY_LEVEL var (default 18, at most 64). Levels above the last are capped to it. INVALID_REQUEST outside -1 to the number of levels. */
            delayLevel?: number;
            /** @description The consumer's copy of the message (a message as a send takes it (MessageInput), plus `reconsumeTimes`, failed deliveries so far, default 0), sent instead of the original when the original cannot be read: retention deleted it, its master is down, or its topic is gone (RocketMQ's sendMessageBackAsNormalMessage). Read only then; INVALID_MESSAGE and the send's other codes when it is malformed. */
            message?: unknown;
            /** @description The msgId of the failed message (a MessageId; INVALID_MESSAGE_ID when it is not one). */
            msgId: string;
        };
        /** @description Where the failed message went: the retry topic, delayed, or the dead-letter topic once its reconsumeTimes reach the group's maxReconsumeTimes (or with delayLevel -1). */
        RetryResult: {
            /** @description The level used. */
            delayLevel: number;
            /** @description When the retry becomes due, in milliseconds since the epoch. */
            deliverAt: number;
            /** @description The message's reconsumeTimes + 1. */
            reconsumeTimes: number;
            /** @description The send result: delayed (a SendResult if it was already due when sent). */
            result: components["schemas"]["DelayedSendResult"] | components["schemas"]["SendResult"];
            /** @enum {string} */
            status: "RETRY";
            /** @description The retry topic, `%RETRY%{group}`. */
            topic: string;
        } | {
            /** @description The message's reconsumeTimes + 1. */
            reconsumeTimes: number;
            result: components["schemas"]["SendResult"];
            /** @enum {string} */
            status: "DLQ";
            /** @description The dead-letter topic, `%DLQ%{group}`. */
            topic: string;
        };
        RollbackResult: {
            brokerName: components["schemas"]["BrokerName"];
            queueId: number;
            /** @enum {string} */
            status: "ROLLED_BACK";
            topic: components["schemas"]["TopicName"];
            transactionHandle: components["schemas"]["TransactionHandle"];
            uniqueKey: string;
        };
        SearchOffsetResult: {
            brokerName: components["schemas"]["BrokerName"];
            /** @description First offset stored at or after timestamp; the max offset when there is none. */
            offset: number;
            queueId: number;
            timestamp: number;
            topic: components["schemas"]["TopicName"];
        };
        /**
         * Batch
         * @description A batch, all to the path's topic and one queue. A delay (`delayLevel`, `delayMs` or `deliverAt`: at most one, at the top level, INVALID_DELAY otherwise) holds the message or the whole batch in the chosen queue until due: it is appended, and gets its offset, then.
         */
        SendBatchRequest: {
            /** @description A delay level: 1 to the number of levels of the MESSAGE_DELAY_LEVEL var (default RocketMQ's 18: 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h). */
            delayLevel?: number | null;
            /** @description Milliseconds to wait, at most the TIMER_MAX_DELAY_MS var (default 259200000, 3 days). */
            delayMs?: number | null;
            /** @description When to deliver, at most TIMER_MAX_DELAY_MS ahead; now or in the past sends at once, in milliseconds since the epoch. */
            deliverAt?: number | null;
            /** @description At most 1000 messages and 4194304 bytes (BATCH_TOO_LARGE), appended atomically to one queue. */
            messages: (components["schemas"]["MessageInput"] & ({
                /** @description If given, the path's topic (BATCH_MIXED_TOPICS otherwise). */
                topic?: string;
            } & {
                [key: string]: unknown;
            }))[];
            /** @description An explicit, writable queue. Not with `shardingKey`. Neither: round robin over the writable queues. */
            queue?: {
                brokerName: components["schemas"]["BrokerName"];
                queueId: number;
            };
            /** @description Ordered messages: the queue is |Java hashCode(shardingKey)| mod the number of writable queues, as RocketMQ's SelectMessageQueueByHash. Not with `queue`. */
            shardingKey?: string;
        } & {
            [key: string]: unknown;
        };
        SendBatchResult: {
            /** @description One per message, in order; consecutive offsets of one queue. */
            results: components["schemas"]["SendResult"][];
        };
        /**
         * One message
         * @description One message to the path's topic. A delay (`delayLevel`, `delayMs` or `deliverAt`: at most one, at the top level, INVALID_DELAY otherwise) holds the message or the whole batch in the chosen queue until due: it is appended, and gets its offset, then.
         */
        SendMessageRequest: {
            /** @description The body, not empty. At most the cluster's MAX_MESSAGE_SIZE bytes once decoded (default 1 MiB, configurable up to 2031616). */
            body: string;
            /**
             * @description How `body` is written in JSON: `utf8` (the default; `text` is accepted as a synonym) or `base64` (standard alphabet, with padding).
             * @default utf8
             * @enum {string|null}
             */
            bodyEncoding?: "utf8" | "base64" | "text" | null;
            /** @description When the producer made the message; default: when the Worker received it, in milliseconds since the epoch. */
            bornTimestamp?: number;
            /** @description A delay level: 1 to the number of levels of the MESSAGE_DELAY_LEVEL var (default RocketMQ's 18: 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h). */
            delayLevel?: number | null;
            /** @description Milliseconds to wait, at most the TIMER_MAX_DELAY_MS var (default 259200000, 3 days). */
            delayMs?: number | null;
            /** @description When to deliver, at most TIMER_MAX_DELAY_MS ahead; now or in the past sends at once, in milliseconds since the epoch. */
            deliverAt?: number | null;
            /** @description Keys for queries by key: a space separated string or an array. Duplicates are dropped; together at most 4096 characters. */
            keys?: string | string[] | null;
            /** @description Absent: this is one message. */
            messages?: unknown;
            /** @description User properties, string values (names RocketMQ reserves are refused: RESERVED_PROPERTY). At most 128 and 32768 bytes as JSON (PROPERTIES_TOO_LARGE). */
            properties?: {
                [key: string]: string;
            } | null;
            /** @description An explicit, writable queue. Not with `shardingKey`. Neither: round robin over the writable queues. */
            queue?: {
                brokerName: components["schemas"]["BrokerName"];
                queueId: number;
            };
            /** @description Ordered messages: the queue is |Java hashCode(shardingKey)| mod the number of writable queues, as RocketMQ's SelectMessageQueueByHash. Not with `queue`. */
            shardingKey?: string;
            /** @description One tag (RocketMQ stores one tag per message), without whitespace, '|' or '*'; empty or absent for none. */
            tags?: string | null;
            /** @description If given, the path's topic. */
            topic?: string;
            transaction?: components["schemas"]["TransactionOptions"];
            /** @description The client-side message id (UNIQ_KEY). Default: generated (32 upper-case hex digits). */
            uniqueKey?: string;
        } & {
            [key: string]: unknown;
        };
        /** @description One message, or a batch in `messages` (at most 1000 messages and 4194304 bytes), all to the path's topic and one queue: the explicit `queue`, the queue of `shardingKey`, or the next writable queue in round robin. */
        SendRequest: components["schemas"]["SendMessageRequest"] | components["schemas"]["SendBatchRequest"];
        SendResult: {
            brokerName: components["schemas"]["BrokerName"];
            msgId: components["schemas"]["MessageId"];
            queueId: number;
            queueOffset: number;
            /**
             * @description Stored on the master in every case. On a SYNC_MASTER with slaves: FLUSH_SLAVE_TIMEOUT when no slave confirmed within SLAVE_TIMEOUT_MS, SLAVE_NOT_AVAILABLE when none could be reached.
             * @enum {string}
             */
            status: "SEND_OK" | "FLUSH_SLAVE_TIMEOUT" | "SLAVE_NOT_AVAILABLE";
            topic: components["schemas"]["TopicName"];
            uniqueKey: string;
        };
        SlaveReplication: {
            /** @description The slave. */
            brokerId: number;
            /** @description Messages the slave lacks, over every queue. */
            lagEntries: number;
            /** @description Age of the oldest message the slave lacks, in seconds (0 when it lacks none). */
            lagSeconds: number;
            /** @description One of the errors, if any. */
            lastError: string;
            /** @description Its location hint. */
            region: string;
            /** @description Queues whose last ship to this slave failed (retried every 5 s). */
            unavailableQueues: number;
        };
        /** @description A member's subscription to one topic. */
        Subscription: {
            /** @description The tag expression, trimmed: `*` or tags separated by `||`. */
            expression: string;
            topic: components["schemas"]["TopicName"];
        };
        TimerCancelled: {
            brokerName: components["schemas"]["BrokerName"];
            /** @enum {boolean} */
            cancelled: true;
            /** @description When the message would have been due, in milliseconds since the epoch. */
            deliverAt: number;
            queueId: number;
            timerHandle: components["schemas"]["TimerHandle"];
            topic: components["schemas"]["TopicName"];
            uniqueKey: string;
        };
        /** @description Self-locating handle of a pending delayed message (upper-case hex of version 2, brokerId, queueId, timer id, broker name and topic). */
        TimerHandle: string;
        TimerView: {
            body: string;
            /** @enum {string} */
            bodyEncoding: "utf8" | "base64";
            /** @description When the producer made the message, in milliseconds since the epoch. */
            bornTimestamp: number;
            brokerName: components["schemas"]["BrokerName"];
            /** @description When the message becomes due, in milliseconds since the epoch. */
            deliverAt: number;
            /** @description Space separated keys, or "". */
            keys: string;
            properties: {
                [key: string]: string;
            };
            queueId: number;
            reconsumeTimes: number;
            /** @description When it was sent, in milliseconds since the epoch. */
            scheduledAt: number;
            /** @description The tag, or "" for none. */
            tags: string;
            timerHandle: components["schemas"]["TimerHandle"];
            topic: components["schemas"]["TopicName"];
            uniqueKey: string;
        };
        TopicDeleted: {
            /** @enum {boolean} */
            deleted: true;
            topic: components["schemas"]["TopicName"];
        };
        TopicList: {
            /** @description Every topic a live broker group hosts, sorted. */
            topics: components["schemas"]["TopicName"][];
        };
        /** @description A topic: letters, digits, `%`, `|`, `_` and `-`. In a path, percent-encode `%` as `%25` (and preferably `|` as `%7C`), e.g. `%25RETRY%25group`. */
        TopicName: string;
        TopicRouteView: {
            brokerDatas: components["schemas"]["BrokerData"][];
            queueDatas: (components["schemas"]["QueueData"] & {
                permName: components["schemas"]["PermName"];
            })[];
            topic: components["schemas"]["TopicName"];
        };
        /** @description A topic on one or more broker groups. Every field is optional: `{}` creates a topic with the defaults. */
        TopicSpec: {
            /** @description Broker groups (masters) to create or update the topic on. Default: every broker group of the cluster. Groups not named keep what they had. */
            brokerNames?: components["schemas"]["BrokerName"][];
            /**
             * @description Permission, as a number 0 to 7 (only the read 4 and write 2 bits are kept) or as letters, any case. Default 6 ("RW").
             * @default 6
             */
            perm?: number | string;
            /** @description Sets both readQueueNums and writeQueueNums. Default: the DEFAULT_TOPIC_QUEUE_NUMS var (4). */
            queueNums?: number;
            /** @description Queues consumers read, per broker group. Default: queueNums. */
            readQueueNums?: number;
            /** @description Queues producers write, per broker group. Default: queueNums. */
            writeQueueNums?: number;
        };
        TopicStatus: {
            queues: components["schemas"]["QueueStatus"][];
            topic: components["schemas"]["TopicName"];
        };
        /** @description Self-locating handle of a half message (upper-case hex of version 4, brokerId, queueId, half-message id, broker name and topic). */
        TransactionHandle: string;
        /** @description Makes the send a half message of this producer group: one message, not delayed, not oneway (INVALID_REQUEST otherwise). It waits invisible in its queue until committed or rolled back by its `transactionHandle`, or checked back (docs/transactions.md). */
        TransactionOptions: {
            /** @description First check this long after the send, instead of the TRANSACTION_TIMEOUT_MS var (default 6000). RocketMQ's CHECK_IMMUNITY_TIME_IN_SECONDS, in ms. */
            checkImmunityMs?: number | null;
            producerGroup: components["schemas"]["GroupName"];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
};
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
