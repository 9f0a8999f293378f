import { describe, expect, it } from 'vitest';
import { ERROR_CODES, FlareError, type ErrorCode } from '../../src/core/errors';
import {
  PROTOCOL_ERROR_CODES,
  ProtocolError,
  errorXml,
  protocolCodeOf,
  toProtocolError,
} from '../../src/workers/http-protocol/errors';
import { childText, parseXml } from '../../src/workers/http-protocol/xml';

describe('protocol errors', () => {
  it.each([
    ['TOPIC_NOT_EXIST', 'TopicNotExist', 404],
    ['MESSAGE_NOT_FOUND', 'MessageNotExist', 404],
    ['INVALID_MESSAGE', 'InvalidArgument', 400],
    ['INVALID_TOPIC_NAME', 'InvalidArgument', 400],
    ['INVALID_DELAY', 'InvalidArgument', 400],
    ['MESSAGE_TOO_LARGE', 'InvalidArgument', 400],
    ['NO_PERMISSION', 'AccessDenied', 403],
    ['GROUP_NOT_EXIST', 'GroupNotExist', 404],
    ['QUEUE_LOCKED', 'Conflict', 409],
    ['BROKER_UNAVAILABLE', 'ServiceUnavailable', 503],
    ['CONFIG_INVALID', 'InternalError', 500],
    ['INTERNAL_ERROR', 'InternalError', 500],
  ] as const)('maps %s to %s', (flare, code, status) => {
    expect(protocolCodeOf(flare)).toEqual({ code, status });
  });

  it("maps every flaremq code to a protocol code with that code's status", () => {
    for (const flare of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const { code, status } = protocolCodeOf(flare);
      expect(PROTOCOL_ERROR_CODES[code], flare).toBeDefined();
      expect(status, flare).toBe(PROTOCOL_ERROR_CODES[code]);
      expect(status >= 500, flare).toBe(ERROR_CODES[flare].status >= 500);
    }
  });

  it('maps a FlareError and keeps its detail; an error code in a message text means nothing (objects answer outcomes)', () => {
    const err = toProtocolError(new FlareError('TOPIC_NOT_EXIST', 'topic x does not exist'));
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'TopicNotExist', status: 404 });
    expect(err!.message).toContain('topic x does not exist');
    expect(toProtocolError(new Error('[TOPIC_NOT_EXIST] topic x does not exist'))).toBeUndefined();
    expect(toProtocolError(new FlareError('INVALID_TAG_EXPRESSION', 'bad'))?.code).toBe('InvalidArgument');
    expect(toProtocolError(new Error('boom'))).toBeUndefined();
  });

  it('writes the XML error document the SDKs read', () => {
    const xml = errorXml(
      new ProtocolError('MessageNotExist', 'no <message> & none'),
      '0123456789ABCDEF01234567',
      'http://127.0.0.1:8787',
    );
    const doc = parseXml(xml);
    expect(doc.name).toBe('Error');
    expect(doc.attributes.xmlns).toBe('http://mq.aliyuncs.com/doc/v1/');
    expect(childText(doc, 'Code')).toBe('MessageNotExist');
    expect(childText(doc, 'Message')).toBe('no <message> & none');
    expect(childText(doc, 'RequestId')).toBe('0123456789ABCDEF01234567');
    expect(childText(doc, 'HostId')).toBe('http://127.0.0.1:8787');
  });
});
