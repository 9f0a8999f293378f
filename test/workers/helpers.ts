import { exports } from 'cloudflare:workers';
import { valueOf, type Outcome } from '../../src/core/outcome';
import { clientOf, type Client } from '../../src/durable-objects/stubs';

/** A fresh name per test, so tests never share a topic or group. */
let counter = 0;
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Calls the Worker the way an HTTP client would. */
export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://flaremq.test/api/v1${path}`, init));
}

export async function call<T = any>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await api(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function createTopic(topic: string, spec: Record<string, unknown> = {}): Promise<any> {
  const res = await call('PUT', `/topics/${topic}`, spec);
  if (res.status !== 200) throw new Error(`create ${topic}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function send(topic: string, message: Record<string, unknown>): Promise<any> {
  const res = await call('POST', `/topics/${topic}/messages`, message);
  if (res.status !== 200) throw new Error(`send ${topic}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function pull(
  topic: string,
  brokerName: string,
  queueId: number,
  query: Record<string, string | number>,
): Promise<any> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const res = await call('GET', `/topics/${topic}/queues/${brokerName}/${queueId}/messages?${qs}`);
  if (res.status !== 200) throw new Error(`pull: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Max offsets of every queue of a topic, keyed "brokerName/queueId". */
export async function maxOffsets(topic: string): Promise<Record<string, number>> {
  const res = await call('GET', `/topics/${topic}/status`);
  const out: Record<string, number> = {};
  for (const q of res.body.queues) out[`${q.brokerName}/${q.queueId}`] = q.maxOffset;
  return out;
}

export function expectError(res: { status: number; body: any }, status: number, code: string): void {
  if (res.status !== status || res.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  if (typeof res.body.error.message !== 'string' || res.body.error.message.length === 0) {
    throw new Error(`error ${code} has no message`);
  }
}

/**
 * A stub as the code reaches its object (src/durable-objects/stubs.ts): each
 * method answers its value, or throws the refusal's FlareError; `.outcome`
 * answers the Outcome. runInDurableObject and runDurableObjectAlarm take it
 * as the stub it wraps; evictDurableObject needs the bare stub.
 */
export type Served<O extends Rpc.DurableObjectBranded> = Client<O> & DurableObjectStub<O>;

export function served<O extends Rpc.DurableObjectBranded>(stub: DurableObjectStub<O>): Served<O> {
  return clientOf<O>(stub as unknown as DurableObjectStub, 'test stub') as unknown as Served<O>;
}

type Unwrapped<F> = F extends (...args: infer A) => infer R
  ? (...args: A) => [R] extends [Promise<Outcome<infer T>>] ? Promise<T> : [R] extends [Outcome<infer T>] ? T : R
  : F;

/** An object's instance (inside runInDurableObject) whose methods answer their values, at once when they are synchronous. */
export type Answering<O> = { [K in keyof O]: Unwrapped<O[K]> };

const isOutcome = (v: unknown): v is Outcome<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
const unwrap = (v: unknown) => (isOutcome(v) ? valueOf(v) : v);

export function answering<O extends object>(instance: O): Answering<O> {
  return new Proxy(instance, {
    get(target, name) {
      const member = Reflect.get(target, name);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        const result = member.apply(target, args);
        return result instanceof Promise ? result.then(unwrap) : unwrap(result);
      };
    },
  }) as unknown as Answering<O>;
}
