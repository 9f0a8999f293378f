/**
 * Latency fault tolerance for producers (RocketMQ 5's MQFaultStrategy and
 * LatencyFaultToleranceImpl): after each send to a broker group, the time it
 * took decides how long the group is avoided; a failed send counts as
 * ISOLATION_LATENCY_MS. Pure: the caller passes the clock.
 */

/** Latency thresholds, ms (RocketMQ's latencyMax). */
export const LATENCY_MAX_MS: readonly number[] = [50, 100, 550, 1800, 3000, 5000, 15000];
/** How long a group is avoided once a send took at least the threshold at the same index, ms (notAvailableDuration). */
export const NOT_AVAILABLE_MS: readonly number[] = [0, 0, 2000, 5000, 6000, 10000, 30000];
/** The latency a failed send counts as: 10 s, so the group is avoided for 10 s. */
export const ISOLATION_LATENCY_MS = 10_000;

export interface FaultToleranceOptions {
  /** @defaultValue LATENCY_MAX_MS */
  latencyMaxMs?: readonly number[];
  /** @defaultValue NOT_AVAILABLE_MS */
  notAvailableMs?: readonly number[];
  /** @defaultValue ISOLATION_LATENCY_MS */
  isolationLatencyMs?: number;
}

/** What is known of one broker group. */
export interface FaultItem {
  brokerName: string;
  /** Latency of the last send, ms (ISOLATION_LATENCY_MS for a failure). */
  latencyMs: number;
  /** Avoided until then, ms since the epoch. */
  availableAt: number;
}

/** How long to avoid a group whose last send took `latencyMs`: the duration of the highest threshold reached. */
export function notAvailableDuration(
  latencyMs: number,
  latencyMax: readonly number[] = LATENCY_MAX_MS,
  durations: readonly number[] = NOT_AVAILABLE_MS,
): number {
  for (let i = latencyMax.length - 1; i >= 0; i--) {
    if (latencyMs >= latencyMax[i]) return durations[i];
  }
  return 0;
}

export class LatencyFaultTolerance {
  private readonly items = new Map<string, FaultItem>();
  private readonly latencyMax: readonly number[];
  private readonly durations: readonly number[];
  private readonly isolationLatency: number;

  constructor(options: FaultToleranceOptions = {}) {
    this.latencyMax = options.latencyMaxMs ?? LATENCY_MAX_MS;
    this.durations = options.notAvailableMs ?? NOT_AVAILABLE_MS;
    this.isolationLatency = options.isolationLatencyMs ?? ISOLATION_LATENCY_MS;
    if (this.latencyMax.length !== this.durations.length)
      throw new Error('latencyMaxMs and notAvailableMs differ in length');
  }

  /**
   * Records a send to `brokerName` that took `latencyMs` (`failed`: it did not
   * succeed). Answers whether this made an available group unavailable.
   */
  update(
    brokerName: string,
    latencyMs: number,
    failed: boolean,
    now: number,
  ): { availableAt: number; newlyUnavailable: boolean } {
    const wasAvailable = this.isAvailable(brokerName, now);
    const latency = failed ? this.isolationLatency : Math.max(0, latencyMs);
    const availableAt = now + notAvailableDuration(latency, this.latencyMax, this.durations);
    this.items.set(brokerName, { brokerName, latencyMs: latency, availableAt });
    return { availableAt, newlyUnavailable: wasAvailable && availableAt > now };
  }

  isAvailable(brokerName: string, now: number): boolean {
    const item = this.items.get(brokerName);
    return !item || item.availableAt <= now;
  }

  /** The groups to avoid now. */
  unavailable(now: number): Set<string> {
    const out = new Set<string>();
    for (const item of this.items.values()) if (item.availableAt > now) out.add(item.brokerName);
    return out;
  }

  /**
   * When every candidate is avoided: the one to try anyway, the group that
   * becomes available first (then the lower latency). Null for no candidates.
   */
  pickOneAtLeast(candidates: readonly string[]): string | null {
    let best: string | null = null;
    let bestItem: FaultItem | undefined;
    for (const name of candidates) {
      const item = this.items.get(name);
      if (!item) return name;
      if (
        !bestItem ||
        item.availableAt < bestItem.availableAt ||
        (item.availableAt === bestItem.availableAt && item.latencyMs < bestItem.latencyMs)
      ) {
        best = name;
        bestItem = item;
      }
    }
    return best;
  }

  /** Forgets a group (it is known to be back). */
  remove(brokerName: string): void {
    this.items.delete(brokerName);
  }

  /** Every group known, for status pages and tests. */
  snapshot(): FaultItem[] {
    return [...this.items.values()].map((i) => ({ ...i }));
  }
}
