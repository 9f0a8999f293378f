/**
 * The check-back handler of a producer group, as RocketMQ's
 * TransactionListener.checkLocalTransaction: it long-polls the producer
 * group's half-message pop (docs/transactions.md#the-half-message-pop) for
 * half messages the broker checked and still finds unresolved, asks `check`,
 * and commits or rolls them back by its answer. UNKNOWN (or a throw) leaves
 * a half message to the next check; after the cluster's TRANSACTION_CHECK_MAX
 * checks the broker discards it.
 */
import { checkSignatureProblem, MAX_CHECK_SKEW_MS } from '../core/check-signing';
import { sleep } from './abort';
import { FlaremqError, isAborted } from './errors';
import { LONG_POLL_GRACE_MS } from './group-api';
import { path, type Http } from './http';
import { retryDelay, retryOptions, withRetry, type RetryOptions } from './retry';
import {
  endTransaction,
  HalfMessage,
  isTransactionNotFound,
  toTransactionState,
  type HalfMessageView,
  type LocalTransaction,
  type TransactionState,
} from './transactions';
import type { components } from './wire';

type Schemas = components['schemas'];

export interface TransactionCheckerOptions {
  /** The producer group whose half messages to check. */
  producerGroup: string;
  /** The topic the half messages were sent to. */
  topic: string;
  /** Decides a pending transaction; throwing counts as UNKNOWN (and is reported to `onError`). */
  check: LocalTransaction<HalfMessage>;
  /** Long polling of one half pop, 0 to 20000 ms. @defaultValue 10000 */
  waitMs?: number;
  /** Most half messages per pop, 1 to 32. @defaultValue 16 */
  maxMessages?: number;
  /**
   * How long a popped half message is left out of the next half pops (of any
   * checker of the group), 10 s to 12 h.
   * @defaultValue 30000
   */
  invisibleMs?: number;
  /** Backoff after a failed half pop; the checker never gives up. @defaultValue `{ initialDelayMs: 250, multiplier: 2, maxDelayMs: 3000, jitter: 0.2 }` */
  pollBackoff?: RetryOptions;
  /** Retries of half pops, commits and rollbacks. @defaultValue the client's `retry` ({@link RETRY_DEFAULTS}) */
  retry?: RetryOptions;
  /** Called with every failure the checker works around (a failed pop, a check that threw, a failed commit). Must not throw. @defaultValue logs with console.warn */
  onError?: (err: unknown, info: { kind: 'pop' | 'check' | 'end'; message?: HalfMessage }) => void;
}

/** The defaults of {@link TransactionCheckerOptions}, in one place. */
export const TRANSACTION_CHECKER_DEFAULTS = {
  waitMs: 10_000,
  maxMessages: 16,
  invisibleMs: 30_000,
  pollBackoff: { initialDelayMs: 250, multiplier: 2, maxDelayMs: 3_000, jitter: 0.2 },
} as const;

/** What one round of checks did. */
export interface CheckRound {
  /** Half messages popped. */
  checked: number;
  committed: number;
  rolledBack: number;
  /** Left to the next check (UNKNOWN, a throw, or an end that failed). */
  unknown: number;
  /** Resolved by someone else between the pop and the end (TRANSACTION_NOT_FOUND). */
  alreadyResolved: number;
}

/** Made by {@link Client.transactionChecker}. start() runs it in the background; checkOnce() runs one round. */
export class TransactionChecker {
  readonly producerGroup: string;
  readonly topic: string;
  private readonly http: Http;
  private readonly retry: Required<RetryOptions>;
  private readonly options: TransactionCheckerOptions;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(http: Http, clientRetry: RetryOptions | undefined, options: TransactionCheckerOptions) {
    if (!options || typeof options.producerGroup !== 'string')
      throw new FlaremqError('INVALID_GROUP_NAME', 'a transaction checker needs { producerGroup }');
    if (typeof options.topic !== 'string')
      throw new FlaremqError('INVALID_REQUEST', 'a transaction checker needs { topic }');
    if (typeof options.check !== 'function')
      throw new FlaremqError('INVALID_REQUEST', 'a transaction checker needs a check function');
    this.http = http;
    this.producerGroup = options.producerGroup;
    this.topic = options.topic;
    this.options = options;
    this.retry = retryOptions(clientRetry, options.retry);
  }

  /** Whether start() was called and stop() not yet. */
  get running(): boolean {
    return this.controller !== undefined;
  }

  /** Starts checking in the background (idempotent). Pops that fail go to `onError` and are tried again after `pollBackoff`. */
  start(): void {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    this.loop = this.run(controller.signal);
  }

  /** Stops: a long poll in flight is abandoned, checks in flight finish. Idempotent. */
  async stop(): Promise<void> {
    const controller = this.controller;
    const loop = this.loop;
    this.controller = undefined;
    this.loop = undefined;
    controller?.abort(new FlaremqError('ABORTED', 'the transaction checker stopped'));
    await loop;
  }

