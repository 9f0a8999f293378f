/**
 * Progress on stderr while the benchmark runs: one line per step, and on a
 * terminal a status line rewritten in place (elsewhere, a status line at most
 * every 10 s), so that a long step never looks stuck.
 */
import { formatDuration } from './stats.ts';

const stream = process.stderr;
const tty = stream.isTTY === true;

let stepNo = 0;
let stepTotal = 0;
let stepTitle = '';
let stepStart = 0;
let statusShown = false;
let lastPlainStatus = 0;

function clearStatus(): void {
  if (tty && statusShown) stream.write('\r\x1b[2K');
  statusShown = false;
}

/** A line of its own (clears the status line first). */
export function log(line: string): void {
  clearStatus();
  stream.write(`${line}\n`);
}

export function setTotalSteps(total: number): void {
  stepTotal = total;
}

/** Starts a step: "[3/17] flaremq produce.batch". */
export function step(title: string): void {
  stepNo++;
  stepTitle = title;
  stepStart = Date.now();
  lastPlainStatus = Date.now();
  log(`[${stepNo}/${stepTotal}] ${title}`);
}

/** Updates the status of the current step ("12.0 s · 45,000 msgs · 9,800/s"). */
export function status(text: string): void {
  const elapsed = formatDuration(Date.now() - stepStart);
  if (tty) {
    const line = `  … ${elapsed} · ${text}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
    statusShown = true;
  } else if (Date.now() - lastPlainStatus >= 10_000) {
    lastPlainStatus = Date.now();
    stream.write(`  … ${elapsed} · ${text}\n`);
  }
}

/** Ends the current step with its result. */
export function done(summary: string): void {
  log(`  ✓ ${summary} (${formatDuration(Date.now() - stepStart)})`);
}

/** Ends the current step as skipped or failed. */
export function skipped(reason: string): void {
  log(`  – ${stepTitle}: ${reason}`);
}

/** Calls `fn` every `ms` until the returned stop function is called. */
export function every(ms: number, fn: () => void): () => void {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
}
