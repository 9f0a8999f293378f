import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../src/core/config';
import {
  DEFAULT_MESSAGE_DELAY_LEVEL,
  formatDuration,
  parseDelayLevels,
  parseDuration,
} from '../../src/core/delay-levels';
import { parseSendRequest, type SendLimits } from '../../src/core/message';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('delay levels', () => {
  it("default to RocketMQ's 18 levels, 1s to 2h", () => {
    expect(DEFAULT_MESSAGE_DELAY_LEVEL).toBe('1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h');
    const levels = [
      1 * S,
      5 * S,
      10 * S,
      30 * S,
      1 * M,
      2 * M,
      3 * M,
      4 * M,
      5 * M,
      6 * M,
      7 * M,
      8 * M,
      9 * M,
      10 * M,
      20 * M,
      30 * M,
      1 * H,
      2 * H,
    ];
    expect(parseDelayLevels(undefined)).toEqual(levels);
    expect(parseDelayLevels('')).toEqual(levels);
    expect(parseClusterConfig({}).delayLevels).toEqual(levels);
    expect(parseClusterConfig({}).timerMaxDelayMs).toBe(259_200_000);
  });

  it('read every unit (ms, s, m, h, d) and any whitespace between entries', () => {
    expect(parseDelayLevels(' 200ms  5s\t2m 1h 1d ')).toEqual([200, 5 * S, 2 * M, H, 24 * H]);
    expect(parseClusterConfig({ MESSAGE_DELAY_LEVEL: '1s 2s', TIMER_MAX_DELAY_MS: '60000' })).toMatchObject({
      delayLevels: [S, 2 * S],
      timerMaxDelayMs: 60_000,
    });
  });

  it.each(['1', '1x', '0s', '-1s', '1.5s', '1 S', 's', '400d', 'x'.repeat(50)])(
    'refuse %j, naming the var',
    (value) => {
      expect(() => parseDelayLevels(value)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('MESSAGE_DELAY_LEVEL') }),
      );
    },
  );

  it('refuse more than 64 levels and values that are not strings', () => {
    expect(codeOf(() => parseDelayLevels(Array(65).fill('1s').join(' ')))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseDelayLevels(5 as unknown as string))).toBe('CONFIG_INVALID');
  });

  it.each([0, -1, 'abc', 1.5, 365 * 24 * H + 1])('TIMER_MAX_DELAY_MS refuses %j', (value) => {
    expect(() => parseClusterConfig({ TIMER_MAX_DELAY_MS: value as number })).toThrow(/TIMER_MAX_DELAY_MS/);
  });

  it('parse and format single durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('3d')).toBe(259_200_000);
    expect(parseDuration('5')).toBeNull();
    expect(formatDuration(259_200_000)).toBe('3d');
    expect(formatDuration(2 * H)).toBe('2h');
    expect(formatDuration(90 * S)).toBe('90s');
    expect(formatDuration(1200)).toBe('1200ms');
  });
});

describe('delays of a send', () => {
  const limits: SendLimits = {
    maxMessageSize: 1024,
    delayLevels: parseDelayLevels(undefined),
    timerMaxDelayMs: 259_200_000,
  };
  const now = 1_800_000_000_000;

  it('turn a delay level into an absolute deliverAt', () => {
    expect(parseSendRequest('T', { body: 'a', delayLevel: 1 }, limits, now).deliverAt).toBe(now + S);
    expect(parseSendRequest('T', { body: 'a', delayLevel: 18 }, limits, now).deliverAt).toBe(now + 2 * H);
    expect(
      parseSendRequest('T', { body: 'a', delayLevel: 2 }, { ...limits, delayLevels: [100, 200] }, now).deliverAt,
    ).toBe(now + 200);
  });

  it('turn delayMs into deliverAt, and keep a future deliverAt as it is', () => {
    expect(parseSendRequest('T', { body: 'a', delayMs: 1500 }, limits, now).deliverAt).toBe(now + 1500);
    expect(parseSendRequest('T', { body: 'a', deliverAt: now + 1 }, limits, now).deliverAt).toBe(now + 1);
  });

  it('accept exactly the maximum delay', () => {
    expect(parseSendRequest('T', { body: 'a', delayMs: 259_200_000 }, limits, now).deliverAt).toBe(now + 259_200_000);
    expect(parseSendRequest('T', { body: 'a', deliverAt: now + 259_200_000 }, limits, now).deliverAt).toBe(
      now + 259_200_000,
    );
  });

  it('send at once when deliverAt is now or past, or no delay is given (null counts as absent)', () => {
    expect(parseSendRequest('T', { body: 'a', deliverAt: now }, limits, now).deliverAt).toBeUndefined();
    expect(parseSendRequest('T', { body: 'a', deliverAt: 0 }, limits, now).deliverAt).toBeUndefined();
    expect(parseSendRequest('T', { body: 'a' }, limits, now)).not.toHaveProperty('deliverAt');
    expect(parseSendRequest('T', { body: 'a', delayLevel: null }, limits, now).deliverAt).toBeUndefined();
  });

  it('apply to a whole batch, given at the top level', () => {
    const req = parseSendRequest('T', { delayLevel: 3, messages: [{ body: 'a' }, { body: 'b' }] }, limits, now);
    expect(req).toMatchObject({ batch: true, deliverAt: now + 10 * S });
    expect(req.messages).toHaveLength(2);
  });

  it.each([
    ['two delay fields', { body: 'a', delayLevel: 1, delayMs: 10 }],
    ['all three', { body: 'a', delayLevel: 1, delayMs: 10, deliverAt: now + 10 }],
    ['level 0', { body: 'a', delayLevel: 0 }],
    ['level 19', { body: 'a', delayLevel: 19 }],
    ['a fractional level', { body: 'a', delayLevel: 1.5 }],
    ['a level as a string', { body: 'a', delayLevel: '3' }],
    ['delayMs 0', { body: 'a', delayMs: 0 }],
    ['a negative delayMs', { body: 'a', delayMs: -5 }],
    ['a fractional delayMs', { body: 'a', delayMs: 10.5 }],
    ['delayMs as a string', { body: 'a', delayMs: '100' }],
    ['delayMs past the maximum', { body: 'a', delayMs: 259_200_001 }],
    ['deliverAt past the maximum', { body: 'a', deliverAt: now + 259_200_001 }],
    ['a fractional deliverAt', { body: 'a', deliverAt: now + 0.5 }],
    ['deliverAt as a date string', { body: 'a', deliverAt: '2027-01-01T00:00:00Z' }],
    ['a negative deliverAt', { body: 'a', deliverAt: -1 }],
    ['a delay on a message of a batch', { messages: [{ body: 'a' }, { body: 'b', delayLevel: 1 }] }],
  ])('refuse %s with INVALID_DELAY', (_what, body) => {
    expect(codeOf(() => parseSendRequest('T', body, limits, now))).toBe('INVALID_DELAY');
  });

  it('say the maximum when a delay is past it', () => {
    expect(() => parseSendRequest('T', { body: 'a', delayMs: 259_200_001 }, limits, now)).toThrow(
      /259200000 ms \(3d, TIMER_MAX_DELAY_MS\)/,
    );
    expect(() => parseSendRequest('T', { body: 'a', delayLevel: 19 }, limits, now)).toThrow(/from 1 to 18/);
  });
});
