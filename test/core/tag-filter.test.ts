import { describe, expect, it } from 'vitest';
import { parseTagExpression, tagMatches } from '../../src/core/tag-filter';

describe('parseTagExpression', () => {
  it('reads * and an empty expression as every message', () => {
    expect(parseTagExpression('*')).toBeNull();
    expect(parseTagExpression('')).toBeNull();
    expect(parseTagExpression(undefined)).toBeNull();
    expect(parseTagExpression('  *  ')).toBeNull();
  });

  it('splits tags on || and trims them', () => {
    expect(parseTagExpression('TagA || TagB||TagC')).toEqual(['TagA', 'TagB', 'TagC']);
    expect(parseTagExpression('TagA')).toEqual(['TagA']);
    expect(parseTagExpression('TagA || TagA')).toEqual(['TagA']);
  });

  it.each(['TagA ||', '|| TagA', 'TagA |||| TagB', 'Tag A', 'TagA | TagB', '* || TagA', 'TagA|x'])(
    'refuses %j',
    (expr) => {
      expect(() => parseTagExpression(expr)).toThrow(
        expect.objectContaining({ name: 'FlareError', code: 'INVALID_TAG_EXPRESSION' }),
      );
    },
  );

  it('refuses more tags than a query can bind', () => {
    const many = Array.from({ length: 65 }, (_, i) => `T${i}`).join(' || ');
    expect(() => parseTagExpression(many)).toThrow(/at most 64/);
  });
});

describe('tagMatches', () => {
  it('matches every tag, including none, with *', () => {
    expect(tagMatches(null, '')).toBe(true);
    expect(tagMatches(null, 'X')).toBe(true);
  });

  it('matches only listed tags', () => {
    const filter = parseTagExpression('A || B');
    expect(tagMatches(filter, 'A')).toBe(true);
    expect(tagMatches(filter, 'B')).toBe(true);
    expect(tagMatches(filter, 'C')).toBe(false);
    expect(tagMatches(filter, '')).toBe(false);
  });
});
