/**
 * flaremq's measurements, against `wrangler dev` started by the end-to-end
 * tests' helper (test/e2e/server.ts): its own ports and state directory,
 * stopped with its whole process tree.
 *
 * The server runs a snapshot of the project taken when the run starts
 * (src/, wrangler.toml and the helper itself, copied to a temporary directory
 * with node_modules linked): wrangler dev reloads the Worker whenever a
 * source file (or a directory the bundler looked in) changes, and an edit or
 * an npm install in the working tree must not restart it in the middle of a
 * measurement.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT, type DevServer } from '../test/e2e/server.ts';
import { onStop, removeAtExit, stopSignal } from './cleanup.ts';
import { requestJson } from './http.ts';
import { closedLoop, pool, type LoadResult } from './load.ts';
import { cmdline, exePath, groupMembers, peakRssKiB, RssSampler } from './procs.ts';
import { every, status } from './progress.ts';
import type { Settings } from './settings.ts';
import { formatCount, median, percentile } from './stats.ts';

export interface Flaremq {
  url: string;
  server: DevServer;
  /** The workerd process running flaremq's Worker and objects (not wrangler's proxy in front of it). */
  runtimePids(): number[];
  /** Every process of the wrangler dev group. */
  allPids(): number[];
  /** Path of the workerd binary that runs it (for its version). */
  workerdPath(): string | null;
  stop(): Promise<void>;
}

type ServerHelper = typeof import('../test/e2e/server.ts');
let snapshot: { root: string; helper: ServerHelper } | null = null;

/** Copies what `wrangler dev` reads (once per run) and loads the helper from the copy, so that its PROJECT_ROOT is the copy. */
async function projectSnapshot(): Promise<{ root: string; helper: ServerHelper }> {
  if (snapshot) return snapshot;
  const root = mkdtempSync(join(tmpdir(), 'flaremq-bench-src-'));
  removeAtExit(root);
  cpSync(join(PROJECT_ROOT, 'src'), join(root, 'src'), { recursive: true });
  for (const file of ['wrangler.toml', 'package.json', 'tsconfig.json', '.dev.vars']) {
    if (existsSync(join(PROJECT_ROOT, file))) copyFileSync(join(PROJECT_ROOT, file), join(root, file));
  }
  mkdirSync(join(root, 'test', 'e2e'), { recursive: true });
  copyFileSync(join(PROJECT_ROOT, 'test', 'e2e', 'server.ts'), join(root, 'test', 'e2e', 'server.ts'));
  // node_modules: a directory of links, one per entry, so that packages installed meanwhile do not
  // change a directory the bundler watches (esbuild's watch mode also rebuilds on directory changes).
  mkdirSync(join(root, 'node_modules'));
  for (const entry of readdirSync(join(PROJECT_ROOT, 'node_modules'))) {
    symlinkSync(join(PROJECT_ROOT, 'node_modules', entry), join(root, 'node_modules', entry));
  }
  const helper = (await import(pathToFileURL(join(root, 'test', 'e2e', 'server.ts')).href)) as ServerHelper;
  snapshot = { root, helper };
  return snapshot;
}

/** `vars` override wrangler.toml's for this server (`--var`). */
export async function startFlaremq(vars?: Record<string, string>): Promise<Flaremq> {
  const { helper } = await projectSnapshot();
  const persistTo = helper.makeTempDir('flaremq-bench-state-');
  let server: DevServer;
  try {
    server = await helper.startServer({
      persistTo,
      readyTimeoutMs: 120_000,
      stopTimeoutMs: 10_000,
      vars,
      logLevel: 'warn',
    });
  } catch (err) {
    rmSync(persistTo, { recursive: true, force: true });
    throw err;
  }
  const stop = async () => {
    try {
      await server.stop();
    } finally {
      rmSync(persistTo, { recursive: true, force: true });
    }
  };
  const unregister = onStop('flaremq (wrangler dev)', stop);
  const workerds = () => groupMembers(server.pid).filter((pid) => basename(exePath(pid) ?? '') === 'workerd');
  // wrangler dev runs two workerd processes: a proxy on the public port, and the one running the Worker.
  const isProxy = (pid: number) => cmdline(pid).some((a) => a.includes(`entry=127.0.0.1:${server.port}`));
  return {
    url: server.url,
    server,
    runtimePids: () => workerds().filter((pid) => !isProxy(pid)),
    allPids: () => groupMembers(server.pid),
    workerdPath: () => {
      const pid = workerds()[0];
      return pid === undefined ? null : exePath(pid);
    },
    stop: async () => {
      unregister();
      await stop();
    },
  };
}

