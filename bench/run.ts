/**
 * The benchmark: `npm run bench [-- --quick] [-- --json FILE]`.
 *
 * Starts what it needs (flaremq on wrangler dev; the bench Worker with the
 * insert ceiling and the Cloudflare Queues peer; redis-server), measures,
 * stops everything (also on failure and Ctrl-C), prints the tables, and on a
 * full run rewrites the generated part of docs/benchmarks.md.
 *
 * Options:
 *   --quick            shorter runs and smaller backlogs (under 3 minutes on 2 cores)
 *   --json FILE        also write every figure, the machine and the versions to FILE
 *   --skip LIST        leave out some of: flaremq, cf-queues, redis (comma separated)
 *   --no-doc           do not touch docs/benchmarks.md
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkStopped, installSignalHandlers, stopAll, stopSignal } from './cleanup.ts';
import { startBenchWorker } from './bench-worker.ts';
import * as cf from './cf-queues.ts';
import { DOC_PATH, writeDoc } from './doc.ts';
import * as fq from './flaremq.ts';
import * as fqs from './flaremq-stream.ts';
import * as limits from './limits.ts';
import { endLoad, machine, versions } from './machine.ts';
import { CpuWatch } from './procs.ts';
import { done, log, setTotalSteps, skipped, step } from './progress.ts';
import * as rd from './redis.ts';
import { Results, type System, type Unit } from './results.ts';
import { settingsFor } from './settings.ts';
import { formatCount, formatDuration, formatNumber } from './stats.ts';
import { renderTables } from './table.ts';

// Everything stays on 127.0.0.1: no Request.cf download, no telemetry.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.WRANGLER_SEND_ERROR_REPORTS = 'false';
process.env.CI = 'true';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    skip: { type: 'string', default: '' },
    'no-doc': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  log('usage: npm run bench [-- --quick] [-- --json FILE] [-- --skip flaremq,cf-queues,redis] [-- --no-doc]');
  process.exit(0);
}
const skip = new Set(args.skip.split(',').filter(Boolean));
for (const s of skip)
  if (!['flaremq', 'cf-queues', 'redis'].includes(s))
    throw new Error(`--skip takes flaremq, cf-queues, redis; not '${s}'`);

const s = settingsFor(args.quick ? 'quick' : 'full');
const results = new Results();
const startedAt = new Date();
const t0 = performance.now();
const host = machine();
let workerdBinary: string | null = null;
let redisVersion: string | undefined;
let failures = 0;
/** The flaremq server in use: a failing step shows the end of its output. */
let currentServer: fq.Flaremq | null = null;

const FLAREMQ: [string, Unit][] = [
  ['produce.batch', 'msg/s'],
  ['produce.single', 'msg/s'],
  ['consume', 'msg/s'],
  ['latency.p50', 'ms'],
  ['latency.p99', 'ms'],
  ['storage.rowsPerMessage', 'rows/msg'],
  ['storage.bytesPerMessage', 'B/msg'],
  ['produce.stream', 'msg/s'],
  ['consume.stream', 'msg/s'],
  ['latency.stream.p50', 'ms'],
  ['latency.stream.p99', 'ms'],
  ['backlog.append', 's'],
  ['backlog.appendRate', 'msg/s'],
  ['backlog.head', 'ms'],
  ['backlog.tail', 'ms'],
  ['backlog.tailHead', '×'],
  ['memory.peakRss', 'MiB'],
  ...s.scaleQueues.map((n): [string, Unit] => [`scale.${n}`, 'msg/s']),
];
const PEER: [string, Unit][] = [
  ['produce.batch', 'msg/s'],
  ['produce.single', 'msg/s'],
  ['consume', 'msg/s'],
  ['latency.p50', 'ms'],
  ['latency.p99', 'ms'],
];
const BACKLOG: [string, Unit][] = [
  ['backlog.append', 's'],
  ['backlog.appendRate', 'msg/s'],
  ['backlog.head', 'ms'],
  ['backlog.tail', 'ms'],
  ['backlog.tailHead', '×'],
  ['memory.peakRss', 'MiB'],
];

