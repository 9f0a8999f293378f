/**
 * Issue 12, suspicion: "allowedIps trusts CF-Connecting-IP, which is right on
 * Cloudflare's edge but forgeable through wrangler dev and service bindings".
 * Confirmed and kept, documented (docs/security.md "allowedIps and
 * CF-Connecting-IP"): the header is the only source address a Worker has; on
 * the edge Cloudflare sets it and a client cannot, elsewhere it is taken as
 * sent. Decision for a service-binding caller: it is judged on the
 * CF-Connecting-IP it forwards; one that sends none (a Worker calling on its
 * own behalf) is refused for an account with allowedIps, and served for an
 * account without them. The signature is checked either way.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signingHeaders } from '../../src/core/request-signing';
import { app } from '../../src/workers/app';

const ACCOUNTS = [
  { accessKey: 'office', secretKey: 'office-secret', admin: true, allowedIps: ['10.0.0.0/8'] },
  { accessKey: 'anywhere', secretKey: 'anywhere-secret', admin: true },
];
const secured = { ...env, FLAREMQ_ACCOUNTS: JSON.stringify(ACCOUNTS) };

/** What a Worker bound to flaremq sends: `env.FLAREMQ.fetch(request)`, headers as the calling Worker chose them. */
async function viaBinding(
  accessKey: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; code?: string }> {
  const url = 'http://flaremq.test/api/v1/topics';
  const secretKey = ACCOUNTS.find((a) => a.accessKey === accessKey)!.secretKey;
  const signed = await signingHeaders({ accessKey, secretKey }, { method: 'GET', url });
  const res = await app.fetch(new Request(url, { headers: { ...headers, ...signed } }), secured);
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code };
}

describe('allowedIps and callers that do not come through the edge', () => {
  it('a service-binding caller that forwards no CF-Connecting-IP is refused for an account with allowedIps, served for one without', async () => {
    expect(await viaBinding('office')).toEqual({ status: 403, code: 'SOURCE_IP_DENIED' });
    expect((await viaBinding('anywhere')).status).toBe(200);
  });

  it('the header is taken as sent outside the edge: a forwarded (or forged, under wrangler dev) address inside the range is served', async () => {
    expect((await viaBinding('office', { 'cf-connecting-ip': '10.1.2.3' })).status).toBe(200);
    expect(await viaBinding('office', { 'cf-connecting-ip': '203.0.113.9' })).toEqual({
      status: 403,
      code: 'SOURCE_IP_DENIED',
    });
  });
});
