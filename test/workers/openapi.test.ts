import { Validator } from '@seriousme/openapi-schema-validator';
import oas31 from '@seriousme/openapi-schema-validator/schemas/v3.1/schema.json';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, FlareError } from '../../src/core/errors';
import { validateClientId } from '../../src/core/group-config';
import { app } from '../../src/workers/app';
import { call } from './helpers';

type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Hono's `/groups/:group` as an OpenAPI path template, `/groups/{group}`. */
const toTemplate = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
/** Paths that differ only in parameter names are the same path in OpenAPI. */
const shape = (template: string) => template.replace(/\{[^}]+\}/g, '{}');

async function fetchDocument(): Promise<Json> {
  const res = await call<Json>('GET', '/openapi.json');
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * The routes of the JSON API the document describes: `/` and everything under
 * /api/v1. Other surfaces mounted on the app (the RocketMQ HTTP protocol, XML,
 * docs/http-protocol.md) are not part of it. Middleware (`use`: method ALL on
 * a path ending in `*`) is not a route; an `all()` route is kept as method "all".
 */
function appRoutes(): { method: string; template: string }[] {
  const routes = app.routes
    .filter((r) => r.path === '/' || r.path === '/api/v1' || r.path.startsWith('/api/v1/'))
    .filter((r) => !(r.method === 'ALL' && r.path.endsWith('*')))
    .map((r) => ({ method: r.method.toLowerCase(), template: toTemplate(r.path) }));
  return [...new Map(routes.map((r) => [`${r.method} ${r.template}`, r])).values()];
}

function operations(doc: Json): { path: string; method: string; op: Json; pathItem: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method], pathItem: item })),
  );
}

function resolveParameter(doc: Json, p: Json): Json {
  if (typeof p.$ref !== 'string') return p;
  const name = p.$ref.replace('#/components/parameters/', '');
  return doc.components.parameters[name];
}

/**
 * The validator with the OpenAPI 3.1 schema it ships: workerd has no file
 * system, and the library reads that schema with readFileSync, so it is
 * imported here and compiled with the library's Ajv options (formats are not
 * checked); the rest of validate(), the version and the references, is the
 * library's.
 */
class OpenApi31Validator extends Validator {
  getAjvValidator() {
    return new Ajv2020({ strict: false, validateFormats: false }).compile(oas31);
  }
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(await new OpenApi31Validator().validate(structuredClone(doc))).toEqual({ valid: true });
    // The validator does refuse what is not OpenAPI.
    const broken = { ...doc, paths: { ...doc.paths, '/api/v1/topics': { get: { responses: 'none' } } } };
    expect((await new OpenApi31Validator().validate(broken)).valid).toBe(false);
  });

  it('has a path and operation for every route the app registers, and no operation without a route', async () => {
    const doc = await fetchDocument();
    const docPaths = Object.keys(doc.paths);
    const byShape = new Map(docPaths.map((p) => [shape(p), p]));
    const missing: string[] = [];
    const renamed: string[] = [];
    for (const { method, template } of appRoutes()) {
      const path = byShape.get(shape(template));
      const documented =
        path !== undefined &&
        (method === 'all' ? METHODS.some((m) => doc.paths[path][m]) : doc.paths[path][method] !== undefined);
      if (!path || !documented) missing.push(`${method.toUpperCase()} ${template}`);
      else if (path !== template) renamed.push(`${method.toUpperCase()} ${template} -> ${path}`);
    }
    expect(missing).toEqual([]);
    // Every route's parameter names are the document's.
    expect(renamed).toEqual([]);

    const routeKeys = new Set(appRoutes().map((r) => `${r.method} ${shape(r.template)}`));
    const extra = operations(doc)
      .map(({ method, path }) => [method, shape(path)])
      .filter(([method, path]) => !routeKeys.has(`${method} ${path}`) && !routeKeys.has(`all ${path}`))
      .map(([method, path]) => `${method} ${path}`);
    expect(extra).toEqual([]);
  });

  it('lists only error codes of ERROR_CODES, each under its own HTTP status', async () => {
    const doc = await fetchDocument();
    const problems: string[] = [];
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (Number(status) < 400) continue;
        const schema = response.content?.['application/json']?.schema;
        const codes: unknown = schema?.allOf?.[1]?.properties?.error?.properties?.code?.enum;
        if (!Array.isArray(codes) || codes.length === 0) {
          problems.push(`${where} ${status}: no error codes`);
          continue;
        }
        for (const code of codes) {
          const known = (ERROR_CODES as Record<string, { status: number }>)[code];
          if (!known) problems.push(`${where} ${status}: ${code} is not in ERROR_CODES`);
          else if (String(known.status) !== status)
            problems.push(`${where} ${status}: ${code} has status ${known.status}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has unique operationIds, declared path parameters and resolvable references', async () => {
    const doc = await fetchDocument();
    const ids = operations(doc).map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);

    for (const { path, method, op, pathItem } of operations(doc)) {
      const declared = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])]
        .map((p: Json) => resolveParameter(doc, p))
        .filter((p) => p?.in === 'path');
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual([...inTemplate].sort());
    }

    const refs = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.add(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    const unresolved = [...refs].filter((r) => {
      const [, , kind, name] = r.split('/');
      return !doc.components[kind]?.[name];
    });
    expect(unresolved).toEqual([]);
  });

  it('documents the send body from the schema that checks it: one message (delayed or transactional) or a batch', async () => {
    const doc = await fetchDocument();
    const schemas = doc.components.schemas;
    const body = doc.paths['/api/v1/topics/{topic}/messages'].post.requestBody.content['application/json'].schema;
    const forms = (schemas[body.$ref.split('/').pop()].anyOf as Json[]).map((f) => f.$ref.split('/').pop());
    expect(forms).toEqual(['SendMessageRequest', 'SendBatchRequest']);
    expect(Object.keys(schemas.SendMessageRequest.properties)).toEqual(
      expect.arrayContaining([
        'body',
        'tags',
        'shardingKey',
        'queue',
        'delayLevel',
        'delayMs',
        'deliverAt',
        'transaction',
      ]),
    );
    expect(schemas.SendBatchRequest.required).toEqual(['messages']);
    expect(schemas.MessageInput.required).toEqual(['body']);
  });

  it('describes clientId as validateClientId checks it', async () => {
    const doc = await fetchDocument();
    const pattern = new RegExp(doc.components.schemas.ClientId.pattern);
    const samples = [
      'c1',
      'host@10.0.0.1:4242',
      'a_b-c.d',
      'x'.repeat(128),
      'x'.repeat(129),
      '',
      'has space',
      'a/b',
      'é',
      'a#b',
    ];
    for (const s of samples) {
      let valid = true;
      try {
        validateClientId(s);
      } catch (err) {
        expect(err).toBeInstanceOf(FlareError);
        valid = false;
      }
      expect(pattern.test(s), s).toBe(valid);
    }
  });
});
