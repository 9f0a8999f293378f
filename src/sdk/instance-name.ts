/**
 * A consumer's stable identity, RocketMQ's instanceName: in BROADCASTING the
 * server keeps a consumer's offsets under it (`group#instanceName`), so that
 * a process that restarts resumes where it stopped. RocketMQ builds its
 * clientId as `clientIP@instanceName` (ClientConfig.buildMQClientId) and keeps
 * the instance name "DEFAULT" for broadcasting consumers (only clustering ones
 * get the PID, changeInstanceNameToPID), so a broadcasting consumer's
 * LocalFileOffsetStore (~/.rocketmq_offsets/{clientId}/{group}) outlives the
 * process. Here the host's name plays the client IP's part.
 */
import { isValidClientId, newClientId } from './client-id';

/** Where a browser keeps its instance name. */
const STORAGE_KEY = 'flaremq.instanceName';

/** The longest base name, leaving room for a `:n` suffix within the 128 characters of an id. */
const MAX_BASE = 120;

let processName: string | undefined;

/**
 * This process's base instance name, the same for the life of the process:
 * the host name in Node, Bun and Deno (with pm2's NODE_APP_INSTANCE, which
 * numbers the processes of one app on a host); in a browser, an id kept in
 * localStorage (one per origin and profile); elsewhere (a Worker isolate,
 * which has no host of its own, or a host named `localhost`, which names no
 * host in particular) a random id per process: resumption then needs an
 * explicit instanceName.
 */
export function processInstanceName(): string {
  processName ??= fromRuntime() ?? newClientId('flaremq-sdk');
  return processName;
}

function fromRuntime(): string | undefined {
  const g = globalThis as {
    navigator?: { userAgent?: string };
    process?: { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> };
    Deno?: { hostname?: () => string };
    localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  };
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return undefined;
  try {
    const os = g.process?.getBuiltinModule?.('node:os') as { hostname?: () => string } | undefined;
    const host = clean(os?.hostname?.() ?? g.Deno?.hostname?.());
    if (host) {
      const app = g.process?.env?.NODE_APP_INSTANCE;
      return app === undefined ? host : clean(`${host}:${app}`);
    }
  } catch {
    // no host name here
  }
  try {
    const storage = g.localStorage;
    if (storage) {
      let id = storage.getItem(STORAGE_KEY);
      if (!id || !isValidClientId(id) || id.length > MAX_BASE) {
        id = newClientId('browser');
        storage.setItem(STORAGE_KEY, id);
      }
      return id;
    }
  } catch {
    // storage refused (private mode, sandboxed frame)
  }
  return undefined;
}

/** A host name as an id: other characters become `_`; undefined for none or `localhost`. */
function clean(name: string | undefined): string | undefined {
  if (!name || /^localhost(\.|$)/i.test(name)) return undefined;
  return name.replace(/[^a-zA-Z0-9_.:@-]/g, '_').slice(0, MAX_BASE);
}

/** Slots taken by the live consumers of each group in this process. */
const slots = new Map<string, Set<number>>();

/**
 * The default instance name of a new consumer of `group` in this process: the
 * process's name for the first live one, `name:2`, `name:3`… for others
 * running at the same time (the lowest free), so that consumers of one group
 * in one process never share offsets, and a consumer made again after another
 * stopped takes its place. `release` (on stop) frees the slot.
 */
export function claimInstanceName(group: string): { name: string; release: () => void } {
  let taken = slots.get(group);
  if (!taken) slots.set(group, (taken = new Set()));
  let n = 1;
  while (taken.has(n)) n++;
  taken.add(n);
  const base = processInstanceName();
  return { name: n === 1 ? base : `${base}:${n}`, release: () => taken.delete(n) };
}
