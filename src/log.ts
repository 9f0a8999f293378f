/**
 * The server's one logger (the Worker, its services and the Durable Objects; never the SDK or the CLI):
 * `log.warn('what happened', { topic, group, error })` writes one JSON line (src/core/log.ts) with the
 * console method of its level, which Workers Logs and Logpush record as the line's level. Lines below
 * LOG_LEVEL (wrangler.toml [vars]; default info) are dropped. This is the only server file that calls
 * `console` (eslint.config.js forbids it elsewhere in src/, the SDK and the CLI excepted).
 */
import { env } from 'cloudflare:workers';
import { DEFAULT_LOG_LEVEL, createLogger, logLine, parseLogLevel, type LogLevel, type LogWriter } from './core/log';

export type { LogFields } from './core/log';

let read: { raw: unknown; level: LogLevel } | undefined;

/** LOG_LEVEL as parsed, again only when it changed; an unknown value logs at info and says so once. */
function threshold(): LogLevel {
  const raw: unknown = env.LOG_LEVEL;
  if (read && read.raw === raw) return read.level;
  const level = raw === undefined || raw === '' ? DEFAULT_LOG_LEVEL : parseLogLevel(raw);
  read = { raw, level: level ?? DEFAULT_LOG_LEVEL };
  if (!level) {
    console.warn(
      logLine('warn', 'LOG_LEVEL is not debug, info, warn or error; logging at info', {
        value: String(raw).slice(0, 40),
      }),
    );
  }
  return read.level;
}

// The console is looked up at each line, not captured: tests spy on its methods.
const toConsole: LogWriter = {
  debug: (line) => console.debug(line),
  info: (line) => console.info(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

export const log = createLogger(threshold, toConsole);
