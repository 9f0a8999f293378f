/**
 * The counters and histograms /metrics reports that are kept where the work
 * happens: each send and pull through the REST API adds to them as it
 * finishes (metricsMiddleware). Per isolate, as any Worker memory and as
 * src/workers/refusals.ts: each isolate counts since it started, which is
 * what a Prometheus counter expects (a restart is a reset).
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

export interface TopicTraffic {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
}

const traffic = new Map<string, TopicTraffic>();
export const sendLatency = new Histogram();
export const pullLatency = new Histogram();

/** Most topics counted per isolate: a flood of made-up names cannot eat memory. */
const MAX_TOPICS = 10_000;

function topicTraffic(topic: string): TopicTraffic | undefined {
  let t = traffic.get(topic);
  if (!t && traffic.size < MAX_TOPICS)
    traffic.set(topic, (t = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 }));
  return t;
}

export function countIn(topic: string, messages: number, bytes: number): void {
  const t = topicTraffic(topic);
  if (!t) return;
  t.messagesIn += messages;
  t.bytesIn += bytes;
}

export function countOut(topic: string, messages: number, bytes: number): void {
  const t = topicTraffic(topic);
  if (!t) return;
  t.messagesOut += messages;
  t.bytesOut += bytes;
}

/** Counts the messages a pull answers, by their bodies' bytes (where the answer is built: no second parse of it). */
export function countPulled(topic: string, messages: readonly { body: Uint8Array }[]): void {
  if (messages.length === 0) return;
  let bytes = 0;
  for (const m of messages) bytes += m.body.byteLength;
  countOut(topic, messages.length, bytes);
}

/** Every topic's traffic in this isolate, sorted by topic. */
export function trafficByTopic(): [string, TopicTraffic][] {
  return [...traffic.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
