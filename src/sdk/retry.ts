/**
 * Retries with exponential backoff, as kafkajs's retrier: the defaults live in
 * {@link RETRY_DEFAULTS} and nowhere else. By default only errors the server
 * marked `retriable` (and client-side network failures and timeouts) are
 * retried; anything else is thrown at once.
 */
import { sleep } from './abort';
import { isRetriable } from './errors';

export interface RetryOptions {
  /**
   * Attempts after the first one; 0 disables retrying.
   * @defaultValue 3
   */
  retries?: number;
  /**
   * Delay before the first retry, in ms.
   * @defaultValue 200
   */
  initialDelayMs?: number;
  /**
   * Each further delay is the previous one times this.
   * @defaultValue 2
   */
  multiplier?: number;
  /**
   * Longest delay between two attempts, in ms.
   * @defaultValue 5000
   */
  maxDelayMs?: number;
  /**
   * Randomization of each delay: a delay d becomes a value in [d(1 − jitter), d(1 + jitter)].
   * @defaultValue 0.2
   */
  jitter?: number;
  /**
   * Whether a failure may be retried.
   * @defaultValue {@link isRetriable}: FlaremqErrors with `retriable: true`
   */
  retryIf?: (err: unknown, attempt: number) => boolean;
}

/** The one place the retry defaults are written. */
export const RETRY_DEFAULTS: Readonly<Required<RetryOptions>> = Object.freeze({
  retries: 3,
  initialDelayMs: 200,
  multiplier: 2,
  maxDelayMs: 5_000,
  jitter: 0.2,
  retryIf: (err: unknown) => isRetriable(err),
});

/** Options with every default filled in; later sources override earlier ones. */
export function retryOptions(...sources: (RetryOptions | undefined)[]): Required<RetryOptions> {
  const out: Required<RetryOptions> = { ...RETRY_DEFAULTS };
  for (const source of sources) {
    if (!source) continue;
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/** Delay before retry number `retry` (1 for the first retry). */
export function retryDelay(retry: number, options: RetryOptions = {}, random: () => number = Math.random): number {
  const o = retryOptions(options);
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.multiplier ** Math.max(0, retry - 1));
  const spread = base * o.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(o.maxDelayMs, base + spread)));
}

/**
 * Calls `fn` until it succeeds, it fails with an error `retryIf` refuses, or
 * the retries are used up (the last error is thrown). `fn` gets the attempt
 * number, from 0. Waiting between attempts ends early, with ABORTED, when
 * `signal` aborts.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const o = retryOptions(options);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= o.retries || signal?.aborted || !o.retryIf(err, attempt)) throw err;
      await sleep(retryDelay(attempt + 1, o), signal);
    }
  }
}
