/** The HTTP protocol's settings and limits. */
import type { AccountVars } from '../../core/accounts';
import { FlareError } from '../../core/errors';
import type { Env } from '../../env';

/** Most messages one consume returns (the protocol's numOfMessages). */
export const MAX_CONSUME_MESSAGES = 16;
/** Longest long-polling wait of a consume (the protocol's waitseconds). */
export const MAX_WAIT_SECONDS = 30;
/** Most receipt handles one ack, commit or rollback carries. */
export const MAX_RECEIPT_HANDLES = 16;
/** Largest request body read (publish or ack document), as the REST API's. */
export { MAX_REQUEST_BYTES } from '../../core/limits';

/** Default invisible time of a consumed message: the protocol's 5 minutes. */
export const DEFAULT_INVISIBLE_TIME_MS = 5 * 60 * 1000;
/** Bounds of the invisible time (those of pop). */
export const MIN_INVISIBLE_TIME_MS = 10_000;
export const MAX_INVISIBLE_TIME_MS = 12 * 3600 * 1000;

/** The vars the protocol reads besides the cluster layout. */
export interface HttpProtocolVars extends AccountVars {
  /**
   * How long a consumed message stays invisible to its group before it is
   * delivered again unless acked (the protocol has no parameter for it), in
   * ms, 10000 to 43200000. @defaultValue 300000 (5 minutes)
   */
  HTTP_INVISIBLE_TIME_MS?: string | number;
}

/** The Worker's bindings as the protocol sees them. */
export type ProtocolEnv = Env & HttpProtocolVars;

/** The invisible time of consumed messages, from HTTP_INVISIBLE_TIME_MS. */
export function invisibleTimeMs(vars: HttpProtocolVars): number {
  const raw = vars.HTTP_INVISIBLE_TIME_MS;
  if (raw === undefined || raw === '') return DEFAULT_INVISIBLE_TIME_MS;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < MIN_INVISIBLE_TIME_MS || n > MAX_INVISIBLE_TIME_MS) {
    throw new FlareError(
      'CONFIG_INVALID',
      `HTTP_INVISIBLE_TIME_MS must be an integer from ${MIN_INVISIBLE_TIME_MS} to ${MAX_INVISIBLE_TIME_MS}`,
    );
  }
  return n;
}
