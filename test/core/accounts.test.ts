import { describe, expect, it } from 'vitest';
import { accounts, parseAccounts } from '../../src/core/accounts';
import { FlareError } from '../../src/core/errors';

function detailOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlareError) return `${err.code} ${err.detail}`;
    throw err;
  }
  return 'no error';
}

describe('parseAccounts', () => {
  it('reads no accounts from nothing, an empty string or []', () => {
    expect(parseAccounts(undefined).size).toBe(0);
    expect(parseAccounts('').size).toBe(0);
    expect(parseAccounts('  ').size).toBe(0);
    expect(parseAccounts('[]').size).toBe(0);
  });

  it('reads accounts by access key, from JSON text or a value', () => {
    const book = parseAccounts(
      '[{"accessKey": "ak-1", "secretKey": "s1"}, {"accessKey": "AK.2_x", "secretKey": "s:2"}]',
    );
    expect([...book.keys()]).toEqual(['ak-1', 'AK.2_x']);
    expect(book.get('AK.2_x')).toMatchObject({
      accessKey: 'AK.2_x',
      secretKey: 's:2',
      admin: false,
      defaultTopicPerm: 0,
      defaultGroupPerm: 0,
    });
    expect(parseAccounts([{ accessKey: 'a', secretKey: 'b' }]).get('a')?.secretKey).toBe('b');
  });

  it.each([
    ['not JSON', '{oops', 'is not JSON'],
    ['an object', '{"accessKey": "a", "secretKey": "b"}', 'must be a JSON array'],
    ['an entry that is not an object', '["a"]', '[0] must be an object'],
    ['a missing secret', '[{"accessKey": "a"}]', '[0].secretKey'],
    ['an empty secret', '[{"accessKey": "a", "secretKey": ""}]', '[0].secretKey'],
    ['a bad access key', '[{"accessKey": "a b", "secretKey": "x"}]', '[0].accessKey'],
    [
      'a key listed twice',
      '[{"accessKey": "a", "secretKey": "x"}, {"accessKey": "a", "secretKey": "y"}]',
      "'a' is listed twice",
    ],
    [
      'a field not implemented yet',
      '[{"accessKey": "a", "secretKey": "x", "permissions": []}]',
      "unknown field 'permissions'",
    ],
  ])('refuses %s with CONFIG_INVALID naming the var', (_what, raw, detail) => {
    const got = detailOf(() => parseAccounts(raw));
    expect(got).toContain('CONFIG_INVALID FLAREMQ_ACCOUNTS');
    expect(got).toContain(detail);
  });

  it('never quotes a secret in its errors', () => {
    expect(detailOf(() => parseAccounts('[{"accessKey": "a b", "secretKey": "TOPSECRET"}]'))).not.toContain(
      'TOPSECRET',
    );
    expect(detailOf(() => parseAccounts(`[{"accessKey": "a", "secretKey": "${'S'.repeat(300)}"}]`))).not.toContain(
      'SSSS',
    );
  });

  it('parses once per env object', () => {
    const vars = { FLAREMQ_ACCOUNTS: '[{"accessKey": "a", "secretKey": "b"}]' };
    expect(accounts(vars)).toBe(accounts(vars));
  });
});
