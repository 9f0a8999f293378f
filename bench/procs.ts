/** Reading processes from /proc (Linux): trees, groups, resident memory. */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]) };
  } catch {
    return null;
  }
}

function allStats(): ProcStat[] {
  if (!existsSync('/proc/self/stat')) return [];
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s && s.state !== 'Z' && s.state !== 'X') out.push(s);
  }
  return out;
}

/** Live descendants of `root` (not `root` itself). */
export function descendants(root: number): number[] {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const out: number[] = [];
  const todo = [...(children.get(root) ?? [])];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Live members of a process group. */
export function groupMembers(pgid: number): number[] {
  return allStats()
    .filter((s) => s.pgrp === pgid)
    .map((s) => s.pid);
}

export function alive(pid: number): boolean {
  const s = readStat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export function exePath(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory now, in KiB (0 if the process is gone). */
export const rssKiB = (pid: number) => statusKiB(pid, 'VmRSS');
/** The most resident memory the process ever had, in KiB (the kernel's high-water mark). */
export const peakRssKiB = (pid: number) => statusKiB(pid, 'VmHWM');

/** Samples the summed resident memory of a set of processes and keeps the maximum. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  private readonly pids: () => number[];
  peakKiB = 0;
  samples = 0;

  constructor(pids: () => number[]) {
    this.pids = pids;
  }

  sample(): number {
    const total = this.pids().reduce((sum, pid) => sum + rssKiB(pid), 0);
    this.peakKiB = Math.max(this.peakKiB, total);
    this.samples++;
    return total;
  }

  start(intervalMs = 250): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.peakKiB;
  }
}

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime (not the reaped children's: those are counted from their own samples)
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

function machineTicks(): { busy: number; all: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return { busy: f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0), all: f.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/**
 * How busy the machine was during a step, and how much of that was not this
 * benchmark (its process and everything it started): on a shared machine,
 * others' work makes the figures lower and noisier.
 */
export class CpuWatch {
  private readonly start = machineTicks();
  /** CPU ticks of each of our processes when first seen (0 for those started since), and when last seen. */
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    for (const pid of [process.pid, ...descendants(process.pid)]) this.first.set(pid, cpuTicks(pid));
    this.sample();
    // Processes that exit during the step (a server stopped within it) count up to their last sample.
    this.timer = setInterval(() => this.sample(), 500);
    this.timer.unref();
  }

  private sample(): void {
    for (const pid of [process.pid, ...descendants(process.pid)]) {
      const t = cpuTicks(pid);
      if (t > 0) this.last.set(pid, t);
    }
  }

  /** Percentages of the whole machine (all cores): busy in total, and busy with processes other than ours. */
  stop(): { busyPct: number; othersPct: number } | null {
    clearInterval(this.timer);
    this.sample();
    const end = machineTicks();
    if (!this.start || !end || end.all === this.start.all) return null;
    let ours = 0;
    for (const [pid, t] of this.last) ours += Math.max(0, t - (this.first.get(pid) ?? 0));
    const all = end.all - this.start.all;
    const busy = end.busy - this.start.busy;
    return { busyPct: (100 * busy) / all, othersPct: Math.max(0, (100 * (busy - ours)) / all) };
  }
}
