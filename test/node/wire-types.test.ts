import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe("the SDK's wire types (src/sdk/wire.ts)", () => {
  it('are what scripts/wire-types.mjs generates from the route declarations today', { timeout: 120_000 }, () => {
    const check = spawnSync(process.execPath, ['scripts/wire-types.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(check.stderr).not.toContain('is stale');
    expect(check.status).toBe(0);
  });
});