/** Each step's share of the machine's CPU taken by other processes (a shared machine makes figures lower and noisier). */
const stepCpu: { title: string; busyPct: number; othersPct: number }[] = [];

/** Runs one measurement as a step; a failure is recorded and the run goes on. */
async function measure(title: string, fn: () => Promise<string>, onFail?: (reason: string) => void): Promise<boolean> {
  checkStopped();
  step(title);
  const cpu = new CpuWatch();
  try {
    const summary = await fn();
    const use = cpu.stop();
    if (use) stepCpu.push({ title, busyPct: Math.round(use.busyPct), othersPct: Math.round(use.othersPct) });
    done(
      use
        ? `${summary}; machine ${Math.round(use.busyPct)}% busy, ${Math.round(use.othersPct)}% by other processes`
        : summary,
    );
    return true;
  } catch (err) {
    cpu.stop();
    if (stopSignal.signal.aborted) throw err;
    const reason = `failed: ${(err as Error).message.split('\n')[0].slice(0, 300)}`;
    failures++;
    onFail?.(reason);
    skipped(reason);
    if (currentServer) {
      const tail = currentServer.server.output().trimEnd().split('\n').slice(-15);
      log(`    last lines of wrangler dev's output:\n${tail.map((l) => `    | ${l}`).join('\n')}`);
    }
    return false;
  }
}

const add = (system: System, key: string, value: number, unit: Unit, note?: string) =>
  results.add({ key, system, value, unit, note });
const rate = (r: { rate: number }) => `${formatCount(r.rate)} msg/s`;

