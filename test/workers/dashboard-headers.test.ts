/**
 * Issue 12, suspicion: "the dashboard keeps the secret key in sessionStorage and
 * sends no CSP or frame-ancestors". Confirmed (no such headers): the page is now
 * served with a Content-Security-Policy that runs only its own script (by hash)
 * and scripts from its origin, may not be framed (frame-ancestors 'none',
 * X-Frame-Options: DENY), and nosniff; docs/security.md "The dashboard".
 * test/e2e/dashboard.test.ts checks that the page still works in chromium.
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

async function get(path: string, accept = 'text/html'): Promise<Response> {
  return exports.default.fetch(new Request(`http://flaremq.test${path}`, { headers: { accept } }));
}

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest));
}

describe('the dashboard in a browser', { timeout: 30_000 }, () => {
  it('is served with a CSP that allows only its own script, forbids framing, and nosniff', async () => {
    const res = await get('/');
    const page = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    // Every inline script is allowed by its hash, and nothing else inline would run (no on…= attributes).
    const inline = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(inline.length).toBeGreaterThan(0);
    for (const script of inline) expect(csp).toContain(`'sha256-${await sha256Base64(script)}'`);
    expect(page).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
  });

  it('its script and style files say nosniff and may not be framed either', async () => {
    for (const path of ['/dashboard/uplot.js', '/dashboard/uplot.css']) {
      const res = await get(path, '*/*');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      await res.arrayBuffer();
    }
  });
});

describe('content negotiation at /', { timeout: 30_000 }, () => {
  const kind = async (accept: string) => {
    const res = await get('/', accept);
    await res.arrayBuffer();
    return res.headers.get('content-type')?.split(';')[0];
  };

  it("follows the Accept header's q-values, not the order of its entries", async () => {
    expect(await kind('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe('text/html');
    expect(await kind('application/json;q=0.5, text/html')).toBe('text/html');
    expect(await kind('text/html;q=0, application/json')).toBe('application/json');
    expect(await kind('application/json, text/html')).toBe('application/json');
    expect(await kind('*/*')).toBe('application/json');
  });
});
