/**
 * flaremq's stream measurements (docs/streaming.md), with Node 22's global
 * WebSocket as the client, speaking the frames directly (as bench/flaremq.ts
 * speaks REST): produce.stream (batches over producer streams), consume.stream
 * (a backlog drained by push, committing on the streams) and latency.stream
 * (sent over a producer stream, received by push).
 */
import { stopSignal } from './cleanup.ts';
import { loadCore } from './core.ts';
import { createTopic, fillQueues, layout, pad } from './flaremq.ts';
import { requestJson } from './http.ts';
import { closedLoop, type LoadResult } from './load.ts';
import { every, status } from './progress.ts';
import type { Settings } from './settings.ts';
import { formatCount, median, percentile } from './stats.ts';

type Frame = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const text = new TextDecoder();

const core = await loadCore();

/** A binary frame of pushed messages as its JSON twin, each message's body as bytes. */
function binaryFrame(bytes: Uint8Array): Frame {
  const { header, batch } = core.decodeMessagesFrame(bytes);
  const view = new core.BatchView(batch);
  return { ...header, messages: Array.from({ length: view.count }, (_, i) => ({ body: view.message(i).body })) };
}

/** A pushed message's body as text: a string in a JSON frame, bytes in a binary one. */
const bodyText = (body: string | Uint8Array): string => (typeof body === 'string' ? body : text.decode(body));

/** One WebSocket with its frames handed to `onFrame`; opens or fails within 30 s. */
class Socket {
  private readonly ws: WebSocket;
  onFrame: (f: Frame) => void = () => {};
  closed: string | undefined;

