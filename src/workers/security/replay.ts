/**
 * Replay refusal for signed REST writes: a signature is good for its whole
 * timestamp window (±MAX_TIMESTAMP_SKEW_MS), so a write (any method but GET
 * and HEAD) whose signature was already used is refused with REQUEST_REPLAYED.
 * The signatures live in the ReplayGuard objects (src/durable-objects/replay-guard.ts),
 * one per access key and first hex digit of the signature. docs/security.md, "Replays".
 */
import { FlareError } from '../../core/errors';
import { MAX_TIMESTAMP_SKEW_MS } from '../../core/request-signing';
import { replayGuardObject } from '../../durable-objects/stubs';
import type { Env } from '../../env';
import { log } from '../../log';

/** Throws REQUEST_REPLAYED when this write's signature was already used. */
export async function refuseReplayedWrite(
  env: Pick<Env, 'REPLAY_GUARD'>,
  accessKey: string,
  signature: string,
  timestamp: number,
): Promise<void> {
  const sig = signature.toLowerCase();
  const guard = replayGuardObject(env, `${accessKey}/${sig.charAt(0)}`);
  let first: boolean;
  try {
    // Kept until the signature's timestamp leaves the window (a later use is refused as expired anyway).
    first = await guard.firstUse(sig, timestamp + MAX_TIMESTAMP_SKEW_MS);
  } catch (err) {
    log.error('the replay guard did not answer; the signed write is refused as retriable', { accessKey, error: err });
    throw new FlareError(
      'BROKER_UNAVAILABLE',
      'the replay check is unavailable for a moment; sign the request anew and retry',
    );
  }
  if (!first) {
    throw new FlareError(
      'REQUEST_REPLAYED',
      'this signature was already used for a write: sign every request anew (a new X-Flaremq-Timestamp; docs/security.md, "Replays")',
    );
  }
}
