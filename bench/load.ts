/**
 * Closed-loop load: `concurrency` loops each repeat an operation; what
 * completes within the timed window (after a warm-up) counts. Every loop is
 * bounded by time and stops at once on Ctrl-C.
 */
import { stopSignal } from './cleanup.ts';
import { every, status } from './progress.ts';
import { formatCount } from './stats.ts';

export interface LoadOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** One operation by loop `worker`; returns how many units (messages, requests) it completed. */
  op: (worker: number) => Promise<number>;
  /** For the status line. @defaultValue "msgs" */
  unit?: string;
}

export interface LoadResult {
  /** Units per second over the timed window. */
  rate: number;
  units: number;
  ops: number;
  errors: number;
  firstError?: string;
  durationMs: number;
}

export async function closedLoop(opts: LoadOptions): Promise<LoadResult> {
  const start = performance.now();
  const windowStart = start + opts.warmupMs;
  const windowEnd = windowStart + opts.durationMs;
  let units = 0;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const unit = opts.unit ?? 'msgs';
  const stopStatus = every(250, () => {
    const now = performance.now();
    if (now < windowStart) status(`warming up`);
    else status(`${formatCount(units)} ${unit} · ${formatCount(units / ((now - windowStart) / 1000))}/s`);
  });
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, worker) => {
        while (performance.now() < windowEnd && !stopSignal.signal.aborted) {
          try {
            const n = await opts.op(worker);
            const t = performance.now();
            if (t >= windowStart && t <= windowEnd) {
              units += n;
              ops++;
            }
          } catch (err) {
            if (stopSignal.signal.aborted) return;
            errors++;
            firstError ??= (err as Error).message;
            // A failing server must not turn this into a busy loop.
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }),
    );
  } finally {
    stopStatus();
  }
  if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
  if (ops === 0) throw new Error(`no operation succeeded${firstError ? `: ${firstError}` : ''}`);
  return { rate: units / (opts.durationMs / 1000), units, ops, errors, firstError, durationMs: opts.durationMs };
}

/** Runs `fn` over `items` with at most `concurrency` at a time (bounded: each item once). */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}