async function runFlaremq(): Promise<void> {
  let fm: fq.Flaremq | null = null;
  const started = await measure(
    'flaremq: start wrangler dev (test/e2e/server.ts)',
    async () => {
      fm = await fq.startFlaremq();
      workerdBinary = fm.workerdPath();
      return `${fm.url}, workerd pid ${fm.runtimePids().join(', ')}`;
    },
    (reason) => {
      results.skip('flaremq', FLAREMQ, reason);
      results.skip('runtime', [['limit.httpNoop', 'req/s']], reason);
    },
  );
  if (!started || !fm) return;
  const server: fq.Flaremq = fm;
  currentServer = server;
  try {
    await measure(
      "limit.httpNoop: GET / on flaremq's wrangler dev",
      async () => {
        const r = await limits.httpNoop(server.url, s);
        add(
          'runtime',
          'limit.httpNoop',
          r.rate,
          'req/s',
          r.errors ? `${r.errors} errors (${r.firstError})` : undefined,
        );
        return `${formatCount(r.rate)} req/s`;
      },
      (reason) => results.skip('runtime', [['limit.httpNoop', 'req/s']], reason),
    );
    const loadFigure = (key: string, r: { rate: number; errors: number; firstError?: string }) =>
      add(
        'flaremq',
        key,
        r.rate,
        'msg/s',
        r.errors ? `${r.errors} failed requests (first: ${r.firstError})` : undefined,
      );
    await measure(
      'flaremq produce.batch',
      async () => {
        const r = await fq.produceBatch(server.url, s, 'bench_batch', s.queues, s.durationMs);
        loadFigure('produce.batch', r);
        return rate(r);
      },
      (reason) => results.skip('flaremq', [['produce.batch', 'msg/s']], reason),
    );
    await measure(
      'flaremq storage: rows and bytes the queue objects wrote for produce.batch',
      async () => {
        const st = await fq.topicStorage(server.url, 'bench_batch');
        if (st.messages === 0) throw new Error('the queues report no message appended');
        const note = `${formatCount(st.rows)} rows and ${formatCount(st.bytes)} B written for ${formatCount(st.messages)} messages, as the objects' SQL cursors count them (rowsWritten: table and index rows); database size ${formatNumber(st.databaseBytes / st.messages)} B per message`;
        add('flaremq', 'storage.rowsPerMessage', st.rows / st.messages, 'rows/msg', note);
        add('flaremq', 'storage.bytesPerMessage', st.bytes / st.messages, 'B/msg');
        return `${formatNumber(st.rows / st.messages)} rows and ${formatNumber(st.bytes / st.messages)} B per message`;
      },
      (reason) =>
        results.skip(
          'flaremq',
          [
            ['storage.rowsPerMessage', 'rows/msg'],
            ['storage.bytesPerMessage', 'B/msg'],
          ],
          reason,
        ),
    );
    await measure(
      'flaremq produce.single',
      async () => {
        const r = await fq.produceSingle(server.url, s, 'bench_single');
        loadFigure('produce.single', r);
        return rate(r);
      },
      (reason) => results.skip('flaremq', [['produce.single', 'msg/s']], reason),
    );
    for (const n of s.scaleQueues) {
      await measure(
        `flaremq scale: produce.batch with ${n} queue${n > 1 ? 's' : ''}`,
        async () => {
          const r = await fq.produceBatch(server.url, s, `bench_scale_${n}`, n, s.scaleDurationMs);
          loadFigure(`scale.${n}`, r);
          return rate(r);
        },
        (reason) => results.skip('flaremq', [[`scale.${n}`, 'msg/s']], reason),
      );
    }
    await measure(
      `flaremq consume: fill ${formatCount(s.consumeMessages)}, then drain`,
      async () => {
        const r = await fq.consume(server.url, s, 'bench_consume');
        add('flaremq', 'consume', r.rate, 'msg/s');
        return `${rate(r)} (${formatCount(r.messages)} in ${formatDuration(r.elapsedMs)})`;
      },
      (reason) => results.skip('flaremq', [['consume', 'msg/s']], reason),
    );
    await measure(
      `flaremq latency: ${s.latencyRate} msg/s for ${formatDuration(s.latencyMs)}`,
      async () => {
        const r = await fq.latency(server.url, s, 'bench_latency');
        add('flaremq', 'latency.p50', r.p50, 'ms');
        add(
          'flaremq',
          'latency.p99',
          r.p99,
          'ms',
          `${formatCount(r.samples)} samples at ${formatNumber(r.achievedRate)} msg/s sent; a send was answered in ${formatNumber(r.sendP50)} ms (median)`,
        );
        return `p50 ${formatNumber(r.p50)} ms, p99 ${formatNumber(r.p99)} ms`;
      },
      (reason) =>
        results.skip(
          'flaremq',
          [
            ['latency.p50', 'ms'],
            ['latency.p99', 'ms'],
          ],
          reason,
        ),
    );
    await measure(
      'flaremq produce.stream: batches over producer WebSockets',
      async () => {
        const r = await fqs.produceStream(server.url, s, 'bench_stream_batch');
        loadFigure('produce.stream', r);
        return rate(r);
      },
      (reason) => results.skip('flaremq', [['produce.stream', 'msg/s']], reason),
    );
    await measure(
      `flaremq consume.stream: fill ${formatCount(s.consumeMessages)}, then drain by push`,
      async () => {
        const r = await fqs.consumeStream(server.url, s, 'bench_stream_consume');
        add(
          'flaremq',
          'consume.stream',
          r.rate,
          'msg/s',
          'one member, a push stream per queue, 2000 messages of credit each, a commit frame every 100 ms',
        );
        return `${rate(r)} (${formatCount(r.messages)} in ${formatDuration(r.elapsedMs)})`;
      },
      (reason) => results.skip('flaremq', [['consume.stream', 'msg/s']], reason),
    );
    await measure(
      `flaremq latency.stream: ${s.latencyRate} msg/s for ${formatDuration(s.latencyMs)}, producer stream to push stream`,
      async () => {
        const r = await fqs.latencyStream(server.url, s, 'bench_stream_latency');
        add('flaremq', 'latency.stream.p50', r.p50, 'ms');
        add(
          'flaremq',
          'latency.stream.p99',
          r.p99,
          'ms',
          `${formatCount(r.samples)} samples; a send was answered in ${formatNumber(r.sendP50)} ms (median)`,
        );
        return `p50 ${formatNumber(r.p50)} ms, p99 ${formatNumber(r.p99)} ms`;
      },
      (reason) =>
        results.skip(
          'flaremq',
          [
            ['latency.stream.p50', 'ms'],
            ['latency.stream.p99', 'ms'],
          ],
          reason,
        ),
    );
  } finally {
    currentServer = null;
    await server.stop();
  }
  // The backlog gets a server of its own, so that the runtime's peak memory is the backlog's.
  await measure(
    `flaremq backlog: fresh wrangler dev, append ${formatCount(s.backlogMessages)} to one queue, pull head and tail`,
    async () => {
      const fresh = await fq.startFlaremq({ MAX_QUEUE_BYTES: String(fq.backlogQueueBytes(s)) });
      currentServer = fresh;
      try {
        const r = await fq.backlog(fresh, s, 'bench_backlog');
        add(
          'flaremq',
          'backlog.append',
          r.appendMs / 1000,
          's',
          `batches of ${s.backlogBatch}, ${s.backlogConcurrency} at a time; MAX_QUEUE_BYTES raised to ${formatCount(fq.backlogQueueBytes(s) / 2 ** 20)} MiB so that retention keeps the whole backlog`,
        );
        add(
          'flaremq',
          'backlog.appendRate',
          r.appendRate,
          'msg/s',
          `${formatCount(r.firstTenthRate)} msg/s over the first tenth, ${formatCount(r.lastTenthRate)} msg/s over the last`,
        );
        add('flaremq', 'backlog.head', r.headMs, 'ms', `median of ${s.backlogReads} pulls`);
        add('flaremq', 'backlog.tail', r.tailMs, 'ms', `median of ${s.backlogReads} pulls`);
        add('flaremq', 'backlog.tailHead', r.tailMs / r.headMs, '×');
        add(
          'flaremq',
          'memory.peakRss',
          r.peakRssMiB,
          'MiB',
          `the workerd process running flaremq (kernel high-water mark, VmHWM); sampled peak ${formatNumber(r.sampledPeakMiB)} MiB; whole wrangler dev process group (wrangler, proxy workerd, esbuild) peaked at ${formatNumber(r.groupPeakMiB)} MiB`,
        );
        return `${formatDuration(r.appendMs)} (${formatCount(r.appendRate)} msg/s); head ${formatNumber(r.headMs)} ms, tail ${formatNumber(r.tailMs)} ms; peak RSS ${formatNumber(r.peakRssMiB)} MiB`;
      } finally {
        await fresh.stop();
      }
    },
    (reason) => results.skip('flaremq', BACKLOG, reason),
  );
  currentServer = null;
}

