import { describe, expect, it } from 'vitest';
import { FlareError } from '../../src/core/errors';
import { MAX_BATCH_BYTES, MAX_BATCH_COUNT, MAX_PROPERTIES_BYTES } from '../../src/core/limits';
import { parseClusterConfig } from '../../src/core/config';
import { parseSendRequest, toMessageView } from '../../src/core/message';
import { decodeMessageId } from '../../src/core/msg-id';

const MAX = 1024 * 1024;
/** The default cluster's limits: 1 MiB messages, RocketMQ's delay levels. */
const LIMITS = parseClusterConfig({});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof FlareError ? err.code : `not a FlareError: ${String(err)}`;
  }
  return undefined;
}

describe('parseSendRequest', () => {
  it('reads one message with tags, keys and properties', () => {
    const req = parseSendRequest(
      'T',
      { body: 'héllo', tags: 'TagA', keys: 'k1  k2', properties: { a: '1' } },
      LIMITS,
      1000,
    );
    expect(req.batch).toBe(false);
    expect(req.messages).toHaveLength(1);
    const m = req.messages[0];
    expect(new TextDecoder().decode(m.body)).toBe('héllo');
    expect(m).toMatchObject({
      tags: 'TagA',
      keys: ['k1', 'k2'],
      properties: { a: '1' },
      bornTimestamp: 1000,
      reconsumeTimes: 0,
    });
    expect(m.uniqueKey).toMatch(/^[0-9A-F]{32}$/);
  });

  it('decodes base64 bodies to bytes', () => {
    const req = parseSendRequest('T', { body: 'AAEC/w==', bodyEncoding: 'base64' }, LIMITS);
    expect([...req.messages[0].body]).toEqual([0, 1, 2, 255]);
  });

  it('reads a batch with keys as an array and a sharding key', () => {
    const req = parseSendRequest(
      'T',
      {
        shardingKey: 'order-1',
        messages: [
          { body: 'a', keys: ['x', 'y'] },
          { body: 'b', topic: 'T' },
        ],
      },
      LIMITS,
    );
    expect(req.batch).toBe(true);
    expect(req.shardingKey).toBe('order-1');
    expect(req.messages.map((m) => m.keys)).toEqual([['x', 'y'], []]);
  });

  it('reads an explicit queue', () => {
    expect(parseSendRequest('T', { body: 'a', queue: { brokerName: 'broker-b', queueId: 3 } }, LIMITS).queue).toEqual({
      brokerName: 'broker-b',
      queueId: 3,
    });
  });

  it.each([
    ['a bad topic name', 'bad topic', { body: 'a' }, 'INVALID_TOPIC_NAME'],
    ['a topic of 128 characters', 'T'.repeat(128), { body: 'a' }, 'INVALID_TOPIC_NAME'],
    ['a body that is not an object', 'T', [1], 'INVALID_REQUEST'],
    ['no body', 'T', { tags: 'A' }, 'INVALID_MESSAGE'],
    ['an empty body', 'T', { body: '' }, 'INVALID_MESSAGE'],
    ['a body that is a number', 'T', { body: 5 }, 'INVALID_MESSAGE'],
    ['bad base64', 'T', { body: 'a$b', bodyEncoding: 'base64' }, 'INVALID_MESSAGE'],
    ['an unknown body encoding', 'T', { body: 'a', bodyEncoding: 'hex' }, 'INVALID_REQUEST'],
    ['a tag with a space', 'T', { body: 'a', tags: 'A B' }, 'INVALID_MESSAGE'],
    ['a tag with ||', 'T', { body: 'a', tags: 'A||B' }, 'INVALID_MESSAGE'],
    ['keys that are a number', 'T', { body: 'a', keys: 5 }, 'INVALID_MESSAGE'],
    ['an empty key in an array', 'T', { body: 'a', keys: ['x', ''] }, 'INVALID_MESSAGE'],
    ['a non-string property', 'T', { body: 'a', properties: { a: 1 } }, 'INVALID_MESSAGE'],
    ['properties as an array', 'T', { body: 'a', properties: ['a'] }, 'INVALID_MESSAGE'],
    [
      'properties over 32 KiB',
      'T',
      { body: 'a', properties: { big: 'x'.repeat(MAX_PROPERTIES_BYTES) } },
      'PROPERTIES_TOO_LARGE',
    ],
    ['a body over the maximum', 'T', { body: 'x'.repeat(MAX + 1) }, 'MESSAGE_TOO_LARGE'],
    ['an empty batch', 'T', { messages: [] }, 'INVALID_REQUEST'],
    ['a batch mixing topics', 'T', { messages: [{ body: 'a' }, { body: 'b', topic: 'U' }] }, 'BATCH_MIXED_TOPICS'],
    [
      'too many messages in a batch',
      'T',
      { messages: Array.from({ length: MAX_BATCH_COUNT + 1 }, () => ({ body: 'a' })) },
      'BATCH_TOO_LARGE',
    ],
    [
      'a batch over 4 MiB',
      'T',
      { messages: Array.from({ length: 5 }, () => ({ body: 'x'.repeat(MAX) })) },
      'BATCH_TOO_LARGE',
    ],
    [
      'a sharding key and a queue together',
      'T',
      { body: 'a', shardingKey: 'k', queue: { brokerName: 'broker-a', queueId: 0 } },
      'INVALID_REQUEST',
    ],
    ['a queue without a queueId', 'T', { body: 'a', queue: { brokerName: 'broker-a' } }, 'INVALID_REQUEST'],
    [
      'a queue on a bad broker name',
      'T',
      { body: 'a', queue: { brokerName: 'a/b', queueId: 0 } },
      'INVALID_BROKER_NAME',
    ],
    ['an empty sharding key', 'T', { body: 'a', shardingKey: '' }, 'INVALID_REQUEST'],
  ])('refuses %s', (_what, topic, body, code) => {
    expect(codeOf(() => parseSendRequest(topic as string, body, LIMITS))).toBe(code);
  });

  it('accepts a batch of exactly 4 MiB of bodies minus overhead', () => {
    const size = MAX_BATCH_BYTES / 4 - 2;
    const req = parseSendRequest(
      'T',
      { messages: Array.from({ length: 4 }, () => ({ body: 'x'.repeat(size) })) },
      LIMITS,
    );
    expect(req.messages).toHaveLength(4);
  });
});

