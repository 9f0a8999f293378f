/** What each mode measures, and how long: the one place to change sizes and durations. */

export type Mode = 'full' | 'quick';

export interface Settings {
  mode: Mode;
  /** Bytes of every message body. */
  messageSize: number;
  /** Concurrent requests (or connections) of the produce measurements and of limit.httpNoop. */
  concurrency: number;
  /** Messages per batch in produce.batch (and scale). */
  batchSize: number;
  /** Queues of the produce and consume topics. */
  queues: number;
  warmupMs: number;
  /** Timed window of produce.batch, produce.single and limit.httpNoop. */
  durationMs: number;
  scaleQueues: number[];
  scaleDurationMs: number;
  /** Messages drained by `consume` (spread evenly over the queues). */
  consumeMessages: number;
  /** Messages per pull (and per XREADGROUP) when consuming. */
  pullSize: number;
  latencyRate: number;
  latencyMs: number;
  /** Messages appended to one queue by `backlog`. */
  backlogMessages: number;
  backlogBatch: number;
  backlogConcurrency: number;
  /** Pulls timed at the head and at the tail of the backlog (each). */
  backlogReads: number;
  insertRows: number;
  insertRuns: number;
}

const full: Settings = {
  mode: 'full',
  messageSize: 1024,
  concurrency: 16,
  batchSize: 100,
  queues: 8,
  warmupMs: 2000,
  durationMs: 15_000,
  scaleQueues: [1, 2, 4, 8],
  scaleDurationMs: 10_000,
  consumeMessages: 100_000,
  pullSize: 100,
  latencyRate: 200,
  latencyMs: 30_000,
  backlogMessages: 1_000_000,
  backlogBatch: 1000,
  backlogConcurrency: 4,
  backlogReads: 25,
  insertRows: 100_000,
  insertRuns: 3,
};

const quick: Settings = {
  ...full,
  mode: 'quick',
  warmupMs: 1000,
  durationMs: 5000,
  scaleDurationMs: 3000,
  consumeMessages: 20_000,
  latencyMs: 6000,
  backlogMessages: 100_000,
  backlogReads: 10,
  insertRows: 30_000,
  insertRuns: 2,
};

export const settingsFor = (mode: Mode): Settings => (mode === 'full' ? full : quick);
