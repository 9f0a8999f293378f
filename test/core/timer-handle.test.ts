import { describe, expect, it } from 'vitest';
import { decodeMessageId, encodeMessageId } from '../../src/core/msg-id';
import { decodeTimerHandle, encodeTimerHandle } from '../../src/core/timer-handle';

describe('timer handles', () => {
  const loc = { topic: '%RETRY%group|x', brokerName: 'broker-b', brokerId: 0, queueId: 513, timerId: 2 ** 40 + 7 };

  it('round-trip the location of a timer, in any case', () => {
    const handle = encodeTimerHandle(loc);
    expect(handle).toMatch(/^02[0-9A-F]+$/);
    expect(decodeTimerHandle(handle)).toEqual(loc);
    expect(decodeTimerHandle(handle.toLowerCase())).toEqual(loc);
  });

  it('are never taken for message ids, nor message ids for handles', () => {
    const handle = encodeTimerHandle(loc);
    const msgId = encodeMessageId({ ...loc, queueOffset: loc.timerId });
    expect(() => decodeMessageId(handle)).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE_ID' }));
    expect(() => decodeTimerHandle(msgId)).toThrow(expect.objectContaining({ code: 'INVALID_TIMER_HANDLE' }));
  });

  it.each(['', 'XYZ', '02', '0'.repeat(40), 'FF'.repeat(20), 'garbage-handle'])('refuse %j', (handle) => {
    expect(() => decodeTimerHandle(handle)).toThrow(
      expect.objectContaining({ name: 'FlareError', code: 'INVALID_TIMER_HANDLE' }),
    );
  });
});
