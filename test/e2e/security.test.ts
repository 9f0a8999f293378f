/**
 * Security end to end: `wrangler dev` run as a deployment without accounts
 * (FLAREMQ_MODE=production overrides the harness's development mode) serves
 * reads, refuses writes, and says so at start; then with an account, the
 * signature of docs/security.md made by Node's own crypto (not flaremq's code)
 * is accepted.
 */
import { createHash, createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, startServer, type DevServer } from './server';

const servers: DevServer[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(vars: Record<string, string>): Promise<DevServer> {
  const dir = makeTempDir('flaremq-e2e-security-');
  dirs.push(dir);
  const server = await startServer({ persistTo: join(dir, 'state'), vars });
  servers.push(server);
  return server;
}

/** The docs/security.md signature, by hand. */
function sign(accessKey: string, secretKey: string, method: string, url: string, body = ''): Record<string, string> {
  const { host, pathname, search } = new URL(url);
  const timestamp = String(Date.now());
  const text = ['FLAREMQ-HMAC-SHA256', method, host, pathname, search.replace(/^\?/, ''), timestamp, createHash('sha256').update(body).digest('hex')].join('\n');
  return { 'x-flaremq-timestamp': timestamp, authorization: `FLAREMQ-HMAC-SHA256 ${accessKey}:${createHmac('sha256', secretKey).update(text).digest('hex')}` };
}

describe('security end to end', () => {
  it('a deployment without accounts serves reads, refuses writes, and says so at start', async () => {
    const server = await start({ FLAREMQ_MODE: 'production' });
    expect((await fetch(`${server.url}/api/v1/topics`)).status).toBe(200);
    const refused = await fetch(`${server.url}/api/v1/topics/E2eClosed/messages`, { method: 'POST', body: '{"body":"x"}' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ACCOUNTS_NOT_CONFIGURED');
    expect(server.output()).toContain('NO ACCOUNTS CONFIGURED');
  });

  it('with accounts, a request signed by hand as docs/security.md says is accepted; unsigned is 401', async () => {
    const server = await start({ FLAREMQ_ACCOUNTS: JSON.stringify([{ accessKey: 'ak-e2e', secretKey: 'sk-e2e', admin: true }]) });
    const url = `${server.url}/api/v1/topics/E2eSigned/messages`;
    const body = '{"body":"Hello flaremq","keys":"e2e"}';
    const sent = await fetch(url, { method: 'POST', headers: sign('ak-e2e', 'sk-e2e', 'POST', url, body), body });
    expect(sent.status).toBe(200);
    const query = `${server.url}/api/v1/topics/E2eSigned/messages?key=e2e`;
    const found = await fetch(query, { headers: sign('ak-e2e', 'sk-e2e', 'GET', query) });
    expect(((await found.json()) as { messages: { body: string }[] }).messages[0].body).toBe('Hello flaremq');
    expect((await fetch(query)).status).toBe(401);
  });
});
