/** Reading /metrics in tests: a strict check of the text format, then a Prometheus text parser. */
import parse, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { expect } from 'vitest';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{(?:${LABEL})(?:,${LABEL})*\\})? (-?(?:\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?|\\+Inf|NaN))$`,
);

/** Checks the text format strictly (HELP and TYPE once per family, before its samples; every sample well formed) and parses it. */
export function strictParse(text: string): Map<string, PrometheusFamily> {
  expect(text.endsWith('\n')).toBe(true);
  const typed = new Map<string, string>();
  for (const line of text.trimEnd().split('\n')) {
    const help = /^# HELP (\S+) .+$/.exec(line);
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (help) continue;
    if (type) {
      expect(typed.has(type[1]!), `TYPE ${type[1]} twice`).toBe(false);
      typed.set(type[1]!, type[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, `bad sample line: ${line}`).not.toBeNull();
    const family = m![1]!.replace(/_(bucket|sum|count)$/, (s) =>
      typed.get(m![1]!.slice(0, -s.length)) === 'histogram' ? '' : s,
    );
    expect(typed.has(family), `sample before its TYPE: ${line}`).toBe(true);
  }
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** The value of the first sample of `name` whose labels include `labels`; NaN when none. */
export const value = (f: Map<string, PrometheusFamily>, name: string, labels: Record<string, string>) =>
  Number(f.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);
