/**
 * package-lock.json holds every platform's builds (workerd, esbuild, sharp, ...), so that `npm ci`
 * (CI's install) reproduces it on any machine. npm ci on this machine checks the lock against
 * package.json, but never misses another platform's build: this test does.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
}
type Lock = { packages: Record<string, LockEntry> };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOCK: Lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8'));

/** The lock path Node would load `name` from when required by the package at `from` (its node_modules, then its parents'). */
function resolveIn(lock: Lock, from: string, name: string): LockEntry | undefined {
  for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
    const entry = lock.packages[`${base ? `${base}/` : ''}node_modules/${name}`];
    if (entry || !base) return entry;
  }
}

/** Each optional dependency of a locked package that the lock lacks, or holds at another version than an exact pin. */
function missingOptional(lock: Lock): string[] {
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages))
    for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
      const found = resolveIn(lock, path, name);
      const exact = /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec);
      if (!found || (exact && found.version !== spec)) missing.push(`${path || '.'} -> ${name}@${spec}`);
    }
  return missing;
}

describe('package-lock.json', () => {
  it("holds every optional dependency of every locked package: all platforms' builds", () => {
    expect(missingOptional(LOCK)).toEqual([]);
  });

  it('would be found incomplete without one platform’s workerd', () => {
    const packages = { ...LOCK.packages };
    delete packages['node_modules/@cloudflare/workerd-darwin-arm64'];
    const spec = LOCK.packages['node_modules/workerd']?.optionalDependencies?.['@cloudflare/workerd-darwin-arm64'];
    expect(missingOptional({ packages })).toEqual([`node_modules/workerd -> @cloudflare/workerd-darwin-arm64@${spec}`]);
  });
});
