import { describe, expect, it } from 'vitest';
import { decodeMessageId, encodeMessageId } from '../../src/core/msg-id';
import {
  decodeReceiptHandle,
  encodeReceiptHandle,
  parseReceiptHandle,
  popStateKey,
} from '../../src/core/receipt-handle';
import { decodeTimerHandle, encodeTimerHandle } from '../../src/core/timer-handle';
import { decodeTransactionHandle, encodeTransactionHandle } from '../../src/core/transaction-handle';
import { parseCheckAnswer, parseCheckUrl, parseTransactionOptions } from '../../src/core/transaction';

const receipt = {
  topic: '%RETRY%g|x',
  brokerName: 'broker-b',
  brokerId: 0,
  queueId: 513,
  group: 'GID_%|-x',
  queueOffset: 2 ** 40 + 7,
  handleSeq: 2 ** 33 + 1,
};
const half = { topic: 'Orders', brokerName: 'broker-a', brokerId: 0, queueId: 3, halfId: 42 };

describe('receipt handles', () => {
  it('round-trip queue, group, offset and handle sequence, in any case', () => {
    const handle = encodeReceiptHandle(receipt);
    expect(handle).toMatch(/^03[0-9A-F]+$/);
    expect(decodeReceiptHandle(handle)).toEqual(receipt);
    expect(decodeReceiptHandle(handle.toLowerCase())).toEqual(receipt);
  });

  it('differ per delivery and per group', () => {
    const handle = encodeReceiptHandle(receipt);
    expect(encodeReceiptHandle({ ...receipt, handleSeq: receipt.handleSeq + 1 })).not.toBe(handle);
    expect(encodeReceiptHandle({ ...receipt, group: 'other' })).not.toBe(handle);
  });

  it("round-trip the topic whose pop took the message from the group's retry topic, for the longest names", () => {
    const retry = {
      ...receipt,
      topic: `%RETRY%${'g'.repeat(113)}`,
      group: 'g'.repeat(120),
      retryOf: 't'.repeat(127),
      brokerName: 'b'.repeat(64),
    };
    const handle = encodeReceiptHandle(retry);
    expect(decodeReceiptHandle(handle)).toEqual(retry);
    expect(handle.length).toBeLessThanOrEqual(1024);
    expect(encodeReceiptHandle({ ...retry, retryOf: 'other' })).not.toBe(handle);
    expect(popStateKey(retry.group, retry.retryOf)).toBe(`${retry.group}+${retry.retryOf}`);
    expect(popStateKey(retry.group)).toBe(retry.group);
  });

  it('are never taken for message ids, timer or transaction handles, nor the other way round', () => {
    const handle = encodeReceiptHandle(receipt);
    expect(() => decodeMessageId(handle)).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE_ID' }));
    expect(() => decodeTimerHandle(handle)).toThrow(expect.objectContaining({ code: 'INVALID_TIMER_HANDLE' }));
    expect(() => decodeTransactionHandle(handle)).toThrow(
      expect.objectContaining({ code: 'INVALID_TRANSACTION_HANDLE' }),
    );
    const others = [
      encodeMessageId({ ...half, queueOffset: 1 }),
      encodeTimerHandle({ ...half, timerId: 1 }),
      encodeTransactionHandle(half),
    ];
    for (const other of others) expect(parseReceiptHandle(other)).toBeNull();
  });

  it.each(['', 'XYZ', '03', '03' + '00'.repeat(30), 'FF'.repeat(40), 'garbage'])('refuse %j', (handle) => {
    expect(() => decodeReceiptHandle(handle)).toThrow(
      expect.objectContaining({ name: 'FlareError', code: 'INVALID_RECEIPT_HANDLE' }),
    );
  });
});

describe('transaction handles', () => {
  it('round-trip the location of a half message, in any case', () => {
    const handle = encodeTransactionHandle(half);
    expect(handle).toMatch(/^04[0-9A-F]+$/);
    expect(decodeTransactionHandle(handle)).toEqual(half);
    expect(decodeTransactionHandle(handle.toLowerCase())).toEqual(half);
  });

  it.each(['', '04', encodeMessageId({ ...half, queueOffset: 42 }), encodeTimerHandle({ ...half, timerId: 42 })])(
    'refuse %j',
    (handle) => {
      expect(() => decodeTransactionHandle(handle)).toThrow(
        expect.objectContaining({ code: 'INVALID_TRANSACTION_HANDLE' }),
      );
    },
  );
});

describe('transaction options and check answers', () => {
  it('reads the transaction field of a send', () => {
    expect(parseTransactionOptions({ producerGroup: 'PG' })).toEqual({ producerGroup: 'PG' });
    expect(parseTransactionOptions({ producerGroup: 'PG', checkImmunityMs: 1000 })).toEqual({
      producerGroup: 'PG',
      checkImmunityMs: 1000,
    });
    expect(() => parseTransactionOptions('PG')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => parseTransactionOptions({})).toThrow(expect.objectContaining({ code: 'INVALID_GROUP_NAME' }));
    expect(() => parseTransactionOptions({ producerGroup: 'PG', checkImmunityMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
    expect(() => parseTransactionOptions({ producerGroup: 'PG', checkImmunityMs: 1.5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
  });

  it("reads a check URL's answer; anything unclear is UNKNOWN", () => {
    expect(parseCheckAnswer({ status: 'COMMIT' })).toBe('COMMIT');
    expect(parseCheckAnswer({ status: 'commit_message' })).toBe('COMMIT');
    expect(parseCheckAnswer({ status: 'Rollback' })).toBe('ROLLBACK');
    expect(parseCheckAnswer({ status: 'ROLLBACK_MESSAGE' })).toBe('ROLLBACK');
    expect(parseCheckAnswer({ status: 'UNKNOW' })).toBe('UNKNOWN');
    for (const odd of [null, 'COMMIT', {}, { status: 1 }, { status: 'yes' }, []])
      expect(parseCheckAnswer(odd)).toBe('UNKNOWN');
  });

  it('takes http(s) check URLs only', () => {
    expect(parseCheckUrl('https://a.example/check?x=1')).toBe('https://a.example/check?x=1');
    expect(parseCheckUrl('http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000/');
    expect(parseCheckUrl(null)).toBeNull();
    expect(parseCheckUrl('')).toBeNull();
    for (const bad of ['ftp://a/b', '/relative', 'x', 7, {}])
      expect(() => parseCheckUrl(bad)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});
