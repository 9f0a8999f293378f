import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/workers/http-protocol/errors';
import { flaremqGroup, flaremqTopic, parseNamespace } from '../../src/workers/http-protocol/namespace';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : `other: ${String(err)}`;
  }
  return 'ok';
}

describe('namespaces (ns)', () => {
  it('maps a topic and a group in a namespace to ns%name, as RocketMQ namespaces do', () => {
    expect(flaremqTopic('MQ_INST_1', 'Orders')).toBe('MQ_INST_1%Orders');
    expect(flaremqGroup('MQ_INST_1', 'GID_a')).toBe('MQ_INST_1%GID_a');
  });

  it('uses names as they are without a namespace', () => {
    expect(parseNamespace(undefined)).toBeUndefined();
    expect(parseNamespace('')).toBeUndefined();
    expect(flaremqTopic(undefined, '%RETRY%G')).toBe('%RETRY%G');
  });

  it.each([
    ['a namespace with %', () => parseNamespace('a%b')],
    ['a namespace of 65 characters', () => parseNamespace('n'.repeat(65))],
    ['a topic with % in a namespace', () => flaremqTopic('N', 'a%b')],
    ['a group with | in a namespace', () => flaremqGroup('N', 'a|b')],
    ['a topic too long with its namespace', () => flaremqTopic('N'.repeat(64), 'T'.repeat(63))],
    ['a topic with a space', () => flaremqTopic(undefined, 'a b')],
  ])('refuses %s with InvalidArgument', (_what, fn) => {
    expect(codeOf(fn)).toBe('InvalidArgument');
  });
});