async function runBenchWorker(): Promise<void> {
  const cfKeys = PEER;
  let worker: Awaited<ReturnType<typeof startBenchWorker>> | null = null;
  const started = await measure(
    "bench Worker: start bench/workers on the local runtime (wrangler's dev engine)",
    async () => {
      worker = await startBenchWorker();
      return `${worker.url}, workerd pids ${worker.pids.join(', ')}`;
    },
    (reason) => {
      results.skip('cfQueues', cfKeys, reason);
      results.skip(
        'runtime',
        [
          ['limit.doInsert', 'rows/s'],
          ['limit.doInsert.flaremqRows', 'rows/s'],
          ['limit.doInsert.commits', 'rows/s'],
          ['limit.commitLatency', 'ms'],
          ['limit.wsEcho', 'ms'],
          ['limit.httpBatch', 'msg/s'],
          ['limit.httpBatch.reads', 'msg/s'],
          ['limit.consumeHttp', 'msg/s'],
        ],
        reason,
      );
    },
  );
  if (!started || !worker) return;
  const w: Awaited<ReturnType<typeof startBenchWorker>> = worker;
  try {
    for (const [key, schema] of [
      ['limit.doInsert', 'plain'],
      ['limit.doInsert.flaremqRows', 'flaremq'],
    ] as const) {
      await measure(
        `${key}: ${formatCount(s.insertRows)} rows of ${s.messageSize} B in one request (${schema} rows)`,
        async () => {
          const r = await limits.doInsert(w.url, s, schema);
          add('runtime', key, r.rate, 'rows/s', `median of ${r.runs.map((x) => formatCount(x)).join(', ')}`);
          return `${formatCount(r.rate)} rows/s`;
        },
        (reason) => results.skip('runtime', [[key, 'rows/s']], reason),
      );
    }
    await measure(
      `limit.doInsert.commits: ${s.batchSize} flaremq rows per commit, ${s.concurrency} callers, ${s.queues} objects`,
      async () => {
        const r = await limits.doInsertCommits(w.url, s);
        add('runtime', 'limit.doInsert.commits', r, 'rows/s');
        return `${formatCount(r)} rows/s`;
      },
      (reason) => results.skip('runtime', [['limit.doInsert.commits', 'rows/s']], reason),
    );
    await measure(
      'limit.commitLatency: one row written and made durable, 500 times in a row',
      async () => {
        const r = await limits.commitLatency(w.url, s);
        add('runtime', 'limit.commitLatency', r.ms, 'ms', `median of ${r.runs.map((x) => x.toFixed(2)).join(', ')} ms`);
        return `${r.ms.toFixed(2)} ms`;
      },
      (reason) => results.skip('runtime', [['limit.commitLatency', 'ms']], reason),
    );
    await measure(
      `limit.httpBatch: ${s.batchSize} × ${s.messageSize} B of JSON per request, to and from a Worker that does nothing else`,
      async () => {
        const r = await limits.httpBatch(w.url, s);
        add(
          'runtime',
          'limit.httpBatch',
          r.sends.rate,
          'msg/s',
          `POSTed and parsed; ${formatCount(r.sends.rate / s.batchSize)} req/s`,
        );
        add(
          'runtime',
          'limit.httpBatch.reads',
          r.reads.rate,
          'msg/s',
          `answered by GET; ${formatCount(r.reads.rate / s.batchSize)} req/s`,
        );
        return `${formatCount(r.sends.rate)} msg/s sent, ${formatCount(r.reads.rate)} msg/s read`;
      },
      (reason) =>
        results.skip(
          'runtime',
          [
            ['limit.httpBatch', 'msg/s'],
            ['limit.httpBatch.reads', 'msg/s'],
          ],
          reason,
        ),
    );
    await measure(
      `limit.consumeHttp: drain ${formatCount(s.consumeMessages)} over HTTP from a minimal store, pulls of ${s.pullSize} + commit`,
      async () => {
        const r = await limits.consumeHttp(w.url, s);
        add(
          'runtime',
          'limit.consumeHttp',
          r.rate,
          'msg/s',
          `${formatCount(r.messages)} messages, ${s.queues} queues, a consumer each; a SQLite read per pull, a durable row per commit`,
        );
        return `${formatCount(r.rate)} msg/s`;
      },
      (reason) => results.skip('runtime', [['limit.consumeHttp', 'msg/s']], reason),
    );
    await measure(
      `limit.wsEcho: a frame echoed by a Worker over a WebSocket, ${s.latencyRate}/s`,
      async () => {
        const r = await limits.wsEcho(w.url, s);
        add('runtime', 'limit.wsEcho', r.p50, 'ms', `median round trip; p99 ${r.p99.toFixed(2)} ms`);
        return `${r.p50.toFixed(2)} ms`;
      },
      (reason) => results.skip('runtime', [['limit.wsEcho', 'ms']], reason),
    );
    if (skip.has('cf-queues')) {
      results.skip('cfQueues', cfKeys, 'skipped (--skip cf-queues)');
      return;
    }
    for (const which of ['batch', 'single'] as const) {
      await measure(
        `CF Queues produce.${which}`,
        async () => {
          const r = await cf.produce(w.url, s, which);
          add(
            'cfQueues',
            `produce.${which}`,
            r.rate,
            'msg/s',
            `sent by ${s.concurrency} loops inside the Worker (${which === 'batch' ? 'sendBatch' : 'send'}), no HTTP per message${r.capped ? `; stopped at ${formatCount(r.messages)} messages` : ''}`,
          );
          return rate(r);
        },
        (reason) => results.skip('cfQueues', [[`produce.${which}`, 'msg/s']], reason),
      );
    }
    await measure(
      `CF Queues consume: fill ${formatCount(s.consumeMessages)}, then drain`,
      async () => {
        const r = await cf.consume(w.url, s);
        add('cfQueues', 'consume', r.rate, 'msg/s', 'queue() batches of up to 100, acked');
        return `${rate(r)} (${formatCount(r.messages)} in ${formatDuration(r.elapsedMs)})`;
      },
      (reason) => results.skip('cfQueues', [['consume', 'msg/s']], reason),
    );
    await measure(
      `CF Queues latency: ${s.latencyRate} msg/s for ${formatDuration(s.latencyMs)}`,
      async () => {
        const r = await cf.latency(w.url, s);
        add('cfQueues', 'latency.p50', r.p50, 'ms');
        add(
          'cfQueues',
          'latency.p99',
          r.p99,
          'ms',
          `${formatCount(r.samples)} samples; stamped in the Worker (Date.now(), 1 ms steps) on send and in queue()`,
        );
        return `p50 ${formatNumber(r.p50)} ms, p99 ${formatNumber(r.p99)} ms`;
      },
      (reason) =>
        results.skip(
          'cfQueues',
          [
            ['latency.p50', 'ms'],
            ['latency.p99', 'ms'],
          ],
          reason,
        ),
    );
  } finally {
    await w.stop();
  }
}

