import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/layers/', import.meta.url));

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Runs dependency-cruiser with the project's rules over the fixture tree, as `npm run lint` runs it over src/. */
function depcruise(...args: string[]) {
  const bin = `${ROOT}node_modules/dependency-cruiser/bin/dependency-cruiser.mjs`;
  return spawnSync(process.execPath, [bin, 'src', '--config', `${ROOT}.dependency-cruiser.cjs`, ...args], {
    cwd: FIXTURE,
    encoding: 'utf8',
  });
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  it('fail the build on each broken rule, and only there', { timeout: 60_000 }, () => {
    const json = depcruise('--output-type', 'json');
    expect(json.stderr).toBe('');
    const violations = (JSON.parse(json.stdout).summary.violations as Violation[])
      .map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^(\.\.\/)+node_modules\/([^/]+)\/.*$/, 'npm:$2')}`)
      .sort();
    expect(violations).toEqual([
      'core-is-pure: src/core/uses-hono.ts -> npm:hono',
      'core-is-pure: src/core/uses-runtime.ts -> cloudflare:workers',
      'core-is-pure: src/core/uses-worker.ts -> src/workers/app.ts',
      'no-circular: src/core/cycle-a.ts -> src/core/cycle-b.ts',
      'objects-do-not-import-workers: src/durable-objects/uses-worker.ts -> src/workers/app.ts',
      'sdk-imports-shared-code-only: src/sdk/uses-node.ts -> crypto',
      'sdk-imports-shared-code-only: src/sdk/uses-npm.ts -> npm:zod',
      'services-below-routes: src/services/uses-route.ts -> src/workers/app.ts',
      'workers-reach-objects-through-stubs: src/services/internals.ts -> src/durable-objects/broker.ts',
      'workers-reach-objects-through-stubs: src/workers/internals.ts -> src/durable-objects/broker.ts',
    ]);
    // The form `npm run lint` uses exits non-zero: one per error.
    const lint = depcruise();
    expect(lint.stdout).toContain('10 dependency violations');
    expect(lint.status).toBe(10);
  });
});
