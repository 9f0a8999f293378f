/**
 * Signatures of transaction check-back callbacks: the queue objects' alarms
 * POST half messages due for a check to a producer group's check URL, signed
 * with the group's check secret (drawn by flaremq, or chosen by an admin, on
 * `PUT /producer-groups/{group}`), so that the receiver can tell flaremq's
 * requests from anyone else's. Shared by the Worker (which signs) and the SDK
 * (which verifies: src/sdk/transaction-checker.ts). docs/transactions.md.
 *
 *   X-Flaremq-Producer-Group: <producer group>
 *   X-Flaremq-Timestamp:      <milliseconds since the epoch>
 *   X-Flaremq-Signature:      lower-case hex of HMAC-SHA256(checkSecret, stringToSign)
 *
 *   stringToSign = "FLAREMQ-CHECK-HMAC-SHA256\n" + producerGroup + "\n" + timestamp + "\n"
 *                  + lower-case hex of SHA-256(body)
 */
import { hmacSha256Hex, sha256Hex, verifyHmacSha256Hex } from './request-signing';

export const CHECK_SIGNING_ALGORITHM = 'FLAREMQ-CHECK-HMAC-SHA256';
export const CHECK_SIGNATURE_HEADER = 'x-flaremq-signature';
export const CHECK_TIMESTAMP_HEADER = 'x-flaremq-timestamp';
export const PRODUCER_GROUP_HEADER = 'x-flaremq-producer-group';
/** A receiver accepts a check signed at most this far from its clock, either way. @defaultValue 5 minutes */
export const MAX_CHECK_SKEW_MS = 5 * 60 * 1000;
/** A check secret an admin chooses: 16 to 256 printable ASCII characters. A drawn one is 64 hex digits. */
export const CHECK_SECRET_PATTERN = /^[\x21-\x7e]{16,256}$/;

export interface CheckSignedParts {
  producerGroup: string;
  /** Milliseconds since the epoch, as the decimal text sent in the header. */
  timestamp: string;
  /** Lower-case hex SHA-256 of the body. */
  bodySha256: string;
}

export function checkStringToSign(p: CheckSignedParts): string {
  return [CHECK_SIGNING_ALGORITHM, p.producerGroup, p.timestamp, p.bodySha256].join('\n');
}

/** A new check secret: 32 random bytes as lower-case hex. */
export function newCheckSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The headers that sign one check callback of `producerGroup` carrying `body`. */
export async function checkSigningHeaders(
  secret: string,
  producerGroup: string,
  body: string,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(now));
  const signature = await hmacSha256Hex(
    secret,
    checkStringToSign({ producerGroup, timestamp, bodySha256: await sha256Hex(body) }),
  );
  return {
    [PRODUCER_GROUP_HEADER]: producerGroup,
    [CHECK_TIMESTAMP_HEADER]: timestamp,
    [CHECK_SIGNATURE_HEADER]: signature,
  };
}

/** Why a check callback is refused, or null when its signature holds. */
export async function checkSignatureProblem(
  secret: string,
  headers: { get(name: string): string | null },
  body: string,
  now = Date.now(),
  maxSkewMs = MAX_CHECK_SKEW_MS,
): Promise<{ code: 'INVALID_SIGNATURE' | 'REQUEST_EXPIRED'; detail: string } | null> {
  const producerGroup = headers.get(PRODUCER_GROUP_HEADER);
  const timestamp = headers.get(CHECK_TIMESTAMP_HEADER) ?? '';
  const signature = headers.get(CHECK_SIGNATURE_HEADER);
  if (!producerGroup || !signature)
    return {
      code: 'INVALID_SIGNATURE',
      detail: `the check carries no ${PRODUCER_GROUP_HEADER} or ${CHECK_SIGNATURE_HEADER}`,
    };
  if (!/^\d{1,15}$/.test(timestamp) || Math.abs(now - Number(timestamp)) > maxSkewMs) {
    return {
      code: 'REQUEST_EXPIRED',
      detail: `${CHECK_TIMESTAMP_HEADER} is missing or more than ${maxSkewMs / 1000} s from this clock`,
    };
  }
  const text = checkStringToSign({ producerGroup, timestamp, bodySha256: await sha256Hex(body) });
  if (!(await verifyHmacSha256Hex(secret, text, signature)))
    return { code: 'INVALID_SIGNATURE', detail: 'the check signature does not match its body under this secret' };
  return null;
}