/** PUT a topic: `queueNums` queues on each of `brokerNames`. */
export async function createTopic(url: string, topic: string, queueNums: number, brokerNames: string[]): Promise<void> {
  await requestJson(`${url}/api/v1/topics/${topic}`, { method: 'PUT', body: { queueNums, brokerNames } });
}

/** The topic layout used for `n` queues: spread over both broker groups when n is even, else all on broker-a. */
export function layout(n: number): { queueNums: number; brokerNames: string[] } {
  return n % 2 === 0
    ? { queueNums: n / 2, brokerNames: ['broker-a', 'broker-b'] }
    : { queueNums: n, brokerNames: ['broker-a'] };
}

export const pad = (size: number) => 'x'.repeat(size);

/** produce.batch (and scale): batches of `batchSize` over a topic of `queues` queues, round robin by the Worker. */
export async function produceBatch(
  url: string,
  s: Settings,
  topic: string,
  queues: number,
  durationMs: number,
): Promise<LoadResult> {
  const { queueNums, brokerNames } = layout(queues);
  await createTopic(url, topic, queueNums, brokerNames);
  const body = JSON.stringify({ messages: Array.from({ length: s.batchSize }, () => ({ body: pad(s.messageSize) })) });
  return closedLoop({
    concurrency: s.concurrency,
    warmupMs: s.warmupMs,
    durationMs,
    op: async () => {
      const r = await requestJson<{ results: unknown[] }>(`${url}/api/v1/topics/${topic}/messages`, { body });
      return r.results.length;
    },
  });
}

/** What the queue objects of a topic wrote, from their status (QueueStatus.storage: the runtime's rowsWritten, summed in each object since it started). */
export interface TopicStorage {
  messages: number;
  rows: number;
  bytes: number;
  databaseBytes: number;
}

export async function topicStorage(url: string, topic: string): Promise<TopicStorage> {
  type Storage = { rowsWritten: number; messagesAppended: number; bytesWritten: number; databaseBytes: number };
  const status = await requestJson<{ queues: { storage: Storage }[] }>(
    `${url}/api/v1/topics/${topic}/status?counters=true`,
    { method: 'GET' },
  );
  const sum = (f: (s: Storage) => number) => status.queues.reduce((n, q) => n + f(q.storage), 0);
  return {
    messages: sum((s) => s.messagesAppended),
    rows: sum((s) => s.rowsWritten),
    bytes: sum((s) => s.bytesWritten),
    databaseBytes: sum((s) => s.databaseBytes),
  };
}

/** produce.single: one message per request. */
export async function produceSingle(url: string, s: Settings, topic: string): Promise<LoadResult> {
  const { queueNums, brokerNames } = layout(s.queues);
  await createTopic(url, topic, queueNums, brokerNames);
  const body = JSON.stringify({ body: pad(s.messageSize) });
  return closedLoop({
    concurrency: s.concurrency,
    warmupMs: s.warmupMs,
    durationMs: s.durationMs,
    op: async () => {
      await requestJson(`${url}/api/v1/topics/${topic}/messages`, { body });
      return 1;
    },
  });
}

interface PullAnswer {
  status: string;
  messages: { body: string }[];
  nextBeginOffset: number;
  maxOffset: number;
}

/**
 * Fills `consumeMessages` evenly over the topic's queues (created here, not
 * timed): what `consume` and `consume.stream` drain.
 */
export async function fillQueues(
  url: string,
  s: Settings,
  topic: string,
): Promise<{ queues: { brokerName: string; queueId: number }[]; perQueue: number }> {
  const { queueNums, brokerNames } = layout(s.queues);
  await createTopic(url, topic, queueNums, brokerNames);
  const queues = brokerNames.flatMap((brokerName) =>
    Array.from({ length: queueNums }, (_, queueId) => ({ brokerName, queueId })),
  );
  const perQueue = Math.ceil(s.consumeMessages / queues.length);
  const fillBatch = 500;
  const fills = queues.flatMap((queue) =>
    Array.from({ length: Math.ceil(perQueue / fillBatch) }, (_, i) => ({
      queue,
      count: Math.min(fillBatch, perQueue - i * fillBatch),
    })),
  );
  let filled = 0;
  const stopFillStatus = every(250, () =>
    status(`filling the backlog: ${formatCount(filled)} of ${formatCount(perQueue * queues.length)}`),
  );
  try {
    await pool(fills, 8, async ({ queue, count }) => {
      const messages = Array.from({ length: count }, () => ({ body: pad(s.messageSize) }));
      await requestJson(`${url}/api/v1/topics/${topic}/messages`, { body: { queue, messages }, timeoutMs: 120_000 });
      filled += count;
    });
  } finally {
    stopFillStatus();
  }
  return { queues, perQueue };
}

