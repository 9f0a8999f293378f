/**
 * The dashboard: the page at `/` for browsers (content negotiation: API
 * clients asking for JSON still get the index), and its files under
 * /dashboard/. The page calls the REST API like any client.
 */
import { Hono } from 'hono';
import type { Env } from '../../env';
import { page, uplotCss, uplotJs } from './assets';

export const dashboard = new Hono<{ Bindings: Env }>();

const cached = { 'cache-control': 'public, max-age=3600' };

dashboard.get('/dashboard/uplot.js', (c) => c.body(uplotJs, 200, { 'content-type': 'text/javascript; charset=utf-8', ...cached }));
dashboard.get('/dashboard/uplot.css', (c) => c.body(uplotCss, 200, { 'content-type': 'text/css; charset=utf-8', ...cached }));

/** Whether the request prefers HTML (a browser) over JSON (an API client). */
export function wantsHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html >= 0 && (json < 0 || html < json);
}

export const dashboardPage = (): Response => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } });
