/** Waiting that a stop() can cut short: sleep, and racing a promise against an AbortSignal. */
import { FlaremqError } from './errors';

/** The error a cut-short wait rejects with. */
export function abortError(signal?: AbortSignal): FlaremqError {
  const reason = signal?.reason;
  if (reason instanceof FlaremqError) return reason;
  return new FlaremqError('ABORTED', reason instanceof Error ? reason.message : 'the operation was aborted', {
    cause: reason,
  });
}

/** Resolves after `ms`, or rejects with ABORTED as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles like `promise`, or rejects with ABORTED as soon as `signal` aborts,
 * whichever comes first (for fetch implementations that ignore signals).
 */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * A controller that aborts when any of `signals` does, until `unlink()`.
 * Not AbortSignal.any: every request links a consumer's long-lived signal, and
 * AbortSignal.any has leaked its composites into a long-lived source in shipped
 * runtimes (nodejs/node#55351 before 22.12, again #62363 in 24.13 and 25.8,
 * denoland/deno#24842); unlinking by hand frees them whatever the runtime.
 */
export function linkedController(...signals: (AbortSignal | undefined)[]): {
  controller: AbortController;
  unlink: () => void;
} {
  const controller = new AbortController();
  const links: (() => void)[] = [];
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    links.push(() => signal.removeEventListener('abort', onAbort));
  }
  return { controller, unlink: () => links.forEach((unlink) => unlink()) };
}
