import { brokerOf } from '../core/broker-groups';
import { clusterConfig } from '../core/config';
import { brokerObjectName, nameServerName, queueObjectName, type QueueIdentity } from '../core/object-names';
import { valueOf, type Outcome } from '../core/outcome';
import type { Env } from '../env';
import type { Broker } from './broker';
import type { ConsumerGroup } from './consumer-group';
import type { NameServer } from './name-server';
import type { ProducerGroup } from './producer-group';
import type { MessageQueue } from './queue/message-queue';
import type { ReplayGuard } from './replay-guard';
import { log, type LogFields } from '../log';

/**
 * The one way to reach a Durable Object (the Worker, its services, and objects
 * calling objects): each function gives a client of one object, with its
 * placement, error mapping and call watching applied here once.
 *
 * An object's public methods answer an Outcome (core/outcome.ts). A client's
 * method of the same name answers the value: a refusal is thrown as the
 * FlareError of its code and text; anything unexpected (the object
 * overloaded, reset, unreachable, or a bug) is logged and thrown as a
 * retriable BROKER_UNAVAILABLE. A caller that handles a refusal itself asks
 * `client.outcome.method(...)`, which answers the Outcome (an unexpected
 * failure as a BROKER_UNAVAILABLE refusal) and never throws.
 */

/** The RPC methods of an object: its public methods that answer an Outcome (at once, or as a promise). */
export type RpcMethod<O> = {
  [K in keyof O]: O[K] extends (...args: never[]) => Outcome<unknown> | Promise<Outcome<unknown>> ? K : never;
}[keyof O] &
  string;
type Args<F> = F extends (...args: infer A) => unknown ? A : never;
type ValueOf<F> = F extends (...args: never[]) => infer R ? (Awaited<R> extends Outcome<infer T> ? T : never) : never;

/** An object as its callers see it: each RPC method answers its value (see above); `outcome` answers the Outcome instead. */
export type Client<O> = { [K in RpcMethod<O>]: (...args: Args<O[K]>) => Promise<ValueOf<O[K]>> } & {
  readonly outcome: { [K in RpcMethod<O>]: (...args: Args<O[K]>) => Promise<Outcome<ValueOf<O[K]>>> };
  /** The stub's own `fetch` (a queue's member streams are forwarded there), `id` and `name`. */
  readonly fetch: DurableObjectStub['fetch'];
  readonly id: DurableObjectId;
  readonly name?: string;
};

/**
 * Told of every call a client makes, once it is answered: `failed` when the
 * object refused it BROKER_UNAVAILABLE or did not answer. The Worker watches
 * the calls to each group's master (src/services/latency-faults.ts).
 */
export type CallWatch = (method: string, startedAt: number, failed: boolean) => void | Promise<void>;

/** What a stub's `fetch`, `id` and `name` answer through a client: the stub's own. */
const STUB_OWN = new Set(['fetch', 'id', 'name', 'constructor']);

/**
 * A client of `stub` (what the functions below give): `what` names the object in errors, `about` in log lines
 * (its topic, brokerName, queueId, brokerId, group or nameServer).
 */
export function clientOf<O>(
  stub: DurableObjectStub,
  what: string,
  about: LogFields = {},
  watch?: CallWatch,
): Client<O> {
  const call = async (method: string, args: unknown[]): Promise<Outcome<unknown>> => {
    const startedAt = Date.now();
    let outcome: Outcome<unknown>;
    try {
      outcome = await (stub as unknown as Record<string, (...a: unknown[]) => Promise<Outcome<unknown>>>)[method](
        ...args,
      );
    } catch (err) {
      log.error('an object call failed unexpectedly', { ...about, method, error: err });
      outcome = {
        ok: false,
        code: 'BROKER_UNAVAILABLE',
        message: `${what} did not answer: ${(err as Error)?.message ?? String(err)}`,
      };
    }
    await watch?.(method, startedAt, !outcome.ok && outcome.code === 'BROKER_UNAVAILABLE');
    return outcome;
  };
  // 'then' is left out, so that a client is not mistaken for a promise.
  const isMethod = (name: string | symbol): name is string => typeof name === 'string' && name !== 'then';
  const outcomes = new Proxy(
    {},
    { get: (_, name) => (isMethod(name) ? (...args: unknown[]) => call(name, args) : undefined) },
  );
  // The stub is the target, so that what is the stub's own (STUB_OWN) stays the stub's: the vitest helpers take a client for its stub.
  return new Proxy(stub, {
    get(target, name) {
      if (name === 'outcome') return outcomes;
      if (typeof name === 'string' && STUB_OWN.has(name)) {
        const own = Reflect.get(target, name);
        return typeof own === 'function' && name !== 'constructor' ? own.bind(target) : own;
      }
      return isMethod(name) ? (...args: unknown[]) => call(name, args).then(valueOf) : undefined;
    },
  }) as unknown as Client<O>;
}

/**
 * The placement of a broker's objects: the broker's region, as a location
 * hint (wnam, enam, weur, …), which takes effect when an object is first
 * created and is harmless after that. `getByName` does not take a hint
 * everywhere, so the id comes from `idFromName` (the same id `getByName` would
 * use) and the stub from `get(id, { locationHint })`.
 */
function placed<O extends Rpc.DurableObjectBranded | undefined>(
  env: Env,
  ns: DurableObjectNamespace<O>,
  name: string,
  brokerName: string,
  brokerId: number,
) {
  const broker = brokerOf(clusterConfig(env), brokerName, brokerId);
  return ns.get(ns.idFromName(name), broker ? { locationHint: broker.region as DurableObjectLocationHint } : undefined);
}

/** The MessageQueue object of (topic, brokerName, queueId, brokerId), in its broker's region; `watch` sees its calls. */
export function queueObject(env: Env, identity: QueueIdentity, watch?: CallWatch): Client<MessageQueue> {
  const name = queueObjectName(identity);
  return clientOf(
    placed(env, env.MESSAGE_QUEUE, name, identity.brokerName, identity.brokerId),
    `queue ${name}`,
    { ...identity },
    watch,
  );
}

/** The Broker object of (brokerName, brokerId), in its region. */
export function brokerObject(env: Env, brokerName: string, brokerId: number): Client<Broker> {
  const name = brokerObjectName(brokerName, brokerId);
  return clientOf(placed(env, env.BROKER, name, brokerName, brokerId), `broker ${name}`, { brokerName, brokerId });
}

/** The object of a consumer group. */
export function consumerGroupObject(env: Pick<Env, 'CONSUMER_GROUP'>, group: string): Client<ConsumerGroup> {
  return clientOf(env.CONSUMER_GROUP.getByName(group), `consumer group ${group}`, { group });
}

/** The object of a producer group. */
export function producerGroupObject(env: Pick<Env, 'PRODUCER_GROUP'>, group: string): Client<ProducerGroup> {
  return clientOf(env.PRODUCER_GROUP.getByName(group), `producer group ${group}`, { producerGroup: group });
}

/** NameServer `index` (0 … nameServerCount-1); name-server-client.ts fails over between them. */
export function nameServerObject(env: Pick<Env, 'NAME_SERVER'>, index: number): Client<NameServer> {
  const name = nameServerName(index);
  return clientOf(env.NAME_SERVER.getByName(name), `NameServer ${name}`, { nameServer: name });
}

/** The replay guard of one access key and signature digit (src/workers/security/replay.ts). */
export function replayGuardObject(env: Pick<Env, 'REPLAY_GUARD'>, name: string): Client<ReplayGuard> {
  return clientOf(env.REPLAY_GUARD.getByName(name), `replay guard ${name}`, { replayGuard: name });
}