describe('toMessageView', () => {
  const stored = {
    body: new Uint8Array([104, 105]),
    tags: 'A',
    keys: ['k1', 'k2'],
    properties: { p: 'v' },
    bornTimestamp: 1,
    storeTimestamp: 2,
    uniqueKey: 'U',
    reconsumeTimes: 0,
    queueOffset: 9,
  };

  it('shows text bodies as utf8 and ids that locate the message', () => {
    const view = toMessageView(stored, { topic: 'T', brokerName: 'broker-a', brokerId: 0, queueId: 2 }, 'utf8');
    expect(view).toMatchObject({ body: 'hi', bodyEncoding: 'utf8', keys: 'k1 k2', queueOffset: 9, queueId: 2 });
    expect(decodeMessageId(view.msgId)).toEqual({
      topic: 'T',
      brokerName: 'broker-a',
      brokerId: 0,
      queueId: 2,
      queueOffset: 9,
    });
  });

  it('falls back to base64 for bytes that are not UTF-8, or when asked', () => {
    const binary = { ...stored, body: new Uint8Array([0xff, 0xfe]) };
    expect(toMessageView(binary, { topic: 'T', brokerName: 'b', brokerId: 0, queueId: 0 }, 'utf8')).toMatchObject({
      body: '//4=',
      bodyEncoding: 'base64',
    });
    expect(toMessageView(stored, { topic: 'T', brokerName: 'b', brokerId: 0, queueId: 0 }, 'base64')).toMatchObject({
      body: 'aGk=',
      bodyEncoding: 'base64',
    });
  });
});
