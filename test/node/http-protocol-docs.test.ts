import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERROR_CODES } from '../../src/workers/http-protocol/errors';

describe('docs/http-protocol.md', () => {
  it('lists every protocol error code with its status, as src/workers/http-protocol/errors.ts defines it', () => {
    const doc = readFileSync(new URL('../../docs/http-protocol.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Errors'), doc.indexOf('\n## Limits'));
    const listed: Record<string, number> = {};
    for (const row of section.matchAll(/^\| ((?:`[A-Za-z]+`(?:, )?)+) \| (\d{3}) \|/gm)) {
      for (const code of row[1].matchAll(/`([A-Za-z]+)`/g)) listed[code[1]] = Number(row[2]);
    }
    expect(listed).toEqual(PROTOCOL_ERROR_CODES);
  });
});