async function runRedis(): Promise<void> {
  const keys = [...PEER, ...BACKLOG];
  const found = rd.findRedis();
  if ('missing' in found) {
    step('Redis Streams');
    skipped(`skipped: ${found.missing}`);
    results.skip('redis', keys, `skipped: ${found.missing}`);
    return;
  }
  redisVersion = found.version;
  let redis: rd.Redis | null = null;
  const started = await measure(
    `Redis Streams: start redis-server ${found.version} (appendonly yes, appendfsync everysec)`,
    async () => {
      redis = await rd.startRedis(found.path);
      return `port ${redis.port}, pid ${redis.pid}`;
    },
    (reason) => results.skip('redis', keys, reason),
  );
  if (!started || !redis) return;
  const r: rd.Redis = redis;
  try {
    await measure(
      'Redis produce.batch: pipelines of 100 XADD',
      async () => {
        const x = await rd.produceBatch(r, s);
        add('redis', 'produce.batch', x.rate, 'msg/s', `${s.concurrency} connections, ${s.queues} streams`);
        return rate(x);
      },
      (reason) => results.skip('redis', [['produce.batch', 'msg/s']], reason),
    );
    await measure(
      'Redis produce.single: one XADD per round trip',
      async () => {
        const x = await rd.produceSingle(r, s);
        add('redis', 'produce.single', x.rate, 'msg/s');
        return rate(x);
      },
      (reason) => results.skip('redis', [['produce.single', 'msg/s']], reason),
    );
    await measure(
      `Redis consume: fill ${formatCount(s.consumeMessages)}, then XREADGROUP + XACK`,
      async () => {
        const x = await rd.consume(r, s);
        add('redis', 'consume', x.rate, 'msg/s', `one consumer per stream, COUNT ${s.pullSize}`);
        return `${rate(x)} (${formatCount(x.messages)} in ${formatDuration(x.elapsedMs)})`;
      },
      (reason) => results.skip('redis', [['consume', 'msg/s']], reason),
    );
    await measure(
      `Redis latency: ${s.latencyRate} msg/s for ${formatDuration(s.latencyMs)}`,
      async () => {
        const x = await rd.latency(r, s);
        add('redis', 'latency.p50', x.p50, 'ms');
        add('redis', 'latency.p99', x.p99, 'ms', `${formatCount(x.samples)} samples; XREADGROUP BLOCK`);
        return `p50 ${formatNumber(x.p50)} ms, p99 ${formatNumber(x.p99)} ms`;
      },
      (reason) =>
        results.skip(
          'redis',
          [
            ['latency.p50', 'ms'],
            ['latency.p99', 'ms'],
          ],
          reason,
        ),
    );
    await measure(
      `Redis backlog: ${formatCount(s.backlogMessages)} XADD to one stream, XRANGE head and XREVRANGE tail`,
      async () => {
        const x = await rd.backlog(r, s);
        add(
          'redis',
          'backlog.append',
          x.appendMs / 1000,
          's',
          `pipelines of ${s.batchSize}, ${s.backlogConcurrency} connections`,
        );
        add('redis', 'backlog.appendRate', s.backlogMessages / (x.appendMs / 1000), 'msg/s');
        add('redis', 'backlog.head', x.headMs, 'ms');
        add('redis', 'backlog.tail', x.tailMs, 'ms');
        add('redis', 'backlog.tailHead', x.tailMs / x.headMs, '×');
        add(
          'redis',
          'memory.peakRss',
          x.peakRssMiB,
          'MiB',
          'redis-server, sampled every 200 ms during its backlog run',
        );
        return `${formatDuration(x.appendMs)}; head ${formatNumber(x.headMs)} ms, tail ${formatNumber(x.tailMs)} ms; peak RSS ${formatNumber(x.peakRssMiB)} MiB`;
      },
      (reason) => results.skip('redis', BACKLOG, reason),
    );
  } finally {
    await r.stop();
  }
}

