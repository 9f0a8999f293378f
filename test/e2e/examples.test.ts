/**
 * Every program in examples/ against a freshly started server, run as a user
 * runs it: `npm run example -- <name>` is `npm run build:sdk` then
 * `node examples/run.mjs <name>`; here the SDK is bundled once, then each
 * example runs under the project's Node 22 with FLAREMQ_ENDPOINT pointing at
 * the server. Each must exit 0 and print what it is written to show.
 *
 * One server (fresh state) serves the whole file: the examples use fixed
 * names, distinct from one example to another, so each runs as on a fresh
 * server. The list of examples is run.mjs's own (its usage line), and every
 * example there must have its expectations below.
 */
import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, makeTempDir, startServer, type DevServer, stopAndRemove } from './server';

const NODE_BIN = join(PROJECT_ROOT, 'node_modules', '.bin');
const RUN = join(PROJECT_ROOT, 'examples', 'run.mjs');
/**
 * Longest run of one example. The slowest: retry-dlq, about 10 s on a fresh server (the consumer
 * sees the topic the example's send creates at a heartbeat 2 s later), and up to a minute before
 * it gives up by itself.
 */
const EXAMPLE_TIMEOUT_MS = 90_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command of the project under its Node 22 (node_modules/.bin first on the PATH); never throws on a non-zero exit. */
function exec(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  timeout = EXAMPLE_TIMEOUT_MS,
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, PATH: `${NODE_BIN}${delimiter}${process.env.PATH}`, NO_COLOR: '1', ...env },
        timeout,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    ).stdin?.end();
  });
}

const lines = (out: string) => out.split('\n').filter((l) => l.length > 0);

