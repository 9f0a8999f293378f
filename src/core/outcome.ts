import { FlareError, type ErrorCode } from './errors';

/**
 * What a Durable Object's RPC method answers (RocketMQ's PutMessageStatus,
 * BullMQ's script codes): its value, or an expected refusal with its code.
 * Plain data, so that it crosses RPC whole; an error thrown across RPC keeps
 * only its message. Only what nobody expected is thrown.
 */
export type Outcome<T> = { ok: true; value: T } | Refusal;

/** An expected refusal: the code of src/core/errors.ts and the text that says what to do. */
export type Refusal = { ok: false; code: ErrorCode; message: string };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

export const refusal = (err: FlareError): Refusal => ({ ok: false, code: err.code, message: err.detail });

/** The FlareError of a refusal, with its code and text. */
export const errorOf = (refused: Refusal): FlareError => new FlareError(refused.code, refused.message);

/** The value, or the refusal's FlareError thrown. */
export function valueOf<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw errorOf(outcome);
}

/**
 * Runs an RPC method's work: its value, or the FlareError it threw as a
 * refusal. Anything else is thrown as it is (unexpected). Every public method
 * of an object is `method(...) { return answer(() => ...); }`. Synchronous
 * work answers at once (the method stays synchronous inside the object);
 * over RPC every answer is a promise.
 */
export function answer<T>(work: () => Promise<T>): Promise<Outcome<T>>;
export function answer<T>(work: () => T): Outcome<T>;
export function answer<T>(work: () => T | Promise<T>): Outcome<T> | Promise<Outcome<T>> {
  let result: T | Promise<T>;
  try {
    result = work();
  } catch (err) {
    return refused(err);
  }
  return result instanceof Promise ? result.then(ok, refused) : ok(result);
}

/** A thrown FlareError as a refusal; anything else thrown on. */
function refused(err: unknown): Refusal {
  if (err instanceof FlareError) return refusal(err);
  throw err;
}
