/** The machine and the runtime versions a run was taken on. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../test/e2e/server.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  /** 1-minute load average when the run started and when it ended: above 0 before starting means others use the CPU. */
  loadStart: number;
  loadEnd?: number;
}

export interface Versions {
  node: string;
  wrangler: string;
  miniflare: string;
  /** The workerd package that ran flaremq (read from the running process's binary). */
  workerd: string;
  workerdBuild?: string;
  redis?: string;
}

function readVersion(packageJson: string): string {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machine(): Machine {
  let os = 'unknown';
  try {
    os = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? os;
  } catch {
    // not Linux
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os,
    kernel: release(),
    loadStart: Number(loadavg()[0].toFixed(2)),
  };
}

export function endLoad(m: Machine): void {
  m.loadEnd = Number(loadavg()[0].toFixed(2));
}

/** Versions of the toolchain; `workerdBinary` is the binary that actually ran (else the one wrangler depends on). */
export function versions(workerdBinary: string | null): Versions {
  const wranglerDir = join(PROJECT_ROOT, 'node_modules', 'wrangler');
  const nestedMiniflare = join(wranglerDir, 'node_modules', 'miniflare', 'package.json');
  const miniflare = readVersion(
    existsSync(nestedMiniflare) ? nestedMiniflare : join(PROJECT_ROOT, 'node_modules', 'miniflare', 'package.json'),
  );
  const fallback = join(wranglerDir, 'node_modules', 'workerd', 'package.json');
  let workerd = readVersion(
    existsSync(fallback) ? fallback : join(PROJECT_ROOT, 'node_modules', 'workerd', 'package.json'),
  );
  let workerdBuild: string | undefined;
  if (workerdBinary) {
    // …/@cloudflare/workerd-<platform>/bin/workerd
    workerd = readVersion(join(dirname(dirname(workerdBinary)), 'package.json'));
    try {
      workerdBuild = execFileSync(workerdBinary, ['--version'], { encoding: 'utf8', timeout: 5000 }).trim();
    } catch {
      // keep the package version
    }
  }
  return {
    node: process.version,
    wrangler: readVersion(join(wranglerDir, 'package.json')),
    miniflare,
    workerd,
    workerdBuild,
  };
}
