/** Clients for SDK tests: the real Worker, reached through its fetch inside workerd. */
import { exports } from 'cloudflare:workers';
import {
  createClient,
  type ClientOptions,
  type ErrorInfo,
  type PushConsumerOptions,
  type Transport,
} from '../../src/sdk/index';

export { uniqueName } from '../workers/helpers';

/** Calls the Worker in this isolate, as a service binding would. */
export const workerFetch = (input: string, init?: RequestInit): Promise<Response> =>
  exports.default.fetch(new Request(input, init));

/** The transports the consumer and producer tests run on, each file's tests once per transport (describe.each). */
export const TRANSPORTS = ['stream', 'http'] as const satisfies readonly Transport[];

let transport: Transport = 'stream';

/** The transport `client()` uses from now on: a file's describe.each sets it before each of its tests. */
export function useTransport(t: Transport): void {
  transport = t;
}

export function client(options: Partial<ClientOptions> = {}) {
  return createClient({ endpoint: 'http://flaremq.test', fetch: workerFetch, transport, ...options });
}

/** Consumer options for tests: short long polls, frequent commits, short suspensions; errors collected, not logged. */
export function testConsumerOptions(
  group: string,
  errors: { err: unknown; info: ErrorInfo }[] = [],
): PushConsumerOptions {
  return {
    group,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    pullWaitMs: 500,
    autoCommitIntervalMs: 300,
    suspendMs: 100,
    pullBackoff: { initialDelayMs: 50, maxDelayMs: 300 },
    retry: { initialDelayMs: 20, maxDelayMs: 200 },
    onError: (err, info) => errors.push({ err, info }),
  };
}

/** Polls `check` until it returns true (or a value), or throws after `timeoutMs`. A bounded wait, not a timing assertion. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, false | undefined | null>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
