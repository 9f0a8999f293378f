/** Runs the `flaremq` CLI (bin/flaremq.mjs) as a user would, under the project's Node 22. */
import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { PROJECT_ROOT } from './server';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = join(PROJECT_ROOT, 'bin', 'flaremq.mjs');
const NODE_BIN = join(PROJECT_ROOT, 'node_modules', '.bin');

/** `flaremq --endpoint <endpoint> ...args`; never throws on a non-zero exit. */
export function cli(
  endpoint: string,
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'node',
      [BIN, '--endpoint', endpoint, ...args],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, PATH: `${NODE_BIN}${delimiter}${process.env.PATH}`, ...options.env },
        timeout: 120_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Runs a command with --json, expects exit 0, and parses what it printed. */
export async function cliJson<T = unknown>(endpoint: string, args: string[], env?: Record<string, string>): Promise<T> {
  const r = await cli(endpoint, ['--json', ...args], { env });
  if (r.code !== 0) throw new Error(`flaremq ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
