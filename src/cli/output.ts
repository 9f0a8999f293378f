/** Human output: aligned tables (cli-table3) and progress bars (cli-progress) on stderr. */
import { SingleBar, Presets } from 'cli-progress';
import Table from 'cli-table3';

/** Prints rows under a header as an aligned, borderless table, kubectl style. */
export function table(head: string[], rows: unknown[][]): void {
  const t = new Table({
    head,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) t.push(row.map((cell) => (cell === undefined || cell === null ? '-' : String(cell))));
  process.stdout.write(
    `${t
      .toString()
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')}\n`,
  );
}

/** Prints `key  value` pairs aligned. */
export function fields(pairs: [string, unknown][]): void {
  const width = Math.max(...pairs.map(([k]) => k.length));
  for (const [k, v] of pairs)
    process.stdout.write(`${k.padEnd(width)}  ${v === undefined || v === null ? '-' : String(v)}\n`);
}

/** A progress bar on stderr, drawn only when stderr is a terminal (so pipes and --json stay clean). */
export function progress(total: number, label: string): { increment(n?: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { increment() {}, stop() {} };
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return { increment: (n = 1) => bar.increment(n), stop: () => bar.stop() };
}
