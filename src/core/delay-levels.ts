/**
 * Delay levels and the timer maximum: RocketMQ's `messageDelayLevel` broker
 * setting ("1s 5s 10s … 2h", level n is the n-th entry) and its timer
 * messages' maximum delay (`timerMaxDelaySec`, 3 days).
 */
import { FlareError } from './errors';

/** RocketMQ's 18 delay levels, as its broker config writes them. */
export const DEFAULT_MESSAGE_DELAY_LEVEL = '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h';

/** Longest delay of a timer message (delayMs or deliverAt) by default: 3 days, as RocketMQ's timerMaxDelaySec. */
export const DEFAULT_TIMER_MAX_DELAY_MS = 3 * 24 * 3600 * 1000;

/** Most TIMER_MAX_DELAY_MS may be configured to: one year. */
export const TIMER_MAX_DELAY_LIMIT_MS = 365 * 24 * 3600 * 1000;

/** Most delay levels MESSAGE_DELAY_LEVEL may list. */
export const MAX_DELAY_LEVELS = 64;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** One duration: a positive integer and a unit (ms, s, m, h or d), like "200ms", "5s", "2h"; null if not one. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) && ms > 0 && ms <= TIMER_MAX_DELAY_LIMIT_MS ? ms : null;
}

/**
 * Parses MESSAGE_DELAY_LEVEL, a space-separated list of durations, into
 * milliseconds (index 0 is level 1). Absent or empty: RocketMQ's 18 levels.
 * Throws CONFIG_INVALID naming the var and the entry to fix.
 */
export function parseDelayLevels(value: unknown): number[] {
  if (value === undefined || value === null || value === '') return parseDelayLevels(DEFAULT_MESSAGE_DELAY_LEVEL);
  if (typeof value !== 'string')
    throw new FlareError(
      'CONFIG_INVALID',
      `MESSAGE_DELAY_LEVEL must be a string like "${DEFAULT_MESSAGE_DELAY_LEVEL}"`,
    );
  const entries = value.trim().split(/\s+/);
  if (entries.length > MAX_DELAY_LEVELS)
    throw new FlareError(
      'CONFIG_INVALID',
      `MESSAGE_DELAY_LEVEL lists ${entries.length} levels; at most ${MAX_DELAY_LEVELS} are allowed`,
    );
  return entries.map((entry, i) => {
    const ms = parseDuration(entry);
    if (ms === null) {
      throw new FlareError(
        'CONFIG_INVALID',
        `MESSAGE_DELAY_LEVEL entry ${i + 1} '${entry.slice(0, 40)}' must be a positive integer with a unit (ms, s, m, h or d), at most 365d, like "5s" or "200ms"`,
      );
    }
    return ms;
  });
}

/** Writes milliseconds the way MESSAGE_DELAY_LEVEL does ("2h", "30s", "200ms"), for messages and docs. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
