#!/usr/bin/env node
/**
 * Writes src/sdk/wire.ts, the SDK's request and answer types, from the OpenAPI
 * document the Worker generates from its route declarations (src/workers/api/),
 * so that the SDK's wire types cannot drift from the server's schemas.
 * `--check` writes nothing and fails when the file is stale (CI: .ci/run).
 *
 * The Worker's app is bundled for Node with esbuild (the cloudflare:workers
 * module replaced by a stub: the document needs no binding) and asked for
 * the document it serves at /api/v1/openapi.json; openapi-typescript turns the document into types.
 */
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const OUT = 'src/sdk/wire.ts';
const HEADER = `/**
 * The REST API's request and answer types, generated from the OpenAPI document
 * (the route declarations in src/workers/routes/) by scripts/wire-types.mjs.
 * Do not edit: run \`npm run wire-types\`. CI fails when this file is stale.
 */
`;

const dir = mkdtempSync(join(tmpdir(), 'flaremq-wire-'));
try {
  const outfile = join(dir, 'app.mjs');
  await build({
    stdin: {
      contents: "export { app } from './src/workers/app'; export { openApiDocument } from './src/workers/openapi';",
      resolveDir: '.',
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    logLevel: 'warning',
    loader: { '.html': 'text' },
    plugins: [
      {
        name: 'cloudflare-workers-stub',
        setup(b) {
          b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: 'cloudflare:workers', namespace: 'stub' }));
          b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
            contents:
              'export const env = {}; export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }',
            loader: 'js',
          }));
        },
      },
    ],
  });
  const { app, openApiDocument } = await import(pathToFileURL(outfile).href);
  const document = openApiDocument(app);
  // The named schemas are what the SDK uses: the paths (every route's parameters and error lists) are left out.
  // defaultNonNullable false: a request field with a default stays optional, as a client may leave it out.
  const types =
    HEADER +
    astToString(
      await openapiTS({ ...document, paths: {} }, { exportType: true, alphabetize: true, defaultNonNullable: false }),
    );
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUT, 'utf8');
    } catch {
      // no file yet: stale
    }
    if (current !== types) {
      console.error(`${OUT} is stale: the route declarations changed; run \`npm run wire-types\` and commit it`);
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, types);
    console.log(`wrote ${OUT}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
