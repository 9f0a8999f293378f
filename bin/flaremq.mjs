#!/usr/bin/env node
// The flaremq admin CLI (src/cli). Bundles the TypeScript with esbuild into
// node_modules/.cache/flaremq/cli.mjs when that is missing or older than
// src/, then runs it: no build step beyond `npm install`. Needs Node >= 22.
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'node_modules', '.cache', 'flaremq', 'cli.mjs');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const src = ['cli', 'sdk', 'core'].map((d) => join(root, 'src', d));
if (!existsSync(out) || statSync(out).mtimeMs < Math.max(...src.map(newest))) {
  // Built to a file of its own, then renamed: CLIs starting together never import a half-written bundle.
  const { build } = await import('esbuild');
  const tmp = `${out}.${process.pid}.tmp.mjs`;
  await build({
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    outfile: tmp,
    logLevel: 'warning',
  });
  renameSync(tmp, out);
}
await import(pathToFileURL(out).href);