/**
 * consume: fills the queues (fillQueues), then one consumer per queue pulls
 * up to `pullSize` and commits its offset after each pull, until its queue is drained.
 */
export async function consume(
  url: string,
  s: Settings,
  topic: string,
): Promise<{ rate: number; messages: number; elapsedMs: number }> {
  const { queues, perQueue } = await fillQueues(url, s, topic);

  let consumed = 0;
  const start = performance.now();
  const stopStatus = every(250, () =>
    status(`draining: ${formatCount(consumed)} of ${formatCount(perQueue * queues.length)}`),
  );
  try {
    await Promise.all(
      queues.map(async ({ brokerName, queueId }) => {
        let offset = 0;
        // Bounded: twice the pulls the queue needs, plus a margin.
        for (let i = 0; offset < perQueue && i < 2 * Math.ceil(perQueue / s.pullSize) + 20; i++) {
          if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
          const r = await requestJson<PullAnswer>(
            `${url}/api/v1/topics/${topic}/queues/${brokerName}/${queueId}/messages?offset=${offset}&maxMessages=${s.pullSize}`,
          );
          consumed += r.messages.length;
          offset = r.nextBeginOffset;
          await requestJson(`${url}/api/v1/groups/bench_consumer/offsets`, {
            method: 'PUT',
            body: { topic, brokerName, queueId, offset },
          });
        }
      }),
    );
  } finally {
    stopStatus();
  }
  const elapsedMs = performance.now() - start;
  if (consumed < perQueue * queues.length)
    throw new Error(`drained ${consumed} of ${perQueue * queues.length} messages`);
  return { rate: consumed / (elapsedMs / 1000), messages: consumed, elapsedMs };
}

export interface LatencyResult {
  p50: number;
  p99: number;
  samples: number;
  achievedRate: number;
  /** Median time a send took to be answered (SEND_OK): a high one means the offered rate is above what the server takes. */
  sendP50: number;
}

/**
 * latency: one producer sends one message every 1/rate s (open loop: a slow
 * send does not delay the next), one consumer long-polls the topic's single
 * queue. Latency = when the consumer has the message − when the send began,
 * both on this process's clock.
 */
