import { clusterConfig, masters, type ClusterConfig } from '../core/config';
import { FlareError } from '../core/errors';
import { MASTER_ID, type TopicRoute } from '../core/route';
import { ROUTE_CACHE_TTL_MS } from '../core/timing';
import type { TopicConfig, TopicSpec } from '../core/topic-config';
import { withNameServer } from '../durable-objects/name-server-client';
import { brokerObject, consumerGroupObject, queueObject } from '../durable-objects/stubs';
import type { Env } from '../env';
import { watchMaster } from './latency-faults';
import { log } from '../log';

export const config = (env: Env): ClusterConfig => clusterConfig(env);

export { withNameServer };

let started: Promise<void> | null = null;

/**
 * Starts every configured broker once per isolate (the first request that
 * reaches the deployment): each registers with the NameServers and arms its
 * 30 s heartbeat. Brokers keep heartbeating from their alarms after that.
 */
export function ensureBrokersStarted(env: Env): Promise<void> {
  started ??= Promise.all(
    config(env).brokers.map((b) => brokerObject(env, b.brokerName, b.brokerId).start(b.brokerName, b.brokerId)),
  ).then(
    () => undefined,
    (err) => {
      log.error('starting brokers failed; the next request tries again', { error: err });
      started = null;
    },
  );
  return started;
}

const routeCache = new Map<string, { route: TopicRoute; fetchedAt: number }>();

/** A topic's route, cached per isolate for 30 s; null when no live broker group hosts it (never cached). */
export async function getRoute(env: Env, topic: string, fresh = false): Promise<TopicRoute | null> {
  const cached = routeCache.get(topic);
  if (!fresh && cached && Date.now() - cached.fetchedAt < ROUTE_CACHE_TTL_MS) return cached.route;
  const route = await withNameServer(env, (ns) => ns.getRoute(topic), topic); // the NameServer the topic's consumer groups read too
  if (route) routeCache.set(topic, { route, fetchedAt: Date.now() });
  else routeCache.delete(topic);
  return route;
}

/** The route this isolate has cached and still trusts, without asking a NameServer; undefined when none. */
export function cachedRoute(topic: string): TopicRoute | undefined {
  const cached = routeCache.get(topic);
  return cached && Date.now() - cached.fetchedAt < ROUTE_CACHE_TTL_MS ? cached.route : undefined;
}

export function forgetRoute(topic: string): void {
  routeCache.delete(topic);
}

/** The route (cached unless `fresh`), or TOPIC_NOT_EXIST. */
export async function requireRoute(env: Env, topic: string, fresh = false): Promise<TopicRoute> {
  const route = await getRoute(env, topic, fresh);
  if (!route)
    throw new FlareError(
      'TOPIC_NOT_EXIST',
      `topic '${topic}' does not exist; create it with PUT /api/v1/topics/${topic}`,
    );
  return route;
}

/** Creates or updates a topic on the chosen broker groups (all of them by default); returns the new route. */
export async function createOrUpdateTopic(env: Env, topic: string, spec: TopicSpec): Promise<TopicRoute> {
  const groups = masters(config(env));
  const names = spec.brokerNames ?? groups.map((b) => b.brokerName);
  for (const name of names) {
    if (!groups.some((b) => b.brokerName === name)) {
      throw new FlareError(
        'BROKER_NOT_EXIST',
        `broker group '${name}' is not in the cluster; known: ${groups.map((b) => b.brokerName).join(', ')}`,
      );
    }
  }
  const topicConfig: TopicConfig = {
    topic,
    readQueueNums: spec.readQueueNums,
    writeQueueNums: spec.writeQueueNums,
    perm: spec.perm,
  };
  await Promise.all(names.map((name) => brokerObject(env, name, MASTER_ID).createOrUpdateTopic(topicConfig)));
  const route = await getRoute(env, topic, true);
  if (!route)
    throw new FlareError(
      'NAMESERVER_UNAVAILABLE',
      `topic '${topic}' was stored but no NameServer has its route yet; retry`,
    );
  return route;
}

/** Deletes a topic from every broker group; false when none hosted it. */
export async function deleteTopic(env: Env, topic: string): Promise<boolean> {
  forgetRoute(topic);
  const results = await Promise.all(
    masters(config(env)).map((b) => brokerObject(env, b.brokerName, MASTER_ID).deleteTopic(topic)),
  );
  forgetRoute(topic);
  return results.some(Boolean);
}

/** The object of a consumer group (durable-objects/stubs.ts). */
export function groupStub(env: Env, group: string) {
  return consumerGroupObject(env, group);
}

/** The master queue object of (topic, brokerName, queueId), in its broker's region; its calls count for the group's latency (latency-faults.ts). */
export function queueStub(env: Env, topic: string, brokerName: string, queueId: number) {
  return queueObject(env, { topic, brokerName, queueId, brokerId: MASTER_ID }, watchMaster(env, brokerName));
}

/**
 * Runs a call to an object. The stubs of durable-objects/stubs.ts already throw
 * a FlareError for every failure (a refusal's, or BROKER_UNAVAILABLE when the
 * object did not answer), so this only guards calls written around them:
 * anything else is logged and becomes a retriable BROKER_UNAVAILABLE.
 */
export async function brokerCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof FlareError) throw err;
    log.error('a broker call failed unexpectedly', { error: err });
    throw new FlareError('BROKER_UNAVAILABLE', `the broker did not answer: ${(err as Error)?.message ?? String(err)}`);
  }
}
