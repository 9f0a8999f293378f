import { describe, expect, it } from 'vitest';
import { FlareError } from '../../src/core/errors';
import { LOG_LEVELS, createLogger, logLine, parseLogLevel, type LogLevel, type LogWriter } from '../../src/core/log';

/** A writer that keeps each line with the method it was written with. */
function capture() {
  const lines: { method: LogLevel; line: any }[] = [];
  const writer = {} as LogWriter;
  for (const method of LOG_LEVELS) writer[method] = (line) => void lines.push({ method, line: JSON.parse(line) });
  return { lines, writer };
}

describe('log threshold', () => {
  it('writes the lines at or above the threshold, each with the method of its level', () => {
    const { lines, writer } = capture();
    const log = createLogger(() => 'warn', writer);
    log.debug('d', { topic: 'T' });
    log.info('i', { topic: 'T' });
    log.warn('w', { topic: 'T' });
    log.error('e', { topic: 'T' });
    expect(lines).toEqual([
      { method: 'warn', line: { level: 'warn', msg: 'w', topic: 'T' } },
      { method: 'error', line: { level: 'error', msg: 'e', topic: 'T' } },
    ]);
  });

  it('reads the threshold at each line, so that a changed LOG_LEVEL applies', () => {
    const { lines, writer } = capture();
    let level: LogLevel = 'error';
    const log = createLogger(() => level, writer);
    log.info('dropped');
    level = 'debug';
    log.debug('kept');
    expect(lines.map((l) => l.line.msg)).toEqual(['kept']);
  });

  it('parses LOG_LEVEL in any case, and names no level for anything else', () => {
    expect(parseLogLevel(' WARN ')).toBe('warn');
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel('verbose')).toBeUndefined();
    expect(parseLogLevel(3)).toBeUndefined();
  });
});

describe('log lines', () => {
  it('carry an error as name, message, stack and code; a field cannot replace level or msg', () => {
    const line = JSON.parse(
      logLine('error', 'a send failed', {
        topic: 'T',
        queueId: 2,
        level: 'debug',
        msg: 'not this',
        error: new FlareError('BROKER_UNAVAILABLE', 'down'),
      }),
    );
    expect(line).toMatchObject({ level: 'error', msg: 'a send failed', topic: 'T', queueId: 2 });
    expect(Object.keys(line).slice(0, 2)).toEqual(['level', 'msg']);
    expect(line.error).toMatchObject({
      name: 'FlareError',
      message: '[BROKER_UNAVAILABLE] down',
      code: 'BROKER_UNAVAILABLE',
    });
    expect(line.error.stack).toContain('FlareError');
  });

  it('carry anything thrown that is no Error, bigints, and fields JSON cannot hold', () => {
    expect(JSON.parse(logLine('warn', 'w', { error: 'plain text', offset: 12n }))).toEqual({
      level: 'warn',
      msg: 'w',
      error: { name: 'string', message: 'plain text' },
      offset: '12',
    });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(JSON.parse(logLine('info', 'i', { cycle }))).toMatchObject({ level: 'info', msg: 'i' });
  });
});