export async function latency(url: string, s: Settings, topic: string): Promise<LatencyResult> {
  await createTopic(url, topic, 1, ['broker-a']);
  const warm = Math.floor((s.warmupMs / 1000) * s.latencyRate);
  const total = warm + Math.floor((s.latencyMs / 1000) * s.latencyRate);
  const latencies: number[] = [];
  let received = 0;
  let producing = true;
  const deadline = performance.now() + s.warmupMs + s.latencyMs + 30_000;

  const consumer = (async () => {
    let offset = 0;
    while (received < total && performance.now() < deadline) {
      if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
      const r = await requestJson<PullAnswer>(
        `${url}/api/v1/topics/${topic}/queues/broker-a/0/messages?offset=${offset}&maxMessages=100&waitMs=2000`,
      );
      const now = performance.now();
      for (const m of r.messages) {
        const bar = m.body.indexOf('|');
        const i = Number(m.body.slice(0, bar));
        const sentAt = Number(m.body.slice(bar + 1, m.body.indexOf('|', bar + 1)));
        if (i >= warm) latencies.push(now - sentAt);
        received++;
      }
      offset = r.nextBeginOffset;
      if (!producing && r.messages.length === 0 && received < total) break;
    }
  })();

  const padding = pad(s.messageSize - 40);
  const start = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  const sendTimes: number[] = [];
  const stopStatus = every(250, () => status(`${formatCount(received)} of ${formatCount(total)} received`));
  let errors = 0;
  try {
    for (let i = 0; i < total; i++) {
      if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
      const wait = start + (i * 1000) / s.latencyRate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Bounded: at most 256 sends in flight (the server keeps up at 200/s; this only guards a stall).
      while (inFlight.size >= 256) await Promise.race(inFlight);
      const sentAt = performance.now();
      const body = JSON.stringify({ body: `${i}|${sentAt.toFixed(3)}|${padding}` });
      const p = requestJson(`${url}/api/v1/topics/${topic}/messages`, { body })
        .then(() => void (i >= warm && sendTimes.push(performance.now() - sentAt)))
        .catch(() => void errors++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    producing = false;
    await consumer;
  } finally {
    producing = false;
    stopStatus();
  }
  const achievedRate = total / ((performance.now() - start) / 1000);
  if (errors > 0) throw new Error(`${errors} sends failed`);
  return {
    p50: median(latencies),
    p99: percentile(latencies, 99),
    samples: latencies.length,
    achievedRate,
    sendP50: median(sendTimes),
  };
}

/**
 * The queue storage cap (MAX_QUEUE_BYTES) the backlog server runs with: room
 * for the whole backlog, so that retention keeps every message (the default
 * cap, 1 GiB, is less than 1,000,000 messages of 1 KiB with their overhead).
 */
export function backlogQueueBytes(s: Settings): number {
  return Math.min(8 * 2 ** 30, Math.max(2 ** 30, 2 * s.backlogMessages * (s.messageSize + 256)));
}

export interface BacklogResult {
  appendMs: number;
  appendRate: number;
  /** Append rate over the first and over the last tenth of the messages: whether appends slow down as the queue grows. */
  firstTenthRate: number;
  lastTenthRate: number;
  headMs: number;
  tailMs: number;
  peakRssMiB: number;
  sampledPeakMiB: number;
  groupPeakMiB: number;
}

/**
 * backlog: appends `backlogMessages` to one queue in batches, then times
 * pulls of `pullSize` at the head (offset 0) and at the tail, alternating.
 * Memory: the kernel's high-water mark of the runtime process (this server
 * is started for the backlog alone), and sampled sums.
 */
export async function backlog(fm: Flaremq, s: Settings, topic: string): Promise<BacklogResult> {
  const url = fm.url;
  await createTopic(url, topic, 1, ['broker-a']);
  const runtime = new RssSampler(fm.runtimePids).start(200);
  const group = new RssSampler(fm.allPids).start(500);
  try {
    const body = JSON.stringify({
      messages: Array.from({ length: s.backlogBatch }, () => ({ body: pad(s.messageSize) })),
    });
    const batches = Array.from({ length: Math.ceil(s.backlogMessages / s.backlogBatch) }, (_, i) => i);
    let appended = 0;
    const start = performance.now();
    const tenth = s.backlogMessages / 10;
    let firstTenthAt = 0;
    let lastTenthFrom = 0;
    const stopStatus = every(250, () => {
      const rate = appended / ((performance.now() - start) / 1000);
      status(
        `${formatCount(appended)} of ${formatCount(s.backlogMessages)} appended · ${formatCount(rate)}/s · runtime RSS ${Math.round(runtime.sample() / 1024)} MiB`,
      );
    });
    try {
      await pool(batches, s.backlogConcurrency, async () => {
        const r = await requestJson<{ results: unknown[] }>(`${url}/api/v1/topics/${topic}/messages`, {
          body,
          timeoutMs: 120_000,
        });
        appended += r.results.length;
        if (!firstTenthAt && appended >= tenth) firstTenthAt = performance.now();
        if (!lastTenthFrom && appended >= s.backlogMessages - tenth) lastTenthFrom = performance.now();
      });
    } finally {
      stopStatus();
    }
    const end = performance.now();
    const appendMs = end - start;

    const pullAt = async (offset: number) => {
      const t = performance.now();
      const r = await requestJson<PullAnswer>(
        `${url}/api/v1/topics/${topic}/queues/broker-a/0/messages?offset=${offset}&maxMessages=${s.pullSize}`,
      );
      if (r.messages.length !== s.pullSize)
        throw new Error(`a pull at ${offset} returned ${r.messages.length} messages`);
      return performance.now() - t;
    };
    const tailOffset = s.backlogMessages - s.pullSize;
    status('timing pulls at the head and the tail');
    await pullAt(0);
    await pullAt(tailOffset);
    const head: number[] = [];
    const tail: number[] = [];
    for (let i = 0; i < s.backlogReads; i++) {
      head.push(await pullAt(0));
      tail.push(await pullAt(tailOffset));
    }
    const hwm = fm.runtimePids().reduce((sum, pid) => sum + peakRssKiB(pid), 0);
    return {
      appendMs,
      appendRate: appended / (appendMs / 1000),
      firstTenthRate: tenth / ((firstTenthAt - start) / 1000),
      lastTenthRate: tenth / ((end - lastTenthFrom) / 1000),
      headMs: median(head),
      tailMs: median(tail),
      peakRssMiB: hwm / 1024,
      sampledPeakMiB: runtime.stop() / 1024,
      groupPeakMiB: group.stop() / 1024,
    };
  } finally {
    runtime.stop();
    group.stop();
  }
}
