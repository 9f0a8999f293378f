import { FlareError } from './errors';

/** RocketMQ's permission bits for a topic on a broker group. */
export const PERM_READ = 4;
export const PERM_WRITE = 2;
export const PERM_INHERIT = 1;
export const PERM_READ_WRITE = PERM_READ | PERM_WRITE;

export const isReadable = (perm: number): boolean => (perm & PERM_READ) !== 0;
export const isWritable = (perm: number): boolean => (perm & PERM_WRITE) !== 0;

/** Accepts RocketMQ's numbers (6, 4, 2, 0) or letters ("RW", "R", "W", ""). */
export function parsePerm(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 7) {
    return value & PERM_READ_WRITE;
  }
  if (typeof value === 'string' && /^(RW|WR|R|W|)$/i.test(value)) {
    const upper = value.toUpperCase();
    return (upper.includes('R') ? PERM_READ : 0) | (upper.includes('W') ? PERM_WRITE : 0);
  }
  throw new FlareError(
    'INVALID_REQUEST',
    'perm is 6 (read and write), 4 (read), 2 (write) or 0, or "RW", "R", "W", ""',
  );
}

/** "RW", "R-", "-W" or "--", as mqadmin prints it. */
export function permToString(perm: number): string {
  return `${isReadable(perm) ? 'R' : '-'}${isWritable(perm) ? 'W' : '-'}`;
}
