/** The run's figures as Markdown tables (printed, and written to docs/benchmarks.md). */
import type { Machine, Versions } from './machine.ts';
import type { Figure, Results, System } from './results.ts';
import type { Settings } from './settings.ts';
import { formatCount, formatNumber, formatRatio } from './stats.ts';

/** Pads the columns so the Markdown reads as a table in a terminal too. */
function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

function shown(f: Figure | undefined, unit = true): string {
  if (!f) return '—';
  if (f.value === null) return f.skipped?.startsWith('failed') ? 'failed' : 'skipped';
  if (!unit) return formatNumber(f.value);
  return f.unit === '×' ? `${formatNumber(f.value)}×` : `${formatNumber(f.value)} ${f.unit}`;
}

interface Row {
  label: string;
  key: string;
  /** The peers' figure it is compared with. @defaultValue key */
  peer?: string;
}

export interface StepCpu {
  title: string;
  busyPct: number;
  othersPct: number;
}

export function renderTables(
  results: Results,
  s: Settings,
  machine: Machine,
  versions: Versions,
  durationMs: number,
  startedAt: Date,
  steps: StepCpu[],
): string[] {
  const get = (key: string, system: System) => results.find(key, system);
  const val = (key: string, system: System) => results.value(key, system);
  const out: string[] = [];
  const mins = Math.floor(durationMs / 60_000);
  const secs = Math.round((durationMs % 60_000) / 1000);
  out.push(
    `**${s.mode === 'full' ? 'Full' : 'Quick (`--quick`: shorter runs, smaller backlogs)'} run**, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, took ${mins} min ${secs} s.`,
  );
  out.push('');
  out.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Linux ${machine.kernel}; load average ${machine.loadStart} at the start, ${machine.loadEnd ?? '?'} at the end.`,
  );
  out.push(
    `Runtime: wrangler ${versions.wrangler}, workerd ${versions.workerd}${versions.workerdBuild ? ` (${versions.workerdBuild})` : ''}, miniflare ${versions.miniflare}, Node ${versions.node}${versions.redis ? `, redis-server ${versions.redis}` : ''}.`,
  );
  if (steps.length > 0) {
    const others = steps.map((x) => x.othersPct);
    const worst = steps.reduce((a, b) => (b.othersPct > a.othersPct ? b : a));
    const mean = Math.round(others.reduce((a, b) => a + b, 0) / others.length);
    out.push(
      `Other processes on the machine took ${mean}% of its CPU on average during the measurements (${Math.min(...others)}–${Math.max(...others)}%; most during "${worst.title}")${mean >= 10 ? ': a shared machine, so figures are lower and noisier than on an idle one' : ''}.`,
    );
  }
  out.push('');

  out.push('Ceilings of this machine and runtime, and how close flaremq gets:');
  out.push('');
  const limitRows: [string, Figure | undefined, string, string][] = [
    [
      `limit.doInsert: one DO, ${formatCount(s.insertRows)} rows of ${s.messageSize} B in one request`,
      get('limit.doInsert', 'runtime'),
      'produce.batch',
      'flaremq',
    ],
    [
      "limit.doInsert with flaremq's row shape and 3 indexes (reference)",
      get('limit.doInsert.flaremqRows', 'runtime'),
      'produce.batch',
      'flaremq',
    ],
    [
      `the same rows, one commit per ${s.batchSize}: ${s.concurrency} callers in the runtime, ${s.queues} objects (reference)`,
      get('limit.doInsert.commits', 'runtime'),
      'produce.batch',
      'flaremq',
    ],
    [
      `limit.httpNoop: GET / through wrangler dev, concurrency ${s.concurrency}`,
      get('limit.httpNoop', 'runtime'),
      'produce.single',
      'flaremq',
    ],
    [
      `limit.httpBatch: ${s.batchSize} × ${s.messageSize} B of JSON POSTed to a Worker that parses it, concurrency ${s.concurrency}`,
      get('limit.httpBatch', 'runtime'),
      'produce.batch',
      'flaremq',
    ],
    [
      `limit.httpBatch.reads: the same JSON answered to GETs (consume adds a commit request per pull)`,
      get('limit.httpBatch.reads', 'runtime'),
      'consume',
      'flaremq',
    ],
    [
      `limit.consumeHttp: consume's pulls and commits answered by a minimal store (a read per pull, a durable row per commit)`,
      get('limit.consumeHttp', 'runtime'),
      'consume',
      'flaremq',
    ],
    [
      'limit.doInsert (as above), against sends over producer streams',
      get('limit.doInsert', 'runtime'),
      'produce.stream',
      'flaremq',
    ],
    [
      'limit.commitLatency: ms to write one row and make it durable (storage.sync), one after another',
      get('limit.commitLatency', 'runtime'),
      'latency.stream.p50',
      'flaremq',
    ],
    [
      "limit.wsEcho: ms for a frame's round trip through wrangler dev to a Worker and back",
      get('limit.wsEcho', 'runtime'),
      'latency.stream.p50',
      'flaremq',
    ],
  ];
  out.push(
    ...markdownTable(
      ['ceiling', 'value', 'flaremq figure', 'flaremq ÷ ceiling'],
      limitRows.map(([label, f, key]) => [
        label,
        shown(f),
        `${key} ${shown(get(key, 'flaremq'))}`,
        formatRatio(val(key, 'flaremq'), f?.value),
      ]),
    ),
  );
  out.push('');

  out.push('flaremq and its peers, the same work on the same machine in the same run (for ms and s, lower is better):');
  out.push('');
  const rows: Row[] = [
    {
      label: `produce.batch: ${s.batchSize} × ${s.messageSize} B per request, ${s.queues} queues, concurrency ${s.concurrency}`,
      key: 'produce.batch',
    },
    { label: `produce.single: 1 message per request, concurrency ${s.concurrency}`, key: 'produce.single' },
    {
      label: `consume: drain ${formatCount(s.consumeMessages)} from ${s.queues} queues, pulls of ${s.pullSize} + commit`,
      key: 'consume',
    },
    { label: `latency p50: ${s.latencyRate} msg/s, long-polling consumer`, key: 'latency.p50' },
    { label: 'latency p99', key: 'latency.p99' },
    { label: 'storage: rows written per message of produce.batch', key: 'storage.rowsPerMessage' },
    { label: 'storage: bytes written per message of produce.batch', key: 'storage.bytesPerMessage' },
    {
      label: `produce.stream: ${s.batchSize} × ${s.messageSize} B per frame, ${s.concurrency} producer WebSockets (peers: their produce.batch)`,
      key: 'produce.stream',
      peer: 'produce.batch',
    },
    {
      label: `consume.stream: drain ${formatCount(s.consumeMessages)} by push, a WebSocket per queue (peers: their consume)`,
      key: 'consume.stream',
      peer: 'consume',
    },
    {
      label: `latency.stream p50: ${s.latencyRate} msg/s, producer stream to push stream (peers: their latency)`,
      key: 'latency.stream.p50',
      peer: 'latency.p50',
    },
    { label: 'latency.stream p99', key: 'latency.stream.p99', peer: 'latency.p99' },
    { label: `backlog: append ${formatCount(s.backlogMessages)} to one queue`, key: 'backlog.append' },
    { label: 'backlog: append rate', key: 'backlog.appendRate' },
    { label: `backlog: pull ${s.pullSize} at the head`, key: 'backlog.head' },
    { label: `backlog: pull ${s.pullSize} at the tail`, key: 'backlog.tail' },
    { label: 'backlog: tail ÷ head', key: 'backlog.tailHead' },
    { label: 'peak RSS during the backlog run', key: 'memory.peakRss' },
  ];
  out.push(
    ...markdownTable(
      ['measure', 'flaremq', 'CF Queues (miniflare)', 'Redis Streams', 'flaremq ÷ CF Queues', 'flaremq ÷ Redis'],
      rows.map(({ label, key, peer = key }) => [
        label,
        shown(get(key, 'flaremq')),
        shown(get(peer, 'cfQueues')),
        shown(get(peer, 'redis')),
        key === 'backlog.tailHead' ? '' : formatRatio(val(key, 'flaremq'), val(peer, 'cfQueues')),
        key === 'backlog.tailHead' ? '' : formatRatio(val(key, 'flaremq'), val(peer, 'redis')),
      ]),
    ),
  );
  out.push('');

  out.push(`scale: produce.batch by number of queues (${formatCount(s.scaleDurationMs / 1000)} s each):`);
  out.push('');
  const one = val('scale.1', 'flaremq');
  out.push(
    ...markdownTable(
      ['queues', 'flaremq', '÷ 1 queue'],
      s.scaleQueues.map((n) => [
        String(n),
        shown(get(`scale.${n}`, 'flaremq')),
        formatRatio(val(`scale.${n}`, 'flaremq'), one),
      ]),
    ),
  );
  out.push('');

  const notes = results.figures.filter((f) => f.note || f.skipped);
  if (notes.length > 0) {
    out.push('Notes:');
    out.push('');
    const names: Record<System, string> = {
      runtime: 'limit',
      flaremq: 'flaremq',
      cfQueues: 'CF Queues',
      redis: 'Redis',
    };
    for (const f of notes) out.push(`- ${names[f.system]} ${f.key}: ${f.skipped ?? f.note}`);
    out.push('');
  }
  return out;
}
