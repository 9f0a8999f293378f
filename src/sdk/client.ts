/**
 * The one entry point: `createClient({ endpoint })` makes producers,
 * consumers (push, pull, simple), transaction checkers and the admin, all
 * sharing one way to reach flaremq.
 */
import { Admin } from './admin';
import { Http, type FetchLike } from './http';
import { Producer, type ProducerOptions } from './producer';
import { PullConsumer, type PullConsumerOptions } from './pull-consumer';
import { PushConsumer, type PushConsumerOptions } from './push-consumer';
import type { RetryOptions } from './retry';
import type { Credentials } from './signing';
import { SimpleConsumer, type SimpleConsumerOptions } from './simple-consumer';
import { TransactionChecker, type TransactionCheckerOptions } from './transaction-checker';
import type { Transport } from './stream-socket';

export interface ClientOptions {
  /** Where flaremq runs, e.g. `http://localhost:8787` (the API is under `/api/v1`). */
  endpoint: string;
  /**
   * The fetch to call: a service binding's (`env.FLAREMQ.fetch.bind(env.FLAREMQ)`),
   * or a test double.
   * @defaultValue the global fetch
   */
  fetch?: FetchLike;
  /** Headers sent with every request. @defaultValue none */
  headers?: Record<string, string>;
  /**
   * An account's keys: every request is then signed (docs/security.md).
   * @defaultValue none: requests go unsigned, as a server in development mode accepts
   */
  credentials?: Credentials;
  /**
   * Timeout of one request, ms (a long poll gets its wait on top).
   * @defaultValue 30000
   */
  requestTimeoutMs?: number;
  /**
   * Retries of retriable failures, for every part of the client unless it says otherwise.
   * @defaultValue {@link RETRY_DEFAULTS}: 3 retries, 200 ms doubling up to 5 s, ±20 % jitter
   */
  retry?: RetryOptions;
  /**
   * How push and pull consumers receive and producers send: `'stream'`, over
   * WebSocket streams (docs/streaming.md), where the runtime has WebSocket
   * (Node ≥ 22, browsers without credentials, Workers through `fetch`), each
   * falling back to HTTP when a stream cannot be opened or breaks, and trying
   * again later; `'http'`, HTTP requests only (long polls and POSTs).
   * @defaultValue 'stream'
   */
  transport?: Transport;
}

export const CLIENT_DEFAULTS = {
  requestTimeoutMs: 30_000,
} as const;

export class Client {
  readonly endpoint: string;
  private readonly http: Http;
  private readonly retry: RetryOptions | undefined;

  constructor(options: ClientOptions) {
    this.endpoint = options.endpoint;
    const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
    this.http = new Http({
      endpoint: options.endpoint,
      fetch: fetchFn,
      headers: options.headers ?? {},
      credentials: options.credentials,
      timeoutMs: options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs,
      transport: options.transport,
    });
    this.retry = options.retry;
  }

  /** A producer: send, sendBatch, sendOneway; delayed and ordered sends. */
  producer(options: ProducerOptions = {}): Producer {
    return new Producer(this.http, this.retry, options);
  }

  /** A push consumer of a group: subscribe(), then run({ eachMessage }) or iterate it. */
  pushConsumer(options: PushConsumerOptions): PushConsumer {
    return new PushConsumer(this.http, this.retry, options);
  }

  /** A pull consumer of a group: subscribe(), start(), then poll() and commit(). */
  pullConsumer(options: PullConsumerOptions): PullConsumer {
    return new PullConsumer(this.http, this.retry, options);
  }

  /** A simple consumer of a group (pop, RocketMQ 5's SimpleConsumer): receive(), then ack() each message. */
  simpleConsumer(options: SimpleConsumerOptions): SimpleConsumer {
    return new SimpleConsumer(this.http, this.retry, options);
  }

  /** The check-back handler of a producer group's transactions on a topic: start(), stop(), or checkOnce(). */
  transactionChecker(options: TransactionCheckerOptions): TransactionChecker {
    return new TransactionChecker(this.http, this.retry, options);
  }

  /** Administration: topics, groups, messages, DLQ, timers, cluster, producer groups, transactions. */
  admin(): Admin {
    return new Admin(this.http, this.retry);
  }
}

/** Makes a client. Nothing is sent until a producer, consumer or admin call needs it. */
export function createClient(options: ClientOptions): Client {
  return new Client(options);
}
