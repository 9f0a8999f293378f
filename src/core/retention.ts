/**
 * When retention runs (RocketMQ's deleteWhen and fileReservedTime), as pure
 * functions of the clock. Hours are UTC: a Worker has no local time zone.
 */

const HOUR_MS = 3_600_000;

/** The hours of `deleteWhen` ("04", "04;16"), sorted. */
export function deleteWhenHours(deleteWhen: string): number[] {
  return [...new Set(deleteWhen.split(';').map((h) => Number(h)))].sort((a, b) => a - b);
}

/**
 * When retention by age should next run: `now` if this is a deleteWhen hour
 * that has not had its run (the last run was before the hour began), else the
 * start of the next deleteWhen hour.
 */
export function nextRetentionRun(hours: readonly number[], lastRun: number, now: number): number {
  const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
  if (hours.includes(new Date(now).getUTCHours()) && lastRun < hourStart) return now;
  for (let k = 1; k <= 24; k++) {
    const t = hourStart + k * HOUR_MS;
    if (hours.includes(new Date(t).getUTCHours())) return t;
  }
  throw new Error(`deleteWhen has no hour: ${hours.join(';')}`);
}

/** Messages stored before this are past fileReservedTime (hours). */
export function retentionCutoff(fileReservedTimeHours: number, now: number): number {
  return now - fileReservedTimeHours * HOUR_MS;
}
