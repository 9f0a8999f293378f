/** Signed REST calls against an env with accounts of the test's own (security tests). */
import { env } from 'cloudflare:workers';
import { signingHeaders } from '../../src/core/request-signing';
import { app } from '../../src/workers/app';

export interface TestAccount {
  accessKey: string;
  secretKey: string;
  [field: string]: unknown;
}

export interface Answer {
  status: number;
  body: any;
}

/** An env with these accounts (accounts mode). */
export function securedEnv(accounts: TestAccount[]): typeof env {
  return { ...env, FLAREMQ_ACCOUNTS: JSON.stringify(accounts) };
}

/** A REST call signed by `as` (one of `accounts`), against an env with those accounts. */
export async function signedCall(
  accounts: TestAccount[],
  as: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const url = `http://flaremq.test/api/v1${path}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const account = accounts.find((a) => a.accessKey === as);
  if (!account) throw new Error(`no account ${as}`);
  const headers: Record<string, string> = text ? { 'content-type': 'application/json' } : {};
  Object.assign(
    headers,
    await signingHeaders({ accessKey: account.accessKey, secretKey: account.secretKey }, { method, url, body: text }),
  );
  const res = await app.fetch(new Request(url, { method, headers, body: text }), securedEnv(accounts));
  const answer = await res.text();
  return { status: res.status, body: answer ? JSON.parse(answer) : undefined };
}
