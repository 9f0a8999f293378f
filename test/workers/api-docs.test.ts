import Ajv2020, { type ErrorObject } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import apiMd from '../../docs/api.md?raw';
import deploymentMd from '../../docs/deployment.md?raw';
import popMd from '../../docs/pop.md?raw';
import transactionsMd from '../../docs/transactions.md?raw';
import { call } from './helpers';

type Json = Record<string, any>;

/** The guides whose curl examples are checked against the OpenAPI document (their own routes' examples). */
const DOCS: Record<string, string> = {
  'docs/api.md': apiMd,
  'docs/pop.md': popMd,
  'docs/transactions.md': transactionsMd,
  'docs/deployment.md': deploymentMd,
};

interface Example {
  where: string;
  method: string;
  path: string;
  body?: string;
  /** The answer shown after the request: a ```json block, or `# {…}` comment lines. */
  answer?: string;
}

/** Joins `\` continuations, and reads each curl command of a ```sh block with the answer shown after it. */
function examples(doc: string, md: string): Example[] {
  const found: Example[] = [];
  const blocks = [...md.matchAll(/```sh\n([\s\S]*?)```(?:\n```json\n([\s\S]*?)```)?/g)];
  for (const [, sh, json] of blocks) {
    const lines = sh.replace(/\\\n\s*/g, ' ').split('\n');
    const inBlock: Example[] = [];
    lines.forEach((line, i) => {
      const curl = /^curl (.*)$/.exec(line.trim());
      if (!curl) return;
      const args = curl[1];
      const url = /(?:"?\$FLAREMQ|localhost:8787)(\/[^\s"']*)/.exec(args);
      if (!url || !url[1].startsWith('/')) return;
      const body = /-d '([^']*)'/.exec(args)?.[1];
      const method = /-X (\w+)/.exec(args)?.[1] ?? (body !== undefined ? 'POST' : 'GET');
      const comment: string[] = [];
      for (
        let j = i + 1;
        j < lines.length && /^#\s/.test(lines[j]) && (comment.length > 0 || /^#\s*\{/.test(lines[j]));
        j++
      )
        comment.push(lines[j].replace(/^#/, ''));
      inBlock.push({
        where: `${doc}: ${line.trim().slice(0, 100)}`,
        method: method.toLowerCase(),
        path: url[1].split('?')[0],
        body,
        answer: comment.length > 0 ? comment.join('\n') : undefined,
      });
    });
    if (json !== undefined && inBlock.length === 1) inBlock[0].answer = json;
    found.push(...inBlock);
  }
  return found;
}

/** The document's path that `path` is an instance of (the one with the fewest parameters when several are). */
function templateOf(doc: Json, path: string): string | undefined {
  const matches = Object.keys(doc.paths).filter((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
  return matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}

/** A JSON pointer into the document. */
const pointer = (...parts: string[]) =>
  `openapi.json#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/** The document without string patterns and lengths: for examples that elide a value with `…` (`"0400…"`). */
function withoutStringRules(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutStringRules);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(['pattern', 'minLength', 'maxLength'].includes(k) && typeof v !== 'object'))
      .map(([k, v]) => [k, withoutStringRules(v)]),
  );
}

const problemsOf = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);

describe('the examples of the guides', () => {
  it('use operations of the OpenAPI document, with bodies and answers its schemas accept', async () => {
    const doc = (await call<Json>('GET', '/openapi.json')).body;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
    ajv.addSchema(doc, 'openapi.json');
    const tolerant = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
    tolerant.addSchema(withoutStringRules(doc) as Json, 'openapi.json');
    const check = (text: string, ...at: string[]) => {
      const validate = (text.includes('…') ? tolerant : ajv).compile({ $ref: pointer('paths', ...at) });
      return validate(JSON.parse(text)) ? [] : problemsOf(validate.errors);
    };
    const all = Object.entries(DOCS).flatMap(([name, md]) => examples(name, md));
    expect(all.length).toBeGreaterThan(20);

    const problems: string[] = [];
    const unchecked: string[] = [];
    for (const ex of all) {
      const template = templateOf(doc, ex.path);
      const op = template ? doc.paths[template][ex.method] : undefined;
      if (!template || !op) {
        problems.push(`${ex.where}: ${ex.method.toUpperCase()} ${ex.path} is not in the document`);
        continue;
      }
      if (ex.body !== undefined) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema) problems.push(`${ex.where}: a body, but the operation takes none`);
        else {
          const found = check(ex.body, template, ex.method, 'requestBody', 'content', 'application/json', 'schema');
          if (found.length > 0) problems.push(`${ex.where}: the body: ${found.join('; ')}`);
        }
      }
      if (ex.answer !== undefined) {
        let answer: unknown;
        try {
          answer = JSON.parse(ex.answer);
        } catch {
          unchecked.push(`${ex.where}: the answer is elided (not JSON)`);
          continue;
        }
        if (JSON.stringify(answer).includes('"…":')) {
          unchecked.push(`${ex.where}: the answer leaves out fields ("…")`);
          continue;
        }
        if (!op.responses?.['200']?.content?.['application/json']) {
          problems.push(`${ex.where}: an answer, but the operation has no JSON 200`);
          continue;
        }
        const found = check(
          ex.answer,
          template,
          ex.method,
          'responses',
          '200',
          'content',
          'application/json',
          'schema',
        );
        if (found.length > 0) problems.push(`${ex.where}: the answer: ${found.join('; ')}`);
      }
    }
    console.log(`examples checked: ${all.length}; answers not checked:\n${unchecked.join('\n')}`);
    expect(problems).toEqual([]);
  }, 60_000);
});
