import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors';

describe('docs/api.md', () => {
  it('lists every error code exactly as src/core/errors.ts defines it', () => {
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const rows = new Map<string, string>();
    for (const match of doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (yes|no) \| (.+) \|$/gm)) {
      rows.set(match[1], `${match[2]} ${match[3]} ${match[4].replaceAll('\\|', '|')}`);
    }
    const expected = new Map(
      Object.entries(ERROR_CODES).map(([code, e]) => [
        code,
        `${e.status} ${e.retriable ? 'yes' : 'no'} ${e.description}`,
      ]),
    );
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
  });
});
