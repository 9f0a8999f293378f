/**
 * flaremq's own decoding of pushed frames (src/core/stream-frames.ts and batch-codec.ts), for the stream
 * measurements: bundled once per run with esbuild, because Node's type stripping cannot load src/core as it
 * is (extensionless imports, parameter properties).
 */
import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../test/e2e/server.ts';
import { removeAtExit } from './cleanup.ts';

/** What the benchmark uses of src/core (their types, written here for the same reason). */
export interface Core {
  decodeMessagesFrame(bytes: Uint8Array): { header: Record<string, unknown>; batch: Uint8Array };
  BatchView: new (bytes: Uint8Array) => { readonly count: number; message(i: number): { body: Uint8Array } };
}

export async function loadCore(): Promise<Core> {
  const dir = mkdtempSync(join(tmpdir(), 'flaremq-bench-core-'));
  removeAtExit(dir);
  const outfile = join(dir, 'core.mjs');
  buildSync({
    stdin: {
      contents:
        "export { decodeMessagesFrame } from './src/core/stream-frames'; export { BatchView } from './src/core/batch-codec';",
      resolveDir: PROJECT_ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile,
    logLevel: 'warning',
  });
  return (await import(pathToFileURL(outfile).href)) as Core;
}
