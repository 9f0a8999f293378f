/**
 * The Redis Streams peer: Debian's redis-server started here on a free port
 * with its own directory, appendonly yes and appendfsync everysec; XADD in
 * pipelines of 100, XREADGROUP + XACK. Skipped (with the reason) when
 * redis-server is not installed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../test/e2e/server.ts';
import { killAtExit, onStop, stopSignal, withTimeout } from './cleanup.ts';
import { closedLoop, pool, type LoadResult } from './load.ts';
import { alive, RssSampler } from './procs.ts';
import { every, status } from './progress.ts';
import { encodeCommand, RespClient, type RespValue } from './resp.ts';
import type { Settings } from './settings.ts';
import { formatCount, median, percentile } from './stats.ts';

/** The redis-server to run, and its version; or why it cannot run. */
export function findRedis(): { path: string; version: string } | { missing: string } {
  for (const path of ['redis-server', '/usr/bin/redis-server', '/usr/sbin/redis-server']) {
    try {
      const out = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 5000 });
      return { path, version: out.match(/v=(\S+)/)?.[1] ?? out.trim() };
    } catch {
      // try the next
    }
  }
  return { missing: 'redis-server is not installed (on Debian: apt-get install redis-server)' };
}

export interface Redis {
  port: number;
  pid: number;
  connect(): Promise<RespClient>;
  stop(): Promise<void>;
}