  /**
   * One round: pops the half messages due (waiting up to `waitMs`), checks
   * each, and commits or rolls back by the answers. Rejects only when the
   * pop fails; a failed check or end is reported to `onError` and counted as unknown.
   */
  async checkOnce(options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<CheckRound> {
    const o = this.options;
    const waitMs = options.waitMs ?? o.waitMs ?? TRANSACTION_CHECKER_DEFAULTS.waitMs;
    const answer = await withRetry(
      () =>
        this.http.request<Schemas['HalfPopResult']>(
          'POST',
          path`/producer-groups/${this.producerGroup}/half-messages/pop`,
          {
            body: {
              topic: this.topic,
              maxMessages: o.maxMessages ?? TRANSACTION_CHECKER_DEFAULTS.maxMessages,
              invisibleMs: o.invisibleMs ?? TRANSACTION_CHECKER_DEFAULTS.invisibleMs,
              waitMs,
            } satisfies Schemas['HalfPopRequest'],
            signal: options.signal,
            timeoutMs: waitMs + LONG_POLL_GRACE_MS,
          },
        ),
      this.retry,
      options.signal,
    );
    const round: CheckRound = {
      checked: answer.messages.length,
      committed: 0,
      rolledBack: 0,
      unknown: 0,
      alreadyResolved: 0,
    };
    await Promise.all(
      answer.messages.map(async (view) => {
        const half = new HalfMessage(view);
        const outcome = await this.resolve(half);
        round[outcome]++;
      }),
    );
    return round;
  }

  private async resolve(half: HalfMessage): Promise<'committed' | 'rolledBack' | 'unknown' | 'alreadyResolved'> {
    let state: TransactionState;
    try {
      const answer = await this.options.check(half);
      const known = toTransactionState(answer);
      if (!known)
        throw new FlaremqError(
          'INVALID_REQUEST',
          `check returned ${JSON.stringify(answer)}, not 'COMMIT', 'ROLLBACK' or 'UNKNOWN'`,
        );
      state = known;
    } catch (err) {
      this.report(err, { kind: 'check', message: half });
      return 'unknown';
    }
    if (state === 'UNKNOWN') return 'unknown';
    try {
      await endTransaction(this.http, this.retry, half.transactionHandle, state === 'COMMIT' ? 'commit' : 'rollback');
      return state === 'COMMIT' ? 'committed' : 'rolledBack';
    } catch (err) {
      if (isTransactionNotFound(err)) return 'alreadyResolved';
      this.report(err, { kind: 'end', message: half });
      return 'unknown';
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = retryOptions(TRANSACTION_CHECKER_DEFAULTS.pollBackoff, this.options.pollBackoff);
    let failures = 0;
    while (!signal.aborted) {
      try {
        const round = await this.checkOnce({ signal });
        failures = 0;
        // Without long polling (waitMs 0), an empty round waits a little rather than asking again at once.
        if (round.checked === 0 && (this.options.waitMs ?? TRANSACTION_CHECKER_DEFAULTS.waitMs) === 0)
          await sleep(backoff.maxDelayMs, signal);
      } catch (err) {
        if (signal.aborted || isAborted(err)) break;
        this.report(err, { kind: 'pop' });
        failures++;
        try {
          await sleep(retryDelay(failures, backoff), signal);
        } catch {
          break;
        }
      }
    }
  }

  private report(err: unknown, info: { kind: 'pop' | 'check' | 'end'; message?: HalfMessage }): void {
    if (this.options.onError) {
      try {
        this.options.onError(err, info);
      } catch {
        // onError must not throw; ignore if it does
      }
    } else {
      console.warn(`flaremq transaction checker of ${this.producerGroup} (${info.kind}):`, err);
    }
  }
}

// ---- the check URL: push check-back, signed (docs/transactions.md#signed-checks) ----

export interface VerifyCheckOptions {
  /** The receiver's clock, ms. @defaultValue Date.now() */
  now?: number;
  /** Most distance between the check's timestamp and `now`, either way. @defaultValue 300000 (5 minutes) */
  maxSkewMs?: number;
}

/**
 * Verifies a check-back request that flaremq POSTed to a producer group's
 * check URL: its `X-Flaremq-Signature` under the group's check secret (the
 * answer of `PUT /producer-groups/{group}`), over the producer group, the
 * timestamp and the body (src/core/check-signing.ts). Returns the half
 * message; throws a FlaremqError INVALID_SIGNATURE (or REQUEST_EXPIRED for a
 * timestamp too far from `now`) for anything flaremq did not sign. Reads the body.
 */
export async function verifyTransactionCheck(
  request: Request,
  secret: string,
  options: VerifyCheckOptions = {},
): Promise<HalfMessage> {
  const body = await request.text();
  const problem = await checkSignatureProblem(
    secret,
    request.headers,
    body,
    options.now ?? Date.now(),
    options.maxSkewMs ?? MAX_CHECK_SKEW_MS,
  );
  if (problem) throw new FlaremqError(problem.code, problem.detail);
  let view: HalfMessageView;
  try {
    view = JSON.parse(body) as HalfMessageView;
  } catch (err) {
    throw new FlaremqError('MALFORMED_JSON', 'the check body is not JSON', { cause: err });
  }
  return new HalfMessage(view);
}

/**
 * A fetch handler for a check URL (a Worker's `fetch`, or any server with
 * WHATWG Request/Response): verifies the request ({@link verifyTransactionCheck}),
 * asks `check`, and answers `{"status": "COMMIT" | "ROLLBACK" | "UNKNOWN"}`.
 * An unsigned, tampered or stale request gets 401 and `check` is not asked;
 * a check that throws answers UNKNOWN (flaremq checks again later).
 */
export function transactionCheckHandler(
  options: { secret: string; check: LocalTransaction<HalfMessage> } & VerifyCheckOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    let half: HalfMessage;
    try {
      half = await verifyTransactionCheck(request, options.secret, options);
    } catch (err) {
      const code = err instanceof FlaremqError ? err.code : 'INVALID_SIGNATURE';
      return Response.json({ error: { code } }, { status: code === 'MALFORMED_JSON' ? 400 : 401 });
    }
    let state: TransactionState;
    try {
      state = toTransactionState(await options.check(half)) ?? 'UNKNOWN';
    } catch {
      state = 'UNKNOWN';
    }
    return Response.json({ status: state });
  };
}
