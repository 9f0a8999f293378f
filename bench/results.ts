/** The figures one run produces, as the table and --json show them. */

/** Who a figure is about: the runtime's ceilings, flaremq, or a peer. */
export type System = 'runtime' | 'flaremq' | 'cfQueues' | 'redis';

export type Unit = 'msg/s' | 'req/s' | 'rows/s' | 'ms' | 's' | 'MiB' | '×' | 'rows/msg' | 'B/msg';

export interface Figure {
  /** e.g. limit.doInsert, produce.batch, latency.p99, backlog.append, scale.4, memory.peakRss */
  key: string;
  system: System;
  /** null when the measurement was skipped or failed. */
  value: number | null;
  unit: Unit;
  /** How it was measured, briefly (sizes, counts, errors). */
  note?: string;
  /** Why there is no value. */
  skipped?: string;
}

export class Results {
  readonly figures: Figure[] = [];

  add(figure: Figure): void {
    this.figures.push(figure);
  }

  value(key: string, system: System): number | null {
    return this.find(key, system)?.value ?? null;
  }

  find(key: string, system: System): Figure | undefined {
    return this.figures.find((f) => f.key === key && f.system === system);
  }

  /** Marks every listed figure of a system as skipped (those not already there). */
  skip(system: System, entries: [key: string, unit: Unit][], reason: string): void {
    for (const [key, unit] of entries) {
      if (!this.find(key, system)) this.add({ key, system, value: null, unit, skipped: reason });
    }
  }
}
