/**
 * The Cloudflare Queues peer, as miniflare simulates it (bench/workers/):
 * producers are the Worker's queue bindings (sendBatch, send), the consumer
 * its queue() handler, all in one local runtime. Each measurement is one
 * request that runs the load inside the Worker; this side times it and shows
 * progress from /cfq/stats.
 */
import { requestJson } from './http.ts';
import { every, status } from './progress.ts';
import type { Settings } from './settings.ts';
import { formatCount, median, percentile } from './stats.ts';

interface Stats {
  produced: number;
  consumed: Record<string, number>;
  latencies: number;
}

/** Runs a long request while showing the Worker's counters. */
async function watched<T>(workerUrl: string, path: string, show: (s: Stats) => string): Promise<T> {
  const stop = every(500, () => {
    requestJson<Stats>(`${workerUrl}/cfq/stats`, { timeoutMs: 5000 }).then(
      (s) => status(show(s)),
      () => undefined,
    );
  });
  try {
    return await requestJson<T>(`${workerUrl}${path}`, { timeoutMs: 900_000 });
  } finally {
    stop();
  }
}

/** Undelivered messages stay in the simulated broker's memory: each produce run stops at this many. */
const PRODUCE_CAP = 600_000;

/** produce.batch (batch = 100, sendBatch) or produce.single (batch = 1, send), `concurrency` loops in the Worker. */
export async function produce(
  workerUrl: string,
  s: Settings,
  which: 'batch' | 'single',
): Promise<{ rate: number; messages: number; capped: boolean }> {
  const batch = which === 'batch' ? s.batchSize : 1;
  const q = `queue=${which}&batch=${batch}&conc=${s.concurrency}&size=${s.messageSize}`;
  status('warming up');
  await requestJson(`${workerUrl}/cfq/produce?${q}&ms=${s.warmupMs}&total=${PRODUCE_CAP / 10}`, { timeoutMs: 120_000 });
  const r = await watched<{ messages: number; elapsedMs: number }>(
    workerUrl,
    `/cfq/produce?${q}&ms=${s.durationMs}&total=${PRODUCE_CAP}`,
    (st) => `${formatCount(st.produced)} sent`,
  );
  return { rate: r.messages / (r.elapsedMs / 1000), messages: r.messages, capped: r.messages >= PRODUCE_CAP };
}

/** consume: fills `consumeMessages` while the consumer holds its first batch, then lets it drain them. */
export async function consume(
  workerUrl: string,
  s: Settings,
): Promise<{ rate: number; messages: number; elapsedMs: number }> {
  await watched(
    workerUrl,
    `/cfq/fill?n=${s.consumeMessages}&size=${s.messageSize}`,
    (st) => `filling the backlog: ${formatCount(st.produced)}`,
  );
  const r = await watched<{ consumed: number; elapsedMs: number }>(
    workerUrl,
    `/cfq/drain?n=${s.consumeMessages}&timeoutMs=300000`,
    (st) => `draining: ${formatCount(st.consumed['bench-consume'] ?? 0)} of ${formatCount(s.consumeMessages)}`,
  );
  if (r.consumed < s.consumeMessages) throw new Error(`drained ${r.consumed} of ${s.consumeMessages} messages`);
  return { rate: r.consumed / (r.elapsedMs / 1000), messages: r.consumed, elapsedMs: r.elapsedMs };
}

/** latency: one send every 1/rate s from the Worker; latency stamped by the consumer when its batch arrives. */
export async function latency(workerUrl: string, s: Settings): Promise<{ p50: number; p99: number; samples: number }> {
  const r = await watched<{ sent: number; received: number; latenciesMs: number[] }>(
    workerUrl,
    `/cfq/latency?rate=${s.latencyRate}&ms=${s.latencyMs}&warmupMs=${s.warmupMs}&size=${s.messageSize}`,
    (st) => `${formatCount(st.latencies)} received`,
  );
  if (r.received < r.sent) throw new Error(`received ${r.received} of ${r.sent} messages`);
  return { p50: median(r.latenciesMs), p99: percentile(r.latenciesMs, 99), samples: r.latenciesMs.length };
}
