/**
 * Structured log lines (docs/operations.md, "Logs"): each line is one JSON object,
 * `{"level", "msg", ...fields}`, where `msg` says what happened and the fields name
 * what it happened to (topic, brokerName, queueId, group, offset, msgId, code, …) and
 * carry an error as `{name, message, stack, code}`. Pure: the server's logger
 * (src/log.ts) gives it the threshold (LOG_LEVEL) and the console to write to.
 */
import { toFlareError } from './errors';

/** The levels, least severe first. A logger writes the lines at or above its threshold. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The threshold when LOG_LEVEL is unset. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** What a line is about. Values are JSON values; `error` (anything thrown), and an Error under any key, become {@link ErrorFields}. */
export type LogFields = Record<string, unknown>;

/** An error as a log field. `code` is a FlareError's code (src/core/errors.ts). */
export interface ErrorFields {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** Where lines go: one method per level (the server gives `console`, whose methods Workers Logs reads as levels). */
export type LogWriter = Record<LogLevel, (line: string) => void>;

export type Logger = Record<LogLevel, (msg: string, fields?: LogFields) => void>;

/** The level LOG_LEVEL names (any case, spaces around it allowed); undefined when it names none. */
export function parseLogLevel(raw: unknown): LogLevel | undefined {
  if (typeof raw !== 'string') return undefined;
  const level = raw.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : undefined;
}

/** An error (or anything thrown) as log fields: its name, message and stack, and its code when it is a FlareError. */
export function errorFields(err: unknown): ErrorFields {
  if (!(err instanceof Error)) return { name: typeof err, message: String(err) };
  const code = toFlareError(err)?.code;
  return { name: err.name, message: err.message, stack: err.stack, ...(code ? { code } : {}) };
}

/** JSON.stringify's replacer: errors as {@link ErrorFields}, bigints as strings (JSON has none). */
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return errorFields(value);
  return typeof value === 'bigint' ? value.toString() : value;
}

/** One line: `level` and `msg` first, then the fields (which cannot replace them); `error` always as {@link ErrorFields}. */
export function logLine(level: LogLevel, msg: string, fields: LogFields = {}): string {
  const error = 'error' in fields ? { error: errorFields(fields.error) } : {};
  try {
    // level and msg first in the line, and no field replaces them.
    return JSON.stringify(Object.assign({ level, msg }, fields, error, { level, msg }), jsonValue);
  } catch (err) {
    // A field JSON cannot hold (a cycle): the line still says what happened.
    return JSON.stringify({ level, msg, unloggableFields: String(err) });
  }
}

/** A logger writing the lines at or above `threshold()` (read at each line, so that a changed LOG_LEVEL applies). */
export function createLogger(threshold: () => LogLevel, write: LogWriter): Logger {
  const logger = {} as Logger;
  for (const level of LOG_LEVELS) {
    const rank = LOG_LEVELS.indexOf(level);
    logger[level] = (msg, fields) => {
      if (rank >= LOG_LEVELS.indexOf(threshold())) write[level](logLine(level, msg, fields));
    };
  }
  return logger;
}