export async function startRedis(path: string): Promise<Redis> {
  const dir = mkdtempSync(join(tmpdir(), 'flaremq-bench-redis-'));
  const [port] = await freePorts(1);
  const child: ChildProcess = spawn(
    path,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--logfile',
      '',
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (c: Buffer) => (output = (output + c.toString()).slice(-20_000));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const pid = child.pid!;
  const forget = killAtExit(-pid);
  const stop = async () => {
    try {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-pid, 'SIGTERM');
        await withTimeout(exited, 15_000, 'redis-server exiting').catch(async () => {
          process.kill(-pid, 'SIGKILL');
          await withTimeout(exited, 5000, 'redis-server exiting after SIGKILL');
        });
      }
    } finally {
      forget();
      child.stdout?.destroy();
      child.stderr?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const unregister = onStop('redis-server', stop);
  const redis: Redis = {
    port,
    pid,
    connect: () => RespClient.connect(port),
    stop: async () => {
      unregister();
      await stop();
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const c = await redis.connect();
      const pong = await c.command('PING');
      c.close();
      if (pong === 'PONG') return redis;
    } catch {
      // not listening yet
    }
    if (!alive(pid) || Date.now() > deadline) {
      await redis.stop().catch(() => undefined);
      throw new Error(`redis-server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pad = (size: number) => 'x'.repeat(size);

async function connections(redis: Redis, n: number): Promise<RespClient[]> {
  return Promise.all(Array.from({ length: n }, () => redis.connect()));
}

const closeAll = (clients: RespClient[]) => clients.forEach((c) => c.close());

/** XADD pipelines of `batch` entries (field b = a 1 KiB body) to `stream`, encoded once. */
function xaddPipeline(stream: string, batch: number, size: number): Buffer {
  const one = encodeCommand(['XADD', stream, '*', 'b', pad(size)]);
  return Buffer.concat(Array.from({ length: batch }, () => one));
}

/** produce.batch: `concurrency` connections, each writing pipelines of 100 XADD, over `queues` streams. */
export async function produceBatch(redis: Redis, s: Settings): Promise<LoadResult> {
  const clients = await connections(redis, s.concurrency);
  const pipes = Array.from({ length: s.queues }, (_, q) => xaddPipeline(`pb${q}`, s.batchSize, s.messageSize));
  let next = 0;
  try {
    return await closedLoop({
      concurrency: s.concurrency,
      warmupMs: s.warmupMs,
      durationMs: s.durationMs,
      op: async (w) => {
        await clients[w].sendRaw(pipes[next++ % pipes.length], s.batchSize);
        return s.batchSize;
      },
    });
  } finally {
    await clients[0].command('DEL', ...pipes.map((_, q) => `pb${q}`)).catch(() => undefined);
    closeAll(clients);
  }
}

/** produce.single: one XADD per round trip on each of `concurrency` connections. */
export async function produceSingle(redis: Redis, s: Settings): Promise<LoadResult> {
  const clients = await connections(redis, s.concurrency);
  const cmds = Array.from({ length: s.queues }, (_, q) =>
    encodeCommand(['XADD', `ps${q}`, '*', 'b', pad(s.messageSize)]),
  );
  let next = 0;
  try {
    return await closedLoop({
      concurrency: s.concurrency,
      warmupMs: s.warmupMs,
      durationMs: s.durationMs,
      op: async (w) => {
        await clients[w].sendRaw(cmds[next++ % cmds.length], 1);
        return 1;
      },
    });
  } finally {
    await clients[0].command('DEL', ...cmds.map((_, q) => `ps${q}`)).catch(() => undefined);
    closeAll(clients);
  }
}

type StreamEntry = [id: string, fields: string[]];
/** XREADGROUP's answer: [[stream, entries]] or null. */
function entriesOf(reply: RespValue): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const [, entries] = reply[0] as [string, StreamEntry[]];
  return entries ?? [];
}

/** consume: fills `consumeMessages` over the streams (not timed); one consumer per stream reads 100 and acks them, until drained. */
export async function consume(
  redis: Redis,
  s: Settings,
): Promise<{ rate: number; messages: number; elapsedMs: number }> {
  const clients = await connections(redis, s.queues);
  const perQueue = Math.ceil(s.consumeMessages / s.queues);
  try {
    const fillPipe = (q: number) => xaddPipeline(`cs${q}`, s.batchSize, s.messageSize);
    await pool(
      Array.from({ length: s.queues }, (_, q) => q),
      s.queues,
      async (q) => {
        const pipe = fillPipe(q);
        for (let added = 0; added < perQueue; added += s.batchSize) await clients[q].sendRaw(pipe, s.batchSize);
        await clients[q].command('XGROUP', 'CREATE', `cs${q}`, 'g', '0');
      },
    );
    let consumed = 0;
    const total = perQueue * s.queues;
    const stopStatus = every(250, () =>
      status(`draining: ${formatCount(consumed)} of ${formatCount(Math.ceil(total / 100) * 100)}`),
    );
    const start = performance.now();
    try {
      await Promise.all(
        clients.map(async (c, q) => {
          let read = 0;
          const filled = Math.ceil(perQueue / s.batchSize) * s.batchSize;
          for (let i = 0; read < filled && i < 2 * Math.ceil(filled / s.pullSize) + 20; i++) {
            if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
            const entries = entriesOf(
              await c.command('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', s.pullSize, 'STREAMS', `cs${q}`, '>'),
            );
            if (entries.length === 0) break;
            await c.command('XACK', `cs${q}`, 'g', ...entries.map(([id]) => id));
            read += entries.length;
            consumed += entries.length;
          }
        }),
      );
    } finally {
      stopStatus();
    }
    const elapsedMs = performance.now() - start;
    return { rate: consumed / (elapsedMs / 1000), messages: consumed, elapsedMs };
  } finally {
    await clients[0].command('DEL', ...clients.map((_, q) => `cs${q}`)).catch(() => undefined);
    closeAll(clients);
  }
}

/** latency: XADD at a steady rate on one connection; XREADGROUP BLOCK + XACK on another. */
export async function latency(redis: Redis, s: Settings): Promise<{ p50: number; p99: number; samples: number }> {
  const [producer, consumer] = await connections(redis, 2);
  try {
    await consumer.command('XGROUP', 'CREATE', 'lat', 'g', '$', 'MKSTREAM');
    const warm = Math.floor((s.warmupMs / 1000) * s.latencyRate);
    const total = warm + Math.floor((s.latencyMs / 1000) * s.latencyRate);
    const latencies: number[] = [];
    let received = 0;
    const deadline = performance.now() + s.warmupMs + s.latencyMs + 30_000;
    const reading = (async () => {
      while (received < total && performance.now() < deadline) {
        if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
        const entries = entriesOf(
          await consumer.command('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 2000, 'COUNT', 100, 'STREAMS', 'lat', '>'),
        );
        const now = performance.now();
        for (const [, fields] of entries) {
          const body = fields[1];
          const bar = body.indexOf('|');
          const i = Number(body.slice(0, bar));
          if (i >= warm) latencies.push(now - Number(body.slice(bar + 1, body.indexOf('|', bar + 1))));
          received++;
        }
        if (entries.length > 0) await consumer.command('XACK', 'lat', 'g', ...entries.map(([id]) => id));
      }
    })();
    const padding = pad(s.messageSize - 40);
    const start = performance.now();
    const sends: Promise<RespValue>[] = [];
    const stopStatus = every(250, () => status(`${formatCount(received)} of ${formatCount(total)} received`));
    try {
      for (let i = 0; i < total; i++) {
        if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
        const wait = start + (i * 1000) / s.latencyRate - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sends.push(producer.command('XADD', 'lat', '*', 'b', `${i}|${performance.now().toFixed(3)}|${padding}`));
      }
      await Promise.all(sends);
      await reading;
    } finally {
      stopStatus();
    }
    return { p50: median(latencies), p99: percentile(latencies, 99), samples: latencies.length };
  } finally {
    await producer.command('DEL', 'lat').catch(() => undefined);
    producer.close();
    consumer.close();
  }
}

/** backlog: `backlogMessages` XADDs to one stream (pipelines of 100), then XRANGE of 100 at the head and XREVRANGE of 100 at the tail. */
export async function backlog(
  redis: Redis,
  s: Settings,
): Promise<{ appendMs: number; headMs: number; tailMs: number; peakRssMiB: number }> {
  const clients = await connections(redis, s.backlogConcurrency);
  const sampler = new RssSampler(() => [redis.pid]).start(200);
  try {
    const pipe = xaddPipeline('bl', s.batchSize, s.messageSize);
    const batches = Math.ceil(s.backlogMessages / s.batchSize);
    let appended = 0;
    const start = performance.now();
    const stopStatus = every(250, () =>
      status(`${formatCount(appended)} of ${formatCount(s.backlogMessages)} appended`),
    );
    try {
      let next = 0;
      await Promise.all(
        clients.map(async (c) => {
          while (next < batches) {
            if (stopSignal.signal.aborted) throw stopSignal.signal.reason;
            next++;
            await c.sendRaw(pipe, s.batchSize);
            appended += s.batchSize;
          }
        }),
      );
    } finally {
      stopStatus();
    }
    const appendMs = performance.now() - start;
    const c = clients[0];
    const timed = async (...args: (string | number)[]) => {
      const t = performance.now();
      const r = await c.command(...args);
      if (!Array.isArray(r) || r.length !== s.pullSize)
        throw new Error(`${args[0]} returned ${Array.isArray(r) ? r.length : r} entries`);
      return performance.now() - t;
    };
    const head: number[] = [];
    const tail: number[] = [];
    await timed('XRANGE', 'bl', '-', '+', 'COUNT', s.pullSize);
    for (let i = 0; i < s.backlogReads; i++) {
      head.push(await timed('XRANGE', 'bl', '-', '+', 'COUNT', s.pullSize));
      tail.push(await timed('XREVRANGE', 'bl', '+', '-', 'COUNT', s.pullSize));
    }
    return { appendMs, headMs: median(head), tailMs: median(tail), peakRssMiB: sampler.stop() / 1024 };
  } finally {
    sampler.stop();
    await clients[0].command('DEL', 'bl').catch(() => undefined);
    closeAll(clients);
  }
}
