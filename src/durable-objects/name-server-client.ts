import { ringHash } from '../core/allocation';
import { clusterConfig } from '../core/config';
import { FlareError } from '../core/errors';
import { nameServerName } from '../core/object-names';
import { readableQueues, type TopicRoute } from '../core/route';
import type { QueueId } from '../core/queue-selector';
import type { Env } from '../env';
import type { NameServer } from './name-server';
import { nameServerObject, type Client } from './stubs';
import { log } from '../log';

/**
 * Calls one NameServer and fails over to the others in turn, as RocketMQ
 * clients do. Throws NAMESERVER_UNAVAILABLE when none answers. Used by the
 * Worker and by objects that read routes (consumer groups).
 *
 * Which one is asked first: with `prefer` (a topic, for its route), the one
 * its hash picks, so that every reader of that topic's route asks the same
 * NameServer while it answers, and NameServers that disagree for a while (a
 * broker registered with one and not yet with another) cannot flip a
 * consumer group's assignment from heartbeat to heartbeat; topics spread over
 * the NameServers. RocketMQ's client likewise keeps the NameServer it chose
 * until a call to it fails (NettyRemotingClient's namesrvAddrChoosed).
 * Without `prefer`, one at random.
 */
export async function withNameServer<T>(
  env: Env,
  call: (ns: Client<NameServer>) => Promise<T>,
  prefer?: string,
): Promise<T> {
  const count = clusterConfig(env).nameServerCount;
  const first = prefer === undefined ? Math.floor(Math.random() * count) : ringHash(prefer) % count;
  let last: unknown;
  for (let i = 0; i < count; i++) {
    const name = nameServerName((first + i) % count);
    try {
      return await call(nameServerObject(env, (first + i) % count));
    } catch (err) {
      last = err;
      log.error('a NameServer call failed; trying the next one', { nameServer: name, error: err });
    }
  }
  throw new FlareError('NAMESERVER_UNAVAILABLE', `no NameServer answered (${String(last)})`);
}

/** Calls every NameServer; true when at least one took the call. */
export async function toAllNameServers(env: Env, call: (ns: Client<NameServer>) => Promise<unknown>): Promise<boolean> {
  const count = clusterConfig(env).nameServerCount;
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => call(nameServerObject(env, i))));
  results.forEach((r, i) => {
    if (r.status === 'rejected')
      log.error('a NameServer call failed', { nameServer: nameServerName(i), error: r.reason });
  });
  return results.some((r) => r.status === 'fulfilled');
}

/** The readable queues of a topic, or [] when no live broker group hosts it. */
export async function readableQueuesOf(env: Env, topic: string): Promise<QueueId[]> {
  const route: TopicRoute | null = await withNameServer(env, (ns) => ns.getRoute(topic), topic);
  return route ? readableQueues(route) : [];
}
