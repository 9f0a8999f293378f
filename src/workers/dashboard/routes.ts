/**
 * The dashboard: the page at `/` for browsers (content negotiation: API
 * clients asking for JSON still get the index), and its files under
 * /dashboard/. The page calls the REST API like any client.
 */
import { Hono, type Context } from 'hono';
import { accepts } from 'hono/accepts';
import { encodeBase64 } from 'hono/utils/encode';
import type { Env } from '../../env';
import { page, uplotCss, uplotJs } from './assets';

export const dashboard = new Hono<{ Bindings: Env }>();

/**
 * On every dashboard response: never framed (clickjacking a page that holds a
 * secret key in sessionStorage), never content-sniffed, no Referer sent.
 * Not hono/secure-headers: its CSP callbacks are synchronous, and the page's policy holds script
 * hashes computed on first use (crypto.subtle is async).
 */
const SAFE = { 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
const cached = { 'cache-control': 'public, max-age=3600', ...SAFE };

dashboard.get('/dashboard/uplot.js', (c) =>
  c.body(uplotJs, 200, { 'content-type': 'text/javascript; charset=utf-8', ...cached }),
);
dashboard.get('/dashboard/uplot.css', (c) =>
  c.body(uplotCss, 200, { 'content-type': 'text/css; charset=utf-8', ...cached }),
);

/** Whether the request prefers HTML (a browser) over JSON (an API client): the Accept header by q-value, JSON without one. */
export const wantsHtml = (c: Context): boolean =>
  accepts(c, { header: 'Accept', supports: ['application/json', 'text/html'], default: 'application/json' }) ===
  'text/html';

/** The policy, once computed (a string, not a promise: nothing is shared between requests but values). */
let policy: string | undefined;

/**
 * The page's Content-Security-Policy: scripts from this origin (uPlot) and the
 * page's inline scripts by their SHA-256 (so an injected script or on…=
 * attribute does not run), styles from this origin and inline (the page's and
 * uPlot's element styles), fetches to this origin only, never framed, forms
 * posted nowhere (the page handles them in its script).
 */
async function dashboardPolicy(): Promise<string> {
  if (policy !== undefined) return policy;
  const hashes: string[] = [];
  for (const [, script] of page.matchAll(/<script>([\s\S]*?)<\/script>/g)) {
    hashes.push(`'sha256-${encodeBase64(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(script)))}'`);
  }
  policy = [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return policy;
}

export const dashboardPage = async (): Promise<Response> =>
  new Response(page, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': await dashboardPolicy(),
      ...SAFE,
    },
  });
