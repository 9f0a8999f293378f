import { rmSync } from 'node:fs';

/**
 * Stopping everything the benchmark started, whatever happens: on success, on
 * failure, on Ctrl-C (SIGINT) or SIGTERM. Each part registers how to stop
 * itself (asynchronously, bounded by a timeout) and which process ids to
 * SIGKILL synchronously if the process exits before that ran.
 */

/** Aborted on Ctrl-C or on failure: every workload loop checks it. */
export const stopSignal = new AbortController();

interface Stopper {
  name: string;
  stop: () => Promise<void>;
}

const stoppers: Stopper[] = [];
/** Process ids (or negative process-group ids) to SIGKILL if the process exits with them still registered. */
const lastResort = new Set<number>();

/** Registers how to stop something; returns a function that unregisters it (call it after stopping it yourself). */
export function onStop(name: string, stop: () => Promise<void>): () => void {
  const entry = { name, stop };
  stoppers.push(entry);
  return () => {
    const i = stoppers.indexOf(entry);
    if (i >= 0) stoppers.splice(i, 1);
  };
}

/** Remembers a pid (or -pgid) to SIGKILL at exit if nothing stopped it before. Returns the forget function. */
export function killAtExit(id: number): () => void {
  lastResort.add(id);
  return () => lastResort.delete(id);
}

/** Directories to remove when the process exits (for those that something may still write to until then). */
const removeLater = new Set<string>();

export function removeAtExit(path: string): void {
  removeLater.add(path);
}

process.once('exit', () => {
  for (const path of removeLater) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // left in the temporary directory
    }
  }
  for (const id of lastResort) {
    try {
      process.kill(id, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Stops everything registered, newest first, each within `timeoutMs`. Never throws; returns what failed. */
export async function stopAll(timeoutMs = 30_000): Promise<string[]> {
  const failures: string[] = [];
  while (stoppers.length > 0) {
    const s = stoppers.pop()!;
    try {
      await withTimeout(s.stop(), timeoutMs, `stopping ${s.name}`);
    } catch (err) {
      failures.push(`${s.name}: ${(err as Error).message}`);
    }
  }
  return failures;
}

/**
 * Ctrl-C and SIGTERM: abort the workloads, stop everything (bounded), exit
 * 130. A second Ctrl-C kills what is left at once.
 */
export function installSignalHandlers(log: (line: string) => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: killing what is left`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: stopping everything the benchmark started (Ctrl-C again to kill at once)…`);
    stopSignal.abort(new Error(`interrupted by ${signal}`));
    void stopAll(20_000).then((failures) => {
      for (const f of failures) log(`  could not stop ${f}`);
      process.exit(130);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Throws if the run was interrupted: call it between steps. */
export function checkStopped(): void {
  if (stopSignal.signal.aborted) throw stopSignal.signal.reason ?? new Error('stopped');
}
