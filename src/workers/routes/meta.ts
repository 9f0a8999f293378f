import { declareRoute, router, type Router } from '../api/declare';
import { json, z } from '../api/fields';
import { dashboardPage, wantsHtml } from '../dashboard/routes';
import { openApiDocument } from '../openapi';

/** The index at `/` (the dashboard for browsers) and the OpenAPI document. */
export const index = router();

const tags = ['meta'];

const Index = z
  .object({
    name: z.literal('flaremq'),
    api: z.literal('/api/v1'),
    openapi: z.literal('/api/v1/openapi.json'),
    dashboard: z.literal('/'),
    metrics: z.literal('/metrics'),
  })
  .openapi('Index');

declareRoute(
  index,
  {
    method: 'get',
    path: '/',
    operationId: 'getIndex',
    tags,
    summary: 'Where the API and this document are',
    description:
      'A request that prefers `text/html` (a browser) gets the dashboard instead (docs/operations.md); any other gets this JSON index.',
    need: 'public',
    responses: {
      200: {
        description: 'The index.',
        content: {
          'application/json': { schema: Index },
          'text/html': { schema: z.string().openapi({ description: 'The dashboard.' }) },
        },
      },
    },
    errors: [],
  },
  async (c) =>
    wantsHtml(c)
      ? await dashboardPage()
      : c.json({
          name: 'flaremq',
          api: '/api/v1',
          openapi: '/api/v1/openapi.json',
          dashboard: '/',
          metrics: '/metrics',
        }),
);

/** GET /openapi.json: the document of `app`, the app with every router mounted. */
export function openApi(app: Router): Router {
  const r = router();
  declareRoute(
    r,
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApi',
      tags,
      summary: 'This document',
      description: 'Served to anyone, signed or not, whatever the security config.',
      need: 'public',
      responses: { 200: json(z.record(z.string(), z.unknown()), 'The OpenAPI 3.1 document.') },
      errors: [],
    },
    (c) => c.json(openApiDocument(app)),
  );
  return r;
}