/** A line matching each pattern, in this order (other lines may come between). */
function expectInOrder(out: string, patterns: (string | RegExp)[]): void {
  const all = lines(out);
  let at = 0;
  for (const p of patterns) {
    const found = all.findIndex((l, i) => i >= at && (typeof p === 'string' ? l.includes(p) : p.test(l)));
    expect(found, `no line ${String(p)} after line ${at} in:\n${out}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}

/** What each example must print, besides exiting 0. */
const EXPECTED: Record<string, (out: string) => void> = {
  quickstart: (out) => {
    for (const body of ['hello', 'flaremq', 'on workerd'])
      expectInOrder(out, [`sent ${JSON.stringify(body)} -> `, `received ${JSON.stringify(body)} (`]);
    expectInOrder(out, ['done']);
  },
  ordered: (out) => {
    expect(out).toContain('payment service hiccup; retried in place');
    // Each order's steps in order, each once (the failed step retried in place).
    for (const order of ['order-1', 'order-2', 'order-3']) {
      expect(lines(out).filter((l) => l.startsWith(`${order}: `))).toEqual(
        ['created', 'paid', 'shipped', 'delivered'].map((s) => `${order}: ${s}`),
      );
      expect(out).toContain(`${order} created -> paid -> shipped -> delivered`);
    }
  },
  delayed: (out) => {
    expectInOrder(out, [
      /^held until .*: timer /,
      /^held until .*: timer /,
      /^held until .*: timer /,
      'pending: never delivered',
      'cancelled the third one',
    ]);
    const delivered = lines(out).filter((l) => l.startsWith('after '));
    expect(delivered.map((l) => l.replace(/^after [\d.]+ s: /, '')).sort()).toEqual([
      'level 2: five seconds later',
      'three seconds later',
    ]);
  },
  'retry-dlq': (out) => {
    expectInOrder(out, [
      /^attempt 1 fails \(delivered from RetryTopic\)$/,
      /^attempt 2 fails \(delivered from %RETRY%GID_retry_dlq\)$/,
      /^attempt 3 fails \(delivered from %RETRY%GID_retry_dlq\)$/,
      /^in %DLQ%GID_retry_dlq: "cannot be processed yet \(.*\)" \(sent to RetryTopic, failed 3 times\)$/,
      /^resent to /,
      /^consumed "cannot be processed yet \(.*\)" after its resend$/,
    ]);
  },
  broadcasting: (out) => {
    // Every member gets every message, once.
    for (const member of ['cache-1', 'cache-2', 'cache-3']) {
      expect(
        lines(out)
          .filter((l) => l.startsWith(`${member} got `))
          .sort(),
      ).toEqual([1, 2, 3].map((i) => `${member} got invalidate key-${i}`));
    }
    expect(out).toContain("{ 'cache-1': 3, 'cache-2': 3, 'cache-3': 3 }");
  },
  iterator: (out) => {
    expect(lines(out).filter((l) => l.startsWith('iterator: '))).toEqual([
      'iterator: one',
      'iterator: two',
      'iterator: three',
    ]);
    expect(
      lines(out)
        .filter((l) => l.startsWith('poll: '))
        .sort(),
    ).toEqual(['five', 'four', 'one', 'three', 'two'].map((b) => `poll: ${b}`));
  },
  pop: (out) => {
    expectInOrder(out, [
      /^received "flaky job" .*reconsumeTimes 0\): not acked/,
      /^acked "flaky job" .*reconsumeTimes 1\)$/,
    ]);
    expectInOrder(out, [/^received "slow job" .*: asked for a minute more/, /^acked "slow job"/]);
    for (const job of ['job 1', 'job 2'])
      expect(lines(out).filter((l) => l.startsWith(`acked "${job}" `))).toHaveLength(1);
    // Ordered pop: each receive holds at most one step of an order, and each order's steps come in order.
    const rounds = lines(out)
      .filter((l) => l.startsWith('orderly receive '))
      .map((l) => l.replace(/^orderly receive \d+: /, '').split(', '));
    for (const round of rounds) expect(new Set(round.map((m) => m.split(' ')[0])).size).toBe(round.length);
    for (const order of ['order-1', 'order-2']) {
      expect(rounds.flat().filter((m) => m.startsWith(`${order} `))).toEqual(
        ['created', 'paid', 'shipped'].map((s) => `${order} ${s}`),
      );
    }
    expectInOrder(out, ['done']);
  },
  transactions: (out) => {
    expectInOrder(out, [
      /^order-1: COMMIT -> /,
      /^order-2: ROLLBACK \(/,
      /^order-3: UNKNOWN \(Error: the database answered too late\)/,
      /^check 1 of order-3: COMMIT$/,
    ]);
    expect(
      lines(out)
        .filter((l) => l.startsWith('consumed '))
        .sort(),
    ).toEqual(['consumed "order 1 paid"', 'consumed "order 3 paid"']);
    expect(out).toMatch(/^producer group PG_orders: /m);
  },
};

let tmp: string;
let server: DevServer | null = null;

describe('examples against a freshly started server', () => {
  beforeAll(async () => {
    // The examples import the SDK's bundle, as `npm run example` builds it.
    const built = await exec('npm', ['run', '-s', 'build:sdk']);
    if (built.code !== 0) throw new Error(`npm run build:sdk exited ${built.code}:\n${built.stdout}${built.stderr}`);
    tmp = makeTempDir('flaremq-e2e-examples-');
    server = await startServer({ persistTo: join(tmp, 'state') });
  });

  afterAll(async () => {
    await stopAndRemove(server, tmp);
    server = null;
  });

  it('has expectations for every example run.mjs knows', async () => {
    const usage = await exec('node', [RUN]);
    expect(usage.code).toBe(2);
    const listed = /^examples: (.+)$/m.exec(usage.stderr)?.[1].split(', ');
    expect(listed).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED).sort())(
    '%s exits 0 and prints what it shows',
    { timeout: EXAMPLE_TIMEOUT_MS + 10_000 },
    async (name) => {
      const run = await exec('node', [RUN, name], { FLAREMQ_ENDPOINT: server!.url });
      const report = `examples/${name}.ts exited ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- server output (tail) ---\n${server!.output().slice(-3000)}`;
      expect(run.code, report).toBe(0);
      try {
        EXPECTED[name](run.stdout);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${report}`, { cause: err });
      }
    },
  );
});