  private constructor(url: string) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws'));
    this.ws.binaryType = 'arraybuffer';
    this.ws.addEventListener('message', (e) => {
      if (e.data instanceof ArrayBuffer) this.onFrame(binaryFrame(new Uint8Array(e.data)));
      else if (typeof e.data === 'string' && e.data !== 'pong') this.onFrame(JSON.parse(e.data) as Frame);
    });
    this.ws.addEventListener('close', (e) => void (this.closed = `closed ${e.code} ${e.reason}`));
  }

  static open(url: string): Promise<Socket> {
    const s = new Socket(url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no WebSocket at ${url} within 30 s`)), 30_000);
      s.ws.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.ws.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new Error(`the WebSocket upgrade of ${url} failed`));
      });
    });
  }

  send(frame: Frame | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  close(): void {
    this.ws.close(1000, 'done');
  }
}

/** A producer stream that answers sends by id. */
class ProducerSocket {
  private readonly waiting = new Map<number, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  readonly socket: Socket;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.onFrame = (f) => {
      const w = this.waiting.get(f.id);
      if (!w) return;
      this.waiting.delete(f.id);
      if (f.type === 'sent') w.resolve(f);
      else w.reject(new Error(`${f.code}: ${f.message}`));
    };
  }

  static async open(url: string, topic: string): Promise<ProducerSocket> {
    return new ProducerSocket(await Socket.open(`${url}/api/v1/topics/${topic}/stream`));
  }

  /** Sends `json` (a REST send body, serialized); resolves with the results. */
  send(json: string): Promise<unknown[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`send ${id} unanswered after 60 s (${this.socket.closed ?? 'open'})`)),
        60_000,
      );
      this.waiting.set(id, {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f.results as unknown[]);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.send(`{"id":${id},"send":${json}}`);
    });
  }
}

/** produce.stream: `concurrency` producer streams, each sending batches of `batchSize` one after another (closed loop). */
export async function produceStream(url: string, s: Settings, topic: string): Promise<LoadResult> {
  const { queueNums, brokerNames } = layout(s.queues);
  await createTopic(url, topic, queueNums, brokerNames);
  const producers = await Promise.all(Array.from({ length: s.concurrency }, () => ProducerSocket.open(url, topic)));
  const body = JSON.stringify({ messages: Array.from({ length: s.batchSize }, () => ({ body: pad(s.messageSize) })) });
  try {
    return await closedLoop({
      concurrency: s.concurrency,
      warmupMs: s.warmupMs,
      durationMs: s.durationMs,
      op: async (worker) => (await producers[worker].send(body)).length,
    });
  } finally {
    for (const p of producers) p.socket.close();
  }
}

/** A member of `group` subscribed to `topic` from its first offset; the topic's queues it was assigned. */
async function join(
  url: string,
  group: string,
  clientId: string,
  topic: string,
): Promise<{ brokerName: string; queueId: number }[]> {
  const a = await requestJson<{ queues: { topic: string; brokerName: string; queueId: number }[] }>(
    `${url}/api/v1/groups/${group}/members/${clientId}/heartbeat`,
    {
      body: { subscriptions: [{ topic, expression: '*' }], consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' },
    },
  );
  return a.queues.filter((q) => q.topic === topic);
}

/** Credits a consumer stream keeps granted: messages and body bytes. */
const WINDOW = { messages: 2000, bytes: 8 * 1024 * 1024 };

/** How often a consumer stream commits what it received (RocketMQ's consumers commit every 5 s; `consume` after each pull of 100). */
const COMMIT_EVERY_MS = 100;

/**
 * A member's push stream of one queue: grants WINDOW, hands each pushed message to `onMessage`, grants again
 * what arrived, and commits the position on the stream every COMMIT_EVERY_MS (and when it closes).
 */
async function consumerStream(
  url: string,
  group: string,
  clientId: string,
  topic: string,
  q: { brokerName: string; queueId: number },
  onMessage: (body: string | Uint8Array) => void,
): Promise<{ close(): void }> {
  // Binary frames, as the SDK asks for them (docs/streaming.md).
  const socket = await Socket.open(
    `${url}/api/v1/groups/${group}/members/${clientId}/queues/${topic}/${q.brokerName}/${q.queueId}/stream?frames=binary`,
  );
  let position: number | undefined;
  let committed: number | undefined;
  const commit = () => {
    if (position !== committed && !socket.closed) socket.send({ type: 'commit', offset: (committed = position) });
  };
  const timer = setInterval(commit, COMMIT_EVERY_MS);
  socket.onFrame = (f) => {
    if (f.type === 'ready') socket.send({ type: 'credit', ...WINDOW });
    else if (f.type === 'messages') {
      for (const m of f.messages) onMessage(m.body);
      socket.send({ type: 'credit', messages: f.messages.length, bytes: f.bytes });
      position = f.nextBeginOffset;
    }
  };
  return {
    close: () => {
      clearInterval(timer);
      commit();
      socket.close();
    },
  };
}

/** consume.stream: fills the queues (as `consume`), then one member's streams, one per queue, drain them by push. */
export async function consumeStream(
  url: string,
  s: Settings,
  topic: string,
): Promise<{ rate: number; messages: number; elapsedMs: number }> {
  const { perQueue, queues } = await fillQueues(url, s, topic);
  const total = perQueue * queues.length;
  const group = `${topic}_group`;
  let consumed = 0;
  let done: () => void = () => {};
  const drained = new Promise<void>((resolve) => (done = resolve));
  const start = performance.now();
  const assigned = await join(url, group, 'bench', topic);
  if (assigned.length !== queues.length)
    throw new Error(`the member got ${assigned.length} of ${queues.length} queues`);
  const stopStatus = every(250, () => status(`draining by push: ${formatCount(consumed)} of ${formatCount(total)}`));
  const sockets = await Promise.all(
    assigned.map((q) =>
      consumerStream(url, group, 'bench', topic, q, () => {
        if (++consumed >= total) done();
      }),
    ),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      drained,
      new Promise(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`drained ${consumed} of ${total} in 10 minutes`)), 600_000)),
      ),
      new Promise((_, reject) =>
        stopSignal.signal.addEventListener('abort', () => reject(stopSignal.signal.reason), { once: true }),
      ),
    ]);
  } finally {
    clearTimeout(timer);
    stopStatus();
    for (const socket of sockets) socket.close();
  }
  const elapsedMs = performance.now() - start;
  return { rate: consumed / (elapsedMs / 1000), messages: consumed, elapsedMs };
}

/**
 * latency.stream: one producer stream sends one message every 1/rate s (open loop), one member's push stream
 * receives them. Latency = when the pushed frame arrives − when the send began, both on this process's clock.
 */
export async function latencyStream(
  url: string,
  s: Settings,
  topic: string,
): Promise<{ p50: number; p99: number; samples: number; sendP50: number }> {
  await createTopic(url, topic, 1, ['broker-a']);
  const warm = Math.floor((s.warmupMs / 1000) * s.latencyRate);
  const total = warm + Math.floor((s.latencyMs / 1000) * s.latencyRate);
  const latencies: number[] = [];
  let received = 0;
  const group = `${topic}_group`;
  const [q] = await join(url, group, 'bench', topic);
  const consumer = await consumerStream(url, group, 'bench', topic, q, (raw) => {
    const now = performance.now();
    const body = bodyText(raw);
    const bar = body.indexOf('|');
    const i = Number(body.slice(0, bar));
    if (i >= warm) latencies.push(now - Number(body.slice(bar + 1, body.indexOf('|', bar + 1))));
    received++;
  });
  const producer = await ProducerSocket.open(url, topic);
  const padding = pad(s.messageSize - 40);
  const sendTimes: number[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const stopStatus = every(250, () => status(`${formatCount(received)} of ${formatCount(total)} received`));
  let errors = 0;
  try {
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
      const wait = start + (i * 1000) / s.latencyRate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (inFlight.size >= 64) await Promise.race(inFlight); // the stream's window
      const sentAt = performance.now();
      const p = producer
        .send(JSON.stringify({ body: `${i}|${sentAt.toFixed(3)}|${padding}` }))
        .then(() => void (i >= warm && sendTimes.push(performance.now() - sentAt)))
        .catch(() => void errors++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const deadline = performance.now() + 30_000;
    while (received < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  } finally {
    stopStatus();
    producer.socket.close();
    consumer.close();
  }
  if (errors > 0) throw new Error(`${errors} sends failed`);
  if (received < total) throw new Error(`received ${received} of ${total}`);
  return {
    p50: median(latencies),
    p99: percentile(latencies, 99),
    samples: latencies.length,
    sendP50: median(sendTimes),
  };
}
