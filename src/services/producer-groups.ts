/**
 * The producer groups the NameServers know (each registers itself when it is
 * configured or first discards a transaction), with their settings: the
 * dashboard's overview lists them.
 */
import type { Env } from '../env';
import { withNameServer } from './cluster';
import { getProducerGroup } from './transactions';

/** Every registered producer group with its check URL and discarded count, by name. */
export async function listProducerGroups(env: Env) {
  const names = await withNameServer(env, (ns) => ns.listProducerGroups());
  return Promise.all(names.map((group) => getProducerGroup(env, { group })));
}