async function main(): Promise<void> {
  installSignalHandlers(log);
  process.on('uncaughtException', (err) => {
    log(`unexpected error: ${err.stack ?? err}`);
    stopSignal.abort(err);
    void stopAll(20_000).finally(() => process.exit(1));
  });
  const steps =
    (skip.has('flaremq') ? 0 : 11 + s.scaleQueues.length) +
    8 +
    (skip.has('cf-queues') ? 0 : 4) +
    (skip.has('redis') ? 0 : 6);
  setTotalSteps(steps);
  log(
    `flaremq benchmark, ${s.mode} run: ${host.cpu}, ${host.cores} cores, load average ${host.loadStart}${host.loadStart > 0.5 ? ' (others are using this machine: figures will be lower and noisier)' : ''}`,
  );
  try {
    if (skip.has('flaremq')) {
      results.skip('flaremq', FLAREMQ, 'skipped (--skip flaremq)');
      results.skip('runtime', [['limit.httpNoop', 'req/s']], 'skipped (--skip flaremq)');
    } else await runFlaremq();
    await runBenchWorker();
    if (skip.has('redis')) results.skip('redis', [...PEER, ...BACKLOG], 'skipped (--skip redis)');
    else await runRedis();
  } finally {
    const left = await stopAll();
    for (const f of left) log(`could not stop ${f}`);
  }
  endLoad(host);
  const durationMs = performance.now() - t0;
  const v = { ...versions(workerdBinary), redis: redisVersion };
  const tables = renderTables(results, s, host, v, durationMs, startedAt, stepCpu);
  process.stdout.write(`\n${tables.join('\n')}\n`);
  if (args.json) {
    writeFileSync(
      args.json,
      `${JSON.stringify({ mode: s.mode, startedAt: startedAt.toISOString(), durationMs: Math.round(durationMs), machine: host, versions: v, settings: s, figures: results.figures, steps: stepCpu }, null, 2)}\n`,
    );
    log(`figures written to ${args.json}`);
  }
  if (s.mode === 'full' && !args['no-doc'] && skip.size === 0 && failures === 0) {
    writeDoc(tables);
    log(`tables written to ${DOC_PATH}`);
  } else if (!args['no-doc']) {
    const why =
      s.mode === 'quick' ? 'this was a quick run' : skip.size > 0 ? 'this was a partial run' : 'a measurement failed';
    log(`${DOC_PATH} left as it is: it holds complete full runs only (${why})`);
  }
  if (failures > 0) {
    log(`${failures} measurement${failures > 1 ? 's' : ''} failed (see above)`);
    process.exitCode = 1;
  }
}

main().catch((err: Error) => {
  if (stopSignal.signal.aborted) return; // the signal handler is stopping everything and will exit
  log(`benchmark failed: ${err.stack ?? err}`);
  void stopAll(20_000).finally(() => process.exit(1));
});
