import { FlareError } from './errors';
import { MAX_TAG_LENGTH, MAX_TAGS_IN_EXPRESSION } from './limits';

/** A parsed tag expression: null matches every message, otherwise the set of accepted tags. */
export type TagFilter = null | readonly string[];

/**
 * Parses a RocketMQ TAG expression: `*` (or empty) for every message, or tags
 * separated by `||` (`TagA || TagB`). Each tag is trimmed; an empty tag, a tag
 * with whitespace or `|` inside, or `*` next to other tags does not parse.
 */
export function parseTagExpression(expression: string | null | undefined): TagFilter {
  const trimmed = (expression ?? '').trim();
  if (trimmed === '' || trimmed === '*') return null;
  const tags = trimmed.split('||').map((t) => t.trim());
  for (const tag of tags) {
    if (tag === '') {
      throw new FlareError('INVALID_TAG_EXPRESSION', `'${trimmed}' has an empty tag; write tags as 'TagA || TagB'`);
    }
    if (tag === '*') {
      throw new FlareError('INVALID_TAG_EXPRESSION', `'*' cannot be combined with other tags in '${trimmed}'`);
    }
    if (/[\s|]/.test(tag)) {
      throw new FlareError(
        'INVALID_TAG_EXPRESSION',
        `tag '${tag}' in '${trimmed}' contains whitespace or '|'; separate tags with '||'`,
      );
    }
    if (tag.length > MAX_TAG_LENGTH) {
      throw new FlareError('INVALID_TAG_EXPRESSION', `a tag is at most ${MAX_TAG_LENGTH} characters`);
    }
  }
  const unique = [...new Set(tags)];
  if (unique.length > MAX_TAGS_IN_EXPRESSION) {
    throw new FlareError('INVALID_TAG_EXPRESSION', `a tag expression names at most ${MAX_TAGS_IN_EXPRESSION} tags`);
  }
  return unique;
}

/** Whether a message with `tag` (empty string for none) passes `filter`. */
export function tagMatches(filter: TagFilter, tag: string): boolean {
  return filter === null || filter.includes(tag);
}
