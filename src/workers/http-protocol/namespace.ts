/**
 * The protocol's `ns` query parameter (the SDKs' instanceId) names an
 * isolated namespace of topics and groups. flaremq maps it the way RocketMQ's
 * own namespaces do (NamespaceUtil): the resource `T` in namespace `N` is the
 * flaremq topic or group `N%T`. Without `ns`, names are used as they are.
 *
 * So `GET /topics/Orders/messages?ns=MQ_INST_1&consumer=GID_a` consumes the
 * flaremq topic `MQ_INST_1%Orders` as the group `MQ_INST_1%GID_a`, whose retry
 * and dead-letter topics are `%RETRY%MQ_INST_1%GID_a` and `%DLQ%MQ_INST_1%GID_a`.
 */
import { validateGroup, validateTopic } from '../../core/names';
import { ProtocolError, toProtocolError } from './errors';

/** A namespace: 1 to 64 letters, digits, `_` or `-` (no `%`, which separates it from the name). */
const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;
/** A topic or group as the protocol names it: no `%` or `|` when in a namespace. */
const NAMESPACED_NAME = /^[A-Za-z0-9_-]+$/;

export const NAMESPACE_SEPARATOR = '%';

/** The namespace from `ns`: undefined when absent or empty. */
export function parseNamespace(ns: string | undefined): string | undefined {
  if (ns === undefined || ns === '') return undefined;
  if (!NAMESPACE.test(ns))
    throw new ProtocolError('InvalidArgument', `ns '${ns.slice(0, 80)}' must be 1 to 64 letters, digits, '_' or '-'`);
  return ns;
}

function wrap(ns: string | undefined, name: string, what: 'topic' | 'consumer'): string {
  if (ns === undefined) return name;
  if (!NAMESPACED_NAME.test(name)) {
    throw new ProtocolError(
      'InvalidArgument',
      `${what} '${name.slice(0, 130)}' in namespace '${ns}' may only contain letters, digits, '_' and '-'`,
    );
  }
  return `${ns}${NAMESPACE_SEPARATOR}${name}`;
}

function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toProtocolError(err) ?? err;
  }
}

/** The flaremq topic of `topic` in namespace `ns`, validated. */
export function flaremqTopic(ns: string | undefined, topic: string): string {
  return checked(() => validateTopic(wrap(ns, topic, 'topic')));
}

/** The flaremq group of `group` (the protocol's consumer, or a transactional producer's group id) in namespace `ns`, validated. */
export function flaremqGroup(ns: string | undefined, group: string): string {
  return checked(() => validateGroup(wrap(ns, group, 'consumer')));
}
