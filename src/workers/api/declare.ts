/**
 * One declaration per route: its path, its request schemas (which validate
 * and document it), its answers, the error codes it may give, what it needs
 * of the caller (its ACL gate) and the latency it counts. The OpenAPI document
 * at /api/v1/openapi.json is generated from these declarations
 * (../openapi.ts); nothing about a route is written down anywhere else.
 *
 * Routes are registered on an OpenAPIHono router (@hono/zod-openapi) for its
 * registry and document generator; validation is flaremq's own
 * (./validation.ts) rather than the library's validators, because a body is
 * read once and shared with the signature check, and every failure answers a
 * flaremq error code.
 */
import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { FlareError, type ErrorCode } from '../../core/errors';
import type { Env } from '../../env';
import { pullLatency, sendLatency } from '../../services/metrics-registry';
import { isUpgrade } from '../security/origins';
import { gate, type NeedOf } from '../security/rest-auth';
import type { Need } from '../security/requirements';
import { errorResponses } from './fields';
import { parseInput, type Input, type RequestSchemas } from './validation';

export type AppEnv = { Bindings: Env };
export type AppContext = Context<AppEnv>;

/** A router whose routes are declared with {@link declareRoute}; mount it with `.route()` to merge its declarations. */
export const router = () => new OpenAPIHono<AppEnv>();
export type Router = OpenAPIHono<AppEnv>;

/** Latencies the Worker keeps as histograms (docs/operations.md). */
const METRICS = { send: sendLatency, pull: pullLatency } as const;

export interface RouteDeclaration<R extends RequestSchemas> {
  method: 'get' | 'put' | 'post' | 'delete';
  /** The path under the router, as an OpenAPI template: `/topics/{topic}`. */
  path: string;
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  /** What the caller needs (security/requirements.ts): `public`, `authenticated`, or a requirement of the request. */
  need: Need | NeedOf;
  /** Counts the route's latency in this histogram when it answers 200. */
  metric?: keyof typeof METRICS;
  request?: R;
  /** The answers other than errors, by status. */
  responses: RouteConfig['responses'];
  /** The error codes the route may answer (CONFIG_INVALID, SERVER_MISCONFIGURED and INTERNAL_ERROR always). */
  errors: readonly ErrorCode[];
  /** A WebSocket stream: a request without `Upgrade: websocket` is UPGRADE_REQUIRED, before its input is read. */
  websocket?: boolean;
  /** Left out of the OpenAPI document (routes that are not part of the JSON API). */
  hidden?: boolean;
}

const timed =
  (histogram: (typeof METRICS)[keyof typeof METRICS]): MiddlewareHandler =>
  async (c, next) => {
    const started = performance.now();
    await next();
    if (c.res.status === 200) histogram.observe((performance.now() - started) / 1000);
  };

const upgradeRequired: MiddlewareHandler = async (c, next) => {
  if (!isUpgrade(c.req.raw))
    throw new FlareError(
      'UPGRADE_REQUIRED',
      'this route is a WebSocket stream: send the GET with Upgrade: websocket (docs/streaming.md)',
    );
  await next();
};

/** Declares a route on `on`: documents it, gates it, validates its input and hands the parsed input to `handler`. */
export function declareRoute<R extends RequestSchemas = RequestSchemas>(
  on: Router,
  route: RouteDeclaration<R>,
  handler: (c: AppContext, input: Input<R>) => Response | Promise<Response>,
): void {
  const request = (route.request ?? {}) as R;
  if (!route.hidden) {
    const body = request.body;
    on.openAPIRegistry.registerPath({
      method: route.method,
      path: route.path,
      operationId: route.operationId,
      tags: route.tags,
      summary: route.summary,
      description: route.description,
      request: {
        params: request.params as RouteConfig['request'] extends infer Q
          ? Q extends { params?: infer P }
            ? P
            : never
          : never,
        query: request.query as RouteConfig['request'] extends infer Q
          ? Q extends { query?: infer P }
            ? P
            : never
          : never,
        body: body && {
          required: body.emptyAs === undefined,
          description: body.description,
          content: { 'application/json': { schema: body.schema } },
        },
      },
      responses: { ...route.responses, ...errorResponses(route.errors) },
      // A public route needs no signature.
      ...(route.need === 'public' ? { security: [] } : {}),
    });
  }
  const middleware: MiddlewareHandler<AppEnv>[] = [gate(route.need)];
  if (route.websocket) middleware.push(upgradeRequired);
  if (route.metric) middleware.push(timed(METRICS[route.metric]));
  on.on([route.method.toUpperCase()], [route.path.replace(/\{([^}]+)\}/g, ':$1')], ...middleware, async (c) =>
    handler(c, await parseInput(c, request)),
  );
}
