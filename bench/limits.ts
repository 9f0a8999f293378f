/**
 * The ceilings flaremq is compared against, measured on this machine and
 * runtime in the same run.
 */
import { requestDrain, requestJson } from './http.ts';
import { closedLoop, type LoadResult } from './load.ts';
import { status } from './progress.ts';
import type { Settings } from './settings.ts';
import { median } from './stats.ts';

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
export async function doInsert(workerUrl: string, s: Settings, schema: 'plain' | 'flaremq'): Promise<{ rate: number; runs: number[] }> {
  const insert = async (rows: number) => {
    const t = performance.now();
    const r = await requestJson<{ rows: number }>(`${workerUrl}/insert?rows=${rows}&size=${s.messageSize}&schema=${schema}`, { timeoutMs: 300_000 });
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
  status(`${s.concurrency} callers, ${s.batchSize} rows per commit, ${s.queues} objects, ${Math.round(s.scaleDurationMs / 1000)} s`);
  const r = await requestJson<{ rows: number; elapsedMs: number }>(`${workerUrl}/commits?${q}&ms=${s.scaleDurationMs}`, { timeoutMs: 300_000 });
  return r.rows / (r.elapsedMs / 1000);
}
