/**
 * The latency histograms /metrics reports: each send and pull through the
 * REST API is timed as it finishes (the `metric` of its declaration,
 * api/declare.ts). Per isolate by nature, as src/workers/refusals.ts: a
 * request's time is observed where it is answered, each isolate counts since
 * it started (a restart is a counter reset, which rate() handles), and
 * /metrics says so in their help. Everything that is the cluster's state
 * comes from the objects instead (cluster-stats.ts).
 */

/** Histogram bucket bounds, seconds (Prometheus' convention). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Histogram {
  /** counts[i]: observations ≤ LATENCY_BUCKETS[i] (not cumulative; made cumulative when rendered). */
  readonly counts = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    const i = LATENCY_BUCKETS.findIndex((b) => seconds <= b);
    if (i >= 0) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

export const sendLatency = new Histogram();
export const pullLatency = new Histogram();
