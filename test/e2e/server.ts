/**
 * Starts the real local server (`wrangler dev` on workerd) for end-to-end
 * tests, and stops it with its whole process tree.
 *
 * The server runs from node_modules/.bin under the Node 22 found there
 * (that folder goes first in the child's PATH, so wrangler's `#!/usr/bin/env
 * node` resolves to it), on free ports, with its state in a directory the
 * caller owns, and without prompts, file watching or telemetry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the folder holding wrangler.toml and node_modules. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN_DIR = join(PROJECT_ROOT, 'node_modules', '.bin');
const WRANGLER = join(BIN_DIR, 'wrangler');

/** Most output kept per server (the tail), so a long run cannot eat memory. */
const MAX_OUTPUT_CHARS = 256 * 1024;

export interface StartOptions {
  /** Directory for the server's persisted state (Durable Object SQLite files); the caller owns it. */
  persistTo: string;
  /** How long to wait for GET /api/v1/openapi.json to answer 200. @defaultValue 90 s */
  readyTimeoutMs?: number;
  /** Vars (or secrets, such as FLAREMQ_ACCOUNTS) for the Worker, each passed as `--var NAME:value`, over wrangler.toml's. */
  vars?: Record<string, string>;
  /**
   * FLAREMQ_MODE, passed as `--var FLAREMQ_MODE:<mode>` (a FLAREMQ_MODE in `vars` overrides it);
   * `null` passes none, so the server runs as a fresh `wrangler deploy` would (closed without
   * accounts: docs/security.md#modes). @defaultValue 'development' (as `npm start`)
   */
  mode?: string | null;
  /** How long stop() waits after SIGTERM before SIGKILL, and again after SIGKILL. @defaultValue 10 s */
  stopTimeoutMs?: number;
  /**
   * wrangler's `--log-level`: `warn` leaves out its line per request and the Worker's console.log lines (the
   * benchmark runs so: wrangler's logging took a fifth of the CPU the runtime took, on the same 2 cores).
   * @defaultValue wrangler's own (`log`)
   */
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none';
}

export interface DevServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly inspectorPort: number;
  /** Process id of the wrangler process, also the id of its process group. */
  readonly pid: number;
  /** Everything the server wrote to stdout and stderr so far (the last 256 KiB). */
  output(): string;
  /** Kills the whole process tree and waits for it to go. Idempotent. */
  stop(): Promise<void>;
  /**
   * Sends `signal` (SIGKILL by default: a crash, nothing flushed or shut down)
   * to the whole process tree at once, then waits for it to go as stop() does.
   * The state directory is left as the crash left it. Idempotent with stop().
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Servers not stopped yet (process group -> scratch dir), killed synchronously if the test process exits without stopping them. */
const running = new Map<number, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [pgid, scratch] of running) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `count` distinct free ports on 127.0.0.1: each found by listening on port 0, all held open together, then closed. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen());
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Whether any live (not zombie) process of the group is left. On Linux this
 * reads /proc, so that zombies waiting for a reaper do not count; elsewhere
 * it probes the group with signal 0.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux' && existsSync('/proc/self/stat')) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // the process went while we looked
      }
      // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts `wrangler dev` for this project and waits until it answers. Throws
 * (after stopping what it started) with the server's output when it does not
 * come up in time or exits early.
 */
export async function startServer(options: StartOptions): Promise<DevServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const [port, inspectorPort] = await freePorts(2);
  // Wrangler's own logs and dev registry go here, not to the user's home; removed by stop().
  const scratch = mkdtempSync(join(tmpdir(), 'flaremq-e2e-wrangler-'));

  const args = [
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
    '--inspector-ip',
    '127.0.0.1',
    '--persist-to',
    options.persistTo,
    '--show-interactive-dev-session=false',
    ...(options.logLevel ? ['--log-level', options.logLevel] : []),
    // Local development by default, as `npm start`: open when no accounts are given (docs/security.md).
    ...(options.mode === null ? [] : ['--var', `FLAREMQ_MODE:${options.mode ?? 'development'}`]),
    ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ];
  const child = spawn(WRANGLER, args, {
    cwd: PROJECT_ROOT,
    detached: true, // its own process group, so stop() can kill the whole tree
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PATH: [BIN_DIR, process.env.PATH ?? ''].filter(Boolean).join(delimiter),
      CI: 'true',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_SEND_ERROR_REPORTS: 'false',
      WRANGLER_CI_DISABLE_CONFIG_WATCHING: 'true',
      WRANGLER_NO_SKILLS_UPDATE_PROMPTS: 'true',
      WRANGLER_LOG_PATH: join(scratch, 'logs'),
      WRANGLER_REGISTRY_PATH: join(scratch, 'registry'),
    },
  });

  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    // Trim only past twice the limit, so a chatty server does not cost a copy per chunk.
    if (output.length > 2 * MAX_OUTPUT_CHARS) output = output.slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let spawnError: Error | null = null;
  child.once('error', (err) => {
    spawnError = err;
    output += `\n[spawn error] ${err.message}\n`;
  });

  const pid = child.pid;
  if (pid !== undefined) running.set(pid, scratch);
  installExitHook();

  let stopping: Promise<void> | null = null;
  const shutDown = (signal: NodeJS.Signals): Promise<void> => {
    stopping ??= (async () => {
      try {
        if (pid === undefined) return;
        signalGroup(pid, signal);
        const exited = await waitExit(child, stopTimeoutMs);
        let gone = await waitGroupGone(pid, exited ? stopTimeoutMs : 0);
        if (!gone) {
          signalGroup(pid, 'SIGKILL');
          await waitExit(child, stopTimeoutMs);
          gone = await waitGroupGone(pid, stopTimeoutMs);
        }
        if (!gone) throw new Error(`wrangler dev (process group ${pid}) did not go away after SIGKILL`);
        running.delete(pid);
      } finally {
        child.stdout?.destroy();
        child.stderr?.destroy();
        rmSync(scratch, { recursive: true, force: true });
      }
    })();
    return stopping;
  };
  const stop = () => shutDown('SIGTERM');
  const kill = (signal: NodeJS.Signals = 'SIGKILL') => shutDown(signal);

  const url = `http://127.0.0.1:${port}`;
  const server: DevServer = {
    url,
    port,
    inspectorPort,
    pid: pid ?? -1,
    output: () => output.slice(-MAX_OUTPUT_CHARS),
    stop,
    kill,
  };

  const fail = async (why: string): Promise<never> => {
    await stop().catch((err: Error) => {
      output += `\n[stop failed] ${err.message}\n`;
    });
    throw new Error(`wrangler dev ${why}\n--- server output ---\n${output}\n--- end of server output ---`);
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError) return fail(`could not be started from ${WRANGLER}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      return fail(`exited before it was ready (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(`${url}/api/v1/openapi.json`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline)
      return fail(`did not answer 200 on ${url}/api/v1/openapi.json within ${readyTimeoutMs} ms`);
    await sleep(250);
  }
}

/** Stops a test file's server (if it started) and removes its temporary directory, even if the stop fails. */
export async function stopAndRemove(server: DevServer | null, dir: string | undefined): Promise<void> {
  try {
    await server?.stop();
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh temporary directory for a test to own (and remove). */
export function makeTempDir(prefix = 'flaremq-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
