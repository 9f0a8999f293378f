/**
 * The ceilings flaremq is compared against, measured on this machine and
 * runtime in the same run.
 */
import { requestDrain, requestJson } from './http.ts';
import { closedLoop, type LoadResult } from './load.ts';
import { status } from './progress.ts';
import type { Settings } from './settings.ts';
import { median, percentile } from './stats.ts';

/**
 * limit.httpNoop: requests per second `wrangler dev` answers for a route that
 * does nothing, at the produce measurements' concurrency. Measured on
 * flaremq's own server (GET /, which touches no object), so that it pays
 * exactly what flaremq's requests pay to get in and out of the runtime.
 */
export function httpNoop(url: string, s: Settings): Promise<LoadResult> {
  return closedLoop({
    concurrency: s.concurrency,
    warmupMs: s.warmupMs,
    durationMs: s.durationMs,
    unit: 'requests',
    op: async () => {
      await requestDrain(`${url}/`);
      return 1;
    },
  });
}

/**
 * limit.doInsert: rows per second one SQLite-backed Durable Object inserts
 * within one request (the bench Worker's InsertLimit), a fresh object per
 * run; the median of `insertRuns` runs after one warm-up run. Timed around
 * the request, so it includes committing the rows.
 */
export async function doInsert(
  workerUrl: string,
  s: Settings,
  schema: 'plain' | 'flaremq',
): Promise<{ rate: number; runs: number[] }> {
  const insert = async (rows: number) => {
    const t = performance.now();
    const r = await requestJson<{ rows: number }>(
      `${workerUrl}/insert?rows=${rows}&size=${s.messageSize}&schema=${schema}`,
      { timeoutMs: 300_000 },
    );
    return r.rows / ((performance.now() - t) / 1000);
  };
  await insert(Math.min(5000, s.insertRows));
  const runs: number[] = [];
  for (let i = 0; i < s.insertRuns; i++) {
    status(`run ${i + 1} of ${s.insertRuns}: ${s.insertRows.toLocaleString('en-US')} rows of ${s.messageSize} B`);
    runs.push(await insert(s.insertRows));
  }
  return { rate: median(runs), runs };
}

/**
 * Reference for produce.batch: rows per second when every call inserts one
 * batch (`batchSize` flaremq-shaped rows, one transaction, one commit), from
 * `concurrency` callers inside the runtime spread over `queues` objects: what
 * produce.batch's storage work costs without HTTP, JSON and validation.
 */
export async function doInsertCommits(workerUrl: string, s: Settings): Promise<number> {
  const q = `rows=${s.batchSize}&size=${s.messageSize}&objects=${s.queues}&conc=${s.concurrency}&schema=flaremq`;
  await requestJson(`${workerUrl}/commits?${q}&ms=${s.warmupMs}`, { timeoutMs: 120_000 });
  status(
    `${s.concurrency} callers, ${s.batchSize} rows per commit, ${s.queues} objects, ${Math.round(s.scaleDurationMs / 1000)} s`,
  );
  const r = await requestJson<{ rows: number; elapsedMs: number }>(
    `${workerUrl}/commits?${q}&ms=${s.scaleDurationMs}`,
    { timeoutMs: 300_000 },
  );
  return r.rows / (r.elapsedMs / 1000);
}

/**
 * limit.commitLatency: milliseconds one SQLite-backed object takes to write a row and make it durable
 * (`storage.sync()`), one commit after another, median of `insertRuns` runs of 500: the floor under the latency
 * of any send that is answered only once stored (SYNC_FLUSH), and so under latency.stream.
 */
export async function commitLatency(workerUrl: string, s: Settings): Promise<{ ms: number; runs: number[] }> {
  await requestJson(`${workerUrl}/commit-latency?n=50&size=${s.messageSize}`, { timeoutMs: 120_000 });
  const runs: number[] = [];
  for (let i = 0; i < s.insertRuns; i++) {
    status(`run ${i + 1} of ${s.insertRuns}: 500 commits of one ${s.messageSize} B row`);
    runs.push(
      (
        await requestJson<{ ms: number }>(`${workerUrl}/commit-latency?n=500&size=${s.messageSize}`, {
          timeoutMs: 120_000,
        })
      ).ms,
    );
  }
  return { ms: median(runs), runs };
}

