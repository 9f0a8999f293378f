import { Hono } from 'hono';
import type { FlareError } from '../../core/errors';
import { brokerObject } from '../../durable-objects/stubs';
import type { Env } from '../../env';
import { brokerCall, config, withNameServer } from '../cluster';

/** The cluster as the NameServers see it, and each broker's own status. */
export const cluster = new Hono<{ Bindings: Env }>();

cluster.get('/cluster', async (c) => {
  const layout = config(c.env);
  const info = await withNameServer(c.env, (ns) => ns.getClusterInfo());
  return c.json({ clusterName: layout.clusterName, nameServerCount: layout.nameServerCount, ...info });
});

/** Every configured broker's status; a broker that cannot answer is listed with its error. */
cluster.get('/brokers', async (c) => {
  const brokers = await Promise.all(
    config(c.env).brokers.map(async (b) => {
      try {
        const stub = brokerObject(c.env, b.brokerName, b.brokerId);
        const status = await brokerCall(() => stub.status());
        // A master with slaves: each slave's replication lag (docs/deployment.md).
        const replication = b.brokerId === 0 && !status.faultInjection.down ? await brokerCall(() => stub.replicationStatus()).catch(() => null) : null;
        return replication ? { ...status, replication } : status;
      } catch (err) {
        const flare = err as FlareError;
        return { config: b, error: { code: flare.code, message: flare.detail, retriable: flare.retriable } };
      }
    }),
  );
  return c.json({ brokers });
});
