import { describe, expect, it } from 'vitest';
import { decodeMessageId, encodeMessageId, newUniqueKey } from '../../src/core/msg-id';

describe('message ids', () => {
  it('round-trips the location of a message', () => {
    const loc = {
      topic: '%RETRY%group|x',
      brokerName: 'broker-b',
      brokerId: 0,
      queueId: 513,
      queueOffset: 2 ** 40 + 7,
    };
    const id = encodeMessageId(loc);
    expect(id).toMatch(/^[0-9A-F]+$/);
    expect(decodeMessageId(id)).toEqual(loc);
    expect(decodeMessageId(id.toLowerCase())).toEqual(loc);
  });

  it('gives different messages different ids', () => {
    const base = { topic: 'T', brokerName: 'broker-a', brokerId: 0, queueId: 0, queueOffset: 0 };
    const ids = new Set([
      encodeMessageId(base),
      encodeMessageId({ ...base, queueOffset: 1 }),
      encodeMessageId({ ...base, queueId: 1 }),
      encodeMessageId({ ...base, brokerName: 'broker-b' }),
      encodeMessageId({ ...base, topic: 'U' }),
      encodeMessageId({ ...base, brokerId: 1 }),
    ]);
    expect(ids.size).toBe(6);
  });

  it.each(['', 'XYZ', '01', 'ABC', '02000000000000000000000008627', '0'.repeat(40), 'FF'.repeat(20)])(
    'refuses %j',
    (id) => {
      expect(() => decodeMessageId(id)).toThrow(
        expect.objectContaining({ name: 'FlareError', code: 'INVALID_MESSAGE_ID' }),
      );
    },
  );

  it('refuses an id whose names are not valid names', () => {
    const id = encodeMessageId({ topic: 'bad topic', brokerName: 'broker-a', brokerId: 0, queueId: 0, queueOffset: 0 });
    expect(() => decodeMessageId(id)).toThrow(/not a flaremq message id/);
  });
});

describe('unique keys', () => {
  it('are 32 upper-case hex digits starting with the time', () => {
    const key = newUniqueKey(0x0123456789ab);
    expect(key).toMatch(/^0123456789AB[0-9A-F]{20}$/);
    expect(newUniqueKey()).not.toBe(newUniqueKey());
  });
});
