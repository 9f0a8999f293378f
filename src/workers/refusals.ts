/**
 * Counters of refused requests, by surface and code, for /metrics to read:
 * authentication (401), access control (403) and the early size limits
 * (413, 414, 431). Per isolate, like any Worker memory: each isolate counts
 * what it refused since it started, as a Prometheus counter expects.
 */

/** Where a request came in. */
export type Surface = 'rest' | 'http-protocol';

export interface RefusalCount {
  surface: Surface;
  /** A flaremq error code (src/core/errors.ts) for `rest`, a protocol code (InvalidAccessKeyId…) for `http-protocol`. */
  code: string;
  status: number;
  count: number;
}

const counts = new Map<string, RefusalCount>();

/** Counts one refusal. */
export function countRefusal(surface: Surface, code: string, status: number): void {
  const key = `${surface} ${code}`;
  const entry = counts.get(key);
  if (entry) entry.count++;
  else counts.set(key, { surface, code, status, count: 1 });
}

/** Every refusal counted so far in this isolate, as copies (sorted by surface, then code). */
export function refusalCounts(): RefusalCount[] {
  return [...counts.values()]
    .map((c) => ({ ...c }))
    .sort((a, b) => (a.surface === b.surface ? (a.code < b.code ? -1 : 1) : a.surface < b.surface ? -1 : 1));
}

/** Total refusals in this isolate. */
export function refusalTotal(): number {
  let total = 0;
  for (const c of counts.values()) total += c.count;
  return total;
}
