/**
 * Issue 12, suspicion: "an 8 MiB JSON array of tiny arrays parsed twice may
 * approach the isolate's memory limit; nesting depth is not capped". Confirmed
 * as a risk (8 MiB of `[[],…]` is 2.8 million arrays, ~10× its bytes once
 * parsed), so arrays and objects are counted and their depth checked before
 * JSON.parse (src/workers/request.ts, docs/api.md "Conventions").
 */
import { describe, expect, it } from 'vitest';
import { FlareError } from '../../src/core/errors';
import { MAX_JSON_CONTAINERS, MAX_JSON_DEPTH } from '../../src/core/limits';
import { checkJsonShape } from '../../src/workers/request';
import { api, call, createTopic, expectError, maxOffsets, uniqueName } from './helpers';

const encode = (text: string) => new TextEncoder().encode(text);

function shapeCode(text: string): string | undefined {
  try {
    checkJsonShape(encode(text));
    return undefined;
  } catch (err) {
    return err instanceof FlareError ? err.code : String(err);
  }
}

describe('JSON bodies that explode in memory or nest without end', { timeout: 30_000 }, () => {
  it('8 MiB of tiny arrays is refused before parsing with 400 JSON_TOO_COMPLEX, and stores nothing', async () => {
    const topic = uniqueName('TinyArrays');
    await createTopic(topic, { queueNums: 1 });
    const before = await maxOffsets(topic);
    const n = Math.floor((8 * 1024 * 1024 - 64) / 3);
    const body = `{"body":"x","messages":[${'[],'.repeat(n - 1)}[]]}`;
    expect(body.length).toBeLessThanOrEqual(8 * 1024 * 1024);
    const res = await api(`/topics/${topic}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const answer = { status: res.status, body: await res.json() };
    expectError(answer, 400, 'JSON_TOO_COMPLEX');
    expect(await maxOffsets(topic)).toEqual(before);
  }, 60_000);

  it('a body nested 100000 deep is refused with 400 JSON_TOO_COMPLEX', async () => {
    const body = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expectError(await call('PUT', `/topics/${uniqueName('Deep')}`, body), 400, 'JSON_TOO_COMPLEX');
  });

  it(`counts only structure: ${MAX_JSON_DEPTH} levels pass, one more does not; brackets and escaped quotes inside strings are text`, () => {
    expect(shapeCode(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeUndefined();
    expect(shapeCode(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`)).toBe('JSON_TOO_COMPLEX');
    expect(shapeCode(JSON.stringify({ body: '['.repeat(10_000), tags: 'a\\"{{{{' }))).toBeUndefined();
    expect(shapeCode(JSON.stringify({ body: 'é"[[[' + '{'.repeat(100) }))).toBeUndefined();
    expect(shapeCode(`[${'{},'.repeat(MAX_JSON_CONTAINERS - 2)}{}]`)).toBeUndefined();
    expect(shapeCode(`[${'{},'.repeat(MAX_JSON_CONTAINERS - 1)}{}]`)).toBe('JSON_TOO_COMPLEX');
  });

  it('a full batch (1000 messages with properties) is well under the caps and is stored', async () => {
    const topic = uniqueName('FullBatch');
    await createTopic(topic, { queueNums: 1 });
    const messages = Array.from({ length: 1000 }, (_, i) => ({ body: `m${i}`, properties: { a: '1', b: '2' } }));
    const res = await call('POST', `/topics/${topic}/messages`, { messages });
    expect(res.status).toBe(200);
  });
});
