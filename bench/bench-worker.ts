/**
 * Starts the benchmark's own Worker (bench/workers/: the insert ceiling and
 * the Cloudflare Queues peer) on the local runtime, through wrangler's dev
 * engine (`unstable_startWorker`, what `wrangler dev` itself runs) in this
 * process, with its state in a temporary directory. test/e2e/server.ts starts
 * only the project's own wrangler.toml, hence this.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../test/e2e/server.ts';
import { killAtExit, onStop, removeAtExit, withTimeout } from './cleanup.ts';
import { alive, descendants, exePath } from './procs.ts';

const CONFIG = fileURLToPath(new URL('./workers/wrangler.toml', import.meta.url));

export interface BenchWorker {
  url: string;
  /** The workerd processes this started. */
  pids: number[];
  stop(): Promise<void>;
}

export async function startBenchWorker(): Promise<BenchWorker> {
  const scratch = mkdtempSync(join(tmpdir(), 'flaremq-bench-worker-'));
  // wrangler still appends to its log after dispose(): the directory goes when this process exits,
  // and so does the bundle it builds next to the config (bench/workers/.wrangler).
  removeAtExit(scratch);
  removeAtExit(join(dirname(CONFIG), '.wrangler'));
  // wrangler runs in this process: its settings are this process's environment. (flaremq's own
  // servers are started before this, with the defaults of `npm start`.)
  process.env.WRANGLER_LOG = 'error';
  process.env.WRANGLER_LOG_PATH = join(scratch, 'logs');
  process.env.WRANGLER_REGISTRY_PATH = join(scratch, 'registry');
  const before = new Set(descendants(process.pid));
  const { unstable_startWorker } = await import('wrangler');
  const [port] = await freePorts(1);
  const worker = await unstable_startWorker({
    config: CONFIG,
    dev: {
      server: { hostname: '127.0.0.1', port },
      inspector: false,
      watch: false,
      liveReload: false,
      persist: join(scratch, 'state'),
      logLevel: 'error',
    },
  });
  let pids: number[] = [];
  const forget: (() => void)[] = [];
  const stop = async () => {
    try {
      await withTimeout(worker.dispose(), 15_000, 'disposing the bench Worker');
    } finally {
      // Whatever dispose left behind of what it started, by pid.
      for (const pid of pids) {
        if (alive(pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
      }
      forget.forEach((f) => f());
    }
  };
  const unregister = onStop('bench Worker (wrangler dev engine)', stop);
  try {
    await withTimeout(worker.ready, 120_000, 'starting the bench Worker');
    const url = (await worker.url).toString().replace(/\/$/, '');
    pids = descendants(process.pid).filter((pid) => !before.has(pid) && basename(exePath(pid) ?? '') === 'workerd');
    forget.push(...pids.map((pid) => killAtExit(pid)));
    return {
      url,
      pids,
      stop: async () => {
        unregister();
        await stop();
      },
    };
  } catch (err) {
    unregister();
    await stop().catch(() => undefined);
    throw err;
  }
}