/**
 * limit.wsEcho: the median round trip of a small frame over a WebSocket through `wrangler dev` to a Worker that
 * echoes it, at the latency figures' rate (open loop): what a stream's frame pays to get in and out of the
 * runtime, twice of which (send, push) are in latency.stream.
 */
export async function wsEcho(workerUrl: string, s: Settings): Promise<{ p50: number; p99: number }> {
  const ws = new WebSocket(`${workerUrl.replace(/^http/, 'ws')}/echo`);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('no WebSocket at /echo')), { once: true });
  });
  const rtts: number[] = [];
  const total = Math.floor((s.latencyMs / 1000) * s.latencyRate);
  let answered = 0;
  const done = new Promise<void>((resolve) => {
    ws.addEventListener('message', (event) => {
      rtts.push(performance.now() - Number(event.data));
      if (++answered === total) resolve();
    });
  });
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / s.latencyRate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    ws.send(String(performance.now()));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  ws.close();
  rtts.sort((a, b) => a - b);
  return { p50: percentile(rtts, 50), p99: percentile(rtts, 99) };
}

/**
 * limit.httpBatch: messages per second that `wrangler dev` carries as batches of `batchSize` × `messageSize` B of
 * JSON, at the produce measurements' concurrency, to a Worker that only parses them (`sends`, the ceiling of
 * produce.batch's HTTP path) and from a Worker that only answers them (`reads`, of consume's pulls; consume also
 * makes a commit request per pull).
 */
export async function httpBatch(workerUrl: string, s: Settings): Promise<{ sends: LoadResult; reads: LoadResult }> {
  const body = JSON.stringify({
    messages: Array.from({ length: s.batchSize }, () => ({ body: 'x'.repeat(s.messageSize) })),
  });
  const load = (op: () => Promise<unknown>) =>
    closedLoop({
      concurrency: s.concurrency,
      warmupMs: s.warmupMs,
      durationMs: s.durationMs,
      unit: 'msgs',
      op: async () => (await op(), s.batchSize),
    });
  const sends = await load(() => requestJson(`${workerUrl}/sink`, { body }));
  const reads = await load(() => requestDrain(`${workerUrl}/source?bytes=${body.length}`));
  return { sends, reads };
}

/**
 * limit.consumeHttp: messages per second a minimal consumer drains over HTTP from the bench Worker's ConsumeLimit
 * objects (bench/workers/consume-limit.ts: one SQLite read per pull, a JSON answer with the fields flaremq's pull
 * answer has, one durable row per commit), laid out and drained as `consume` drains flaremq: `queues` queues of
 * `consumeMessages / queues`, one consumer per queue pulling `pullSize` and committing before its next pull. What
 * `consume` does that any consumer over HTTP on this runtime must, with nothing of flaremq's own.
 */
export async function consumeHttp(workerUrl: string, s: Settings): Promise<{ rate: number; messages: number }> {
  const run = `r${Date.now()}`;
  const perQueue = Math.ceil(s.consumeMessages / s.queues);
  const q = (i: number) => `run=${run}&q=${i}&size=${s.messageSize}`;
  const queues = Array.from({ length: s.queues }, (_, i) => i);
  await Promise.all(
    queues.map((i) => requestJson(`${workerUrl}/consume/fill?${q(i)}&messages=${perQueue}`, { body: {} })),
  );
  let consumed = 0;
  const start = performance.now();
  await Promise.all(
    queues.map(async (i) => {
      let offset = 0;
      for (let pulls = 0; offset < perQueue && pulls < 2 * Math.ceil(perQueue / s.pullSize) + 20; pulls++) {
        const r = await requestJson<{ messages: unknown[]; nextBeginOffset: number }>(
          `${workerUrl}/consume/pull?${q(i)}&offset=${offset}&max=${s.pullSize}`,
        );
        consumed += r.messages.length;
        offset = r.nextBeginOffset;
        await requestJson(`${workerUrl}/consume/commit?${q(i)}`, {
          method: 'PUT',
          body: { q: String(i), group: 'bench_consumer', offset },
        });
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  if (consumed < perQueue * s.queues) throw new Error(`drained ${consumed} of ${perQueue * s.queues} messages`);
  return { rate: consumed / (elapsedMs / 1000), messages: consumed };
}
