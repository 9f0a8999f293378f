/**
 * What every command shares: the global options (endpoint, credentials,
 * --json), the client they make, and how a command's result is printed.
 */
import type { Command } from 'commander';
import { signingHeaders, type Credentials } from '../core/request-signing';
import { createClient, type Client } from '../sdk/index';

/** The local server `npm start` runs. */
export const DEFAULT_ENDPOINT = 'http://localhost:8787';

export interface GlobalOptions {
  endpoint: string;
  accessKey?: string;
  secretKey?: string;
  header: string[];
  json: boolean;
  timeout: number;
}

/** The global options as seen from any command (flags, then FLAREMQ_* variables, then defaults). */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Extra headers from `--header 'Name: value'` (e.g. a Cloudflare Access token in front of an open deployment). */
export function credentialHeaders(options: GlobalOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of options.header) {
    const i = h.indexOf(':');
    if (i <= 0) throw new CliError(`--header wants 'Name: value', not '${h}'`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return headers;
}

/** The account keys, when both are given; one without the other is a mistake. */
export function credentials(options: GlobalOptions): Credentials | undefined {
  if (!options.accessKey && !options.secretKey) return undefined;
  if (!options.accessKey || !options.secretKey)
    throw new CliError('give both --access-key and --secret-key (or FLAREMQ_ACCESS_KEY and FLAREMQ_SECRET_KEY)');
  return { accessKey: options.accessKey, secretKey: options.secretKey };
}

/** fetch, signing each request with the account's keys when there are some (docs/security.md). */
export function signedFetch(options: GlobalOptions): (input: string, init?: RequestInit) => Promise<Response> {
  const keys = credentials(options);
  if (!keys) return (input, init) => fetch(input, init);
  return async (input, init = {}) => {
    const body = typeof init.body === 'string' ? init.body : undefined;
    const signed = await signingHeaders(keys, { method: init.method ?? 'GET', url: input, body });
    return fetch(input, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...signed } });
  };
}

/**
 * The warning printed when the secret key comes from `--secret-key`: a flag is
 * visible to every local user in `ps` and stays in the shell's history, so the
 * environment variable is the way to pass it (docs/operations.md).
 */
export const SECRET_KEY_FLAG_WARNING =
  'flaremq: warning: --secret-key shows in `ps` and in your shell history; set FLAREMQ_SECRET_KEY in the environment instead (docs/operations.md)\n';

/** Whether the secret key was given as a flag (not by FLAREMQ_SECRET_KEY). */
export function secretKeyFromFlag(cmd: Command): boolean {
  return cmd.getOptionValueSourceWithGlobals('secretKey') === 'cli';
}

let warned = false;

/** A client for the endpoint the options name. */
export function client(cmd: Command): Client {
  const options = globals(cmd);
  if (secretKeyFromFlag(cmd) && !warned) {
    warned = true;
    process.stderr.write(SECRET_KEY_FLAG_WARNING);
  }
  return createClient({
    endpoint: options.endpoint,
    headers: credentialHeaders(options),
    requestTimeoutMs: options.timeout,
    fetch: signedFetch(options),
  });
}

/** A failure the user caused or can act on: printed as one line, exit status 1. */
export class CliError extends Error {}

/** Prints `value` as JSON with --json, else runs `human` (which prints tables or lines). */
export function output(cmd: Command, value: unknown, human: () => void): void {
  if (globals(cmd).json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else human();
}

/** Parses an integer option or argument, or fails with a one-line error. */
export function int(name: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new CliError(`${name} must be an integer ≥ ${min}, not '${value}'`);
    return n;
  };
}

/** A time: ms since the epoch, an ISO 8601 date, or a duration ago such as 10m, 2h, 1d. */
export function parseTime(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ago = /^(\d+)(s|m|h|d)$/.exec(value);
  if (ago)
    return Date.now() - Number(ago[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[ago[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new CliError(`'${value}' is not a time (ms since the epoch, an ISO date, or 10m / 2h / 1d ago)`);
  return t;
}

/** A timestamp for people: ISO 8601 in UTC, '-' for none. */
export function time(ms: number | undefined): string {
  return ms ? new Date(ms).toISOString() : '-';
}
