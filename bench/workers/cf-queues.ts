/**
 * The Cloudflare Queues peer, as miniflare simulates it: producers use the
 * queue bindings (send, sendBatch), consumers are this Worker's queue()
 * handler. Load is generated inside the Worker, because a Worker binding is
 * how Cloudflare Queues are produced to; each route runs one measurement and
 * answers when it is done. State is per isolate (module scope), which local
 * dev shares between fetch and queue handlers.
 */
export interface QueuesEnv {
  Q_BATCH: Queue<unknown>;
  Q_SINGLE: Queue<unknown>;
  Q_CONSUME: Queue<unknown>;
  Q_LATENCY: Queue<unknown>;
}

type QueueName = 'bench-batch' | 'bench-single' | 'bench-consume' | 'bench-latency';

/** `hold`: the consumer keeps its batch and waits (so a backlog builds); `ack`: it takes every batch at once. */
type Mode = 'hold' | 'ack';

const state = {
  mode: { 'bench-batch': 'ack', 'bench-single': 'ack', 'bench-consume': 'hold', 'bench-latency': 'ack' } as Record<
    QueueName,
    Mode
  >,
  consumed: { 'bench-batch': 0, 'bench-single': 0, 'bench-consume': 0, 'bench-latency': 0 } as Record<
    QueueName,
    number
  >,
  produced: 0,
  /** Send-to-consumer milliseconds of the latency messages past the warm-up. */
  latencies: [] as number[],
  latencyWarmup: 0,
  latencyReceived: 0,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Most a request may run, whatever it is asked: every loop here is bounded. */
const MAX_RUN_MS = 600_000;

function padding(size: number): string {
  return 'x'.repeat(size);
}

export async function queueHandler(batch: MessageBatch<unknown>): Promise<void> {
  const name = batch.queue as QueueName;
  const deadline = Date.now() + MAX_RUN_MS;
  while (state.mode[name] === 'hold' && Date.now() < deadline) await sleep(5);
  if (name === 'bench-latency') {
    const now = Date.now();
    for (const m of batch.messages) {
      const { t, i } = m.body as { t: number; i: number };
      if (i >= state.latencyWarmup) state.latencies.push(now - t);
      state.latencyReceived++;
    }
  }
  state.consumed[name] = (state.consumed[name] ?? 0) + batch.messages.length;
  batch.ackAll();
}

function num(url: URL, name: string, fallback: number, max: number): number {
  const v = Number(url.searchParams.get(name) ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0`);
  return Math.min(v, max);
}

/** Runs `conc` loops until `ms` pass (or `total` messages are sent); each loop sends `batch` messages per call. */
async function produce(
  queue: Queue<unknown>,
  opts: { batch: number; conc: number; ms: number; total: number; size: number },
) {
  const body = padding(opts.size);
  const messages = Array.from({ length: opts.batch }, () => ({ body }));
  const start = Date.now();
  const end = start + Math.min(opts.ms, MAX_RUN_MS);
  let sent = 0;
  let claimed = 0;
  let last = start;
  await Promise.all(
    Array.from({ length: opts.conc }, async () => {
      while (Date.now() < end && claimed < opts.total) {
        claimed += opts.batch;
        if (opts.batch === 1) await queue.send(body);
        else await queue.sendBatch(messages);
        sent += opts.batch;
        state.produced += opts.batch;
        last = Date.now();
      }
    }),
  );
  return { messages: sent, elapsedMs: last - start };
}

export async function cfQueuesFetch(url: URL, env: QueuesEnv): Promise<Response> {
  const route = url.pathname.slice('/cfq/'.length);
  const size = num(url, 'size', 1024, 128_000);
  if (route === 'stats')
    return Response.json({ produced: state.produced, consumed: state.consumed, latencies: state.latencyReceived });
  if (route === 'mode') {
    const queue = url.searchParams.get('queue') as QueueName;
    const mode = url.searchParams.get('mode') as Mode;
    if (!(queue in state.mode) || (mode !== 'hold' && mode !== 'ack'))
      return new Response('bad queue or mode', { status: 400 });
    state.mode[queue] = mode;
    return Response.json({ queue, mode });
  }
  if (route === 'produce') {
    const which = url.searchParams.get('queue') === 'single' ? env.Q_SINGLE : env.Q_BATCH;
    state.produced = 0;
    const result = await produce(which, {
      batch: num(url, 'batch', 100, 100),
      conc: num(url, 'conc', 16, 256),
      ms: num(url, 'ms', 5000, MAX_RUN_MS),
      // Undelivered messages stay in the simulated broker's memory: a cap keeps a long run bounded.
      total: num(url, 'total', 500_000, 10_000_000),
      size,
    });
    return Response.json(result);
  }
  if (route === 'fill') {
    state.mode['bench-consume'] = 'hold';
    state.consumed['bench-consume'] = 0;
    state.produced = 0;
    const n = num(url, 'n', 100_000, 10_000_000);
    const result = await produce(env.Q_CONSUME, { batch: 100, conc: 16, ms: MAX_RUN_MS, total: n, size });
    return Response.json(result);
  }
  if (route === 'drain') {
    const n = num(url, 'n', 100_000, 10_000_000);
    const start = Date.now();
    const end = start + num(url, 'timeoutMs', 300_000, MAX_RUN_MS);
    state.mode['bench-consume'] = 'ack';
    while (state.consumed['bench-consume'] < n && Date.now() < end) await sleep(1);
    return Response.json({ consumed: state.consumed['bench-consume'], elapsedMs: Date.now() - start });
  }
  if (route === 'latency') {
    // A steady rate: message i leaves at start + i / rate, whatever the sends before it did.
    const rate = num(url, 'rate', 200, 10_000);
    const ms = num(url, 'ms', 10_000, MAX_RUN_MS);
    const warmupMs = num(url, 'warmupMs', 1000, MAX_RUN_MS);
    const pad = padding(Math.max(0, size - 40));
    const warm = Math.floor((warmupMs / 1000) * rate);
    const total = warm + Math.floor((ms / 1000) * rate);
    state.latencies = [];
    state.latencyWarmup = warm;
    state.latencyReceived = 0;
    state.produced = 0;
    const start = Date.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      sends.push(env.Q_LATENCY.send({ t: Date.now(), i, pad }).then(() => void state.produced++));
    }
    await Promise.all(sends);
    const end = Date.now() + 30_000;
    while (state.latencyReceived < total && Date.now() < end) await sleep(5);
    return Response.json({
      sent: total,
      received: state.latencyReceived,
      latenciesMs: state.latencies,
      achievedRate: total / ((Date.now() - start) / 1000),
    });
  }
  return new Response('no such route', { status: 404 });
}
